"""Shared fixtures: where the real third-party data lives, and skip markers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REALDATA = SHARED / "realdata"

os.environ.setdefault("MPLBACKEND", "Agg")


def realdata_path(*parts: str) -> Path:
    """A file of ../shared/realdata, or a clean skip when it is absent."""
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


@pytest.fixture
def realdata() -> object:
    """``realdata("rasterio", "RGB.byte.tif")`` → the path, or skip."""
    return realdata_path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
