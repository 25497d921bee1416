"""The upsampling screen: synthetic 2×/3×/4× upsampled rasters are caught, real native data is not.

Native fields have a known spectrum (power law, P(f) ∝ f^-2.5, the slope of natural
scenes) or are classified from filtered noise (categorical); they are upsampled the way
producers do it (GDAL warp through rasterio, scipy.ndimage.zoom, pixel replication).
"""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.warp import Resampling, reproject
from scipy import ndimage

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.stats.sharpness import screen_array, screen_upsampling

REALDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata"


def _realdata(*parts: str) -> Path:
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


def powerlaw_field(n: int, beta: float, seed: int) -> np.ndarray:
    """Gaussian random field with power spectrum ∝ f^-beta, scaled to 0…100."""
    rng = np.random.default_rng(seed)
    fy, fx = np.fft.fftfreq(n)[:, None], np.fft.fftfreq(n)[None, :]
    f = np.hypot(fy, fx)
    f[0, 0] = 1.0
    amplitude = f ** (-beta / 2)
    amplitude[0, 0] = 0.0
    field = np.fft.ifft2(amplitude * np.exp(2j * np.pi * rng.random((n, n)))).real
    return (field - field.min()) / (field.max() - field.min()) * 100.0


def class_field(n: int, seed: int) -> np.ndarray:
    """A 6-class map (codes 10…60) from smoothed noise: patches of a few pixels to dozens."""
    rng = np.random.default_rng(seed)
    smooth = ndimage.gaussian_filter(rng.standard_normal((n, n)), 2.5)
    edges = np.quantile(smooth, [0.2, 0.4, 0.6, 0.8, 0.9])
    return (np.digitize(smooth, edges) * 10 + 10).astype(np.uint8)


def upsample(native: np.ndarray, k: int, method: str) -> np.ndarray:
    """Upsample by ``k``: GDAL warp (method = a rasterio Resampling name), zoom, or repeat."""
    n = native.shape[0]
    if method == "repeat":
        return np.repeat(np.repeat(native, k, axis=0), k, axis=1)
    if method.startswith("zoom"):
        order = int(method[-1])
        return ndimage.zoom(native, k, order=order, grid_mode=True, mode="grid-mirror")
    out = np.zeros((n * k, n * k), dtype=np.float64)
    reproject(
        native.astype(np.float64),
        out,
        src_transform=from_origin(500_000, 4_000_000, 30, 30),
        dst_transform=from_origin(500_000, 4_000_000, 30 / k, 30 / k),
        src_crs="EPSG:32650",
        dst_crs="EPSG:32650",
        resampling=getattr(Resampling, method),
    )
    return out


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("method", ["nearest", "bilinear", "cubic", "zoom1", "zoom3"])
@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_continuous_upsampling_is_flagged_with_its_factor(k: int, method: str, noise: float):
    native = powerlaw_field(960 // k, 2.5, seed=10 * k)
    data = upsample(native, k, method)
    if noise:
        data = data + np.random.default_rng(k).normal(0.0, noise * data.std(), data.shape)
    result = screen_array(data)
    assert result["upsampled"] is True
    assert result["factor"] == k
    assert result["effective_pixel_size_factor"] == float(k)


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("method", ["nearest", "repeat"])
@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_categorical_upsampling_is_flagged_with_its_factor(k: int, method: str, noise: float):
    data = upsample(class_field(960 // k, seed=k), k, method)
    if noise:  # salt-and-pepper: 1% of pixels get a random class
        rng = np.random.default_rng(100 + k)
        flip = rng.random(data.shape) < noise
        data = data.copy()
        data[flip] = rng.integers(1, 7, int(flip.sum())) * 10
    result = screen_array(data)
    assert (result["upsampled"], result["factor"]) == (True, k)


@pytest.mark.parametrize("make", ["powerlaw", "classes"])
def test_native_synthetic_fields_are_not_flagged(make: str):
    data = powerlaw_field(1024, 2.5, seed=3) if make == "powerlaw" else class_field(1024, seed=4)
    result = screen_array(data)
    assert result["upsampled"] is False
    assert result["factor"] is None
    assert result["evidence"]["score"] < 0.05


def test_large_homogeneous_areas_are_not_replication():
    """A native map that is 90% one class (big flat areas) has no lattice phase."""
    data = class_field(1024, seed=5)
    data[:, :900] = 10  # one huge homogeneous block, off any lattice
    data[100:700, 950:1000] = 30
    result = screen_array(data)
    assert result["upsampled"] is False


def test_file_screen_reads_valid_windows_and_finds_factor(tmp_path: Path):
    """A 3× nearest-upsampled GeoTIFF, 60% nodata: the windows land on valid data."""
    native = class_field(400, seed=7)
    data = upsample(native, 3, "repeat")  # 1200 × 1200
    data[:, :720] = 0  # nodata on the left 60%
    path = tmp_path / "up3.tif"
    profile = {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32650",
        "transform": from_origin(500_000, 4_000_000, 10, 10),
        "nodata": 0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    result = screen_upsampling(path, max_windows=4, window=256)
    assert (result["upsampled"], result["factor"]) == (True, 3)
    assert result["windows"] == 4
    # the same grid with native data is clean
    with rasterio.open(path, "r+") as dst:
        dst.write(class_field(1200, seed=8), 1)
    assert screen_upsampling(path, max_windows=4, window=256)["upsampled"] is False


def test_input_validation(tmp_path: Path):
    with pytest.raises(EvidenceReadError):
        screen_upsampling(tmp_path / "missing.tif")
    with pytest.raises(ValueError):
        screen_array(np.zeros((64, 64)), max_windows=0)
    with pytest.raises(EvidenceError):
        screen_array(np.zeros((2, 3, 4, 5)))
    # a constant raster cannot be screened: said so, not flagged
    constant = screen_array(np.full((100, 100), 7.0))
    assert constant["screened"] is False and constant["upsampled"] is False


# --------------------------------------------------------------------------- real data


@pytest.mark.realdata
@pytest.mark.parametrize("band", [1, 2, 3])
def test_landsat_rgb_not_flagged(band: int):
    result = screen_upsampling(_realdata("rasterio", "RGB.byte.tif"), band=band)
    assert result["screened"] and not result["upsampled"]


@pytest.mark.realdata
def test_shade_not_flagged():
    result = screen_upsampling(_realdata("rasterio", "shade.tif"))
    assert result["upsampled"] is False


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["2020_v100", "2021_v200"])
def test_worldcover_not_flagged(name: str):
    path = _realdata("esa-worldcover", f"ESA_WorldCover_10m_{name}_N00E006_Map.tif")
    result = screen_upsampling(path)  # 36000 × 36000: windows only
    assert result["windows"] == 16
    assert result["upsampled"] is False
    assert result["evidence"]["score"] < 0.05


@pytest.mark.realdata
def test_corine_not_flagged():
    folder = _realdata("pylandstats-corine")
    paths = sorted(glob.glob(str(folder / "*.tif")))
    assert len(paths) == 4
    for path in paths:
        result = screen_upsampling(path)
        assert result["screened"] and not result["upsampled"], path


@pytest.mark.realdata
def test_sentinel2_bands_not_flagged():
    import xarray as xr

    folder = _realdata("xarray-spatial")
    paths = sorted(glob.glob(str(folder / "*.nc")))
    assert len(paths) == 6
    for path in paths:
        with xr.open_dataset(path, engine="scipy") as ds:
            band = ds[next(iter(ds.data_vars))].load()
        result = screen_array(band)
        assert result["screened"] and not result["upsampled"], path


@pytest.mark.realdata
def test_real_data_upsampled_by_us_is_flagged():
    """The Landsat scene itself, replicated 3× and warped 2× bilinear, is caught."""
    with rasterio.open(_realdata("rasterio", "RGB.byte.tif")) as ds:
        native = ds.read(1, masked=True).filled(0).astype(np.float64)[:300, 300:600]
    assert screen_array(upsample(native, 3, "repeat"), nodata=0)["factor"] == 3
    assert screen_array(upsample(native, 2, "bilinear"), nodata=0)["factor"] == 2
