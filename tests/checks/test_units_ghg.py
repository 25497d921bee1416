"""Units of greenhouse-gas amounts: scale conversions, and the dry-air column rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoverify.errors import EvidenceError, UnitError
from geoverify.io.collocations import convert_values, read_collocations
from geoverify.units import convert

AVOGADRO = 6.02214076e23  # exact (SI 2019)


def test_ppm_ppb_round_trip() -> None:
    assert convert(1.0, "ppm", "ppb") == pytest.approx(1000.0)
    assert convert(1890.0, "ppb", "ppm") == pytest.approx(1.89)
    values = np.array([410.25, 0.0, 3.5])
    back = convert_values(convert_values(values, "ppm", "ppb"), "ppb", "ppm")
    np.testing.assert_allclose(back, values, rtol=1e-15)


def test_mol_m2_molecules_cm2_round_trip() -> None:
    # 1 mol/m2 = N_A molecules / 1e4 cm2
    assert convert_values(1.0, "mol/m2", "molecules/cm2") == pytest.approx(AVOGADRO / 1e4)
    no2 = np.array([4.0e15, 1.5e15])
    in_mol = convert_values(no2, "molecules/cm2", "mol/m2")
    np.testing.assert_allclose(in_mol, no2 * 1e4 / AVOGADRO, rtol=1e-12)
    np.testing.assert_allclose(convert_values(in_mol, "mol/m2", "molecules/cm2"), no2, rtol=1e-12)


def test_mole_fraction_to_column_is_refused_without_dry_air() -> None:
    with pytest.raises(UnitError) as info:
        convert_values(400.0, "ppm", "molecules/cm2")
    assert "not a unit conversion" in str(info.value)
    assert "dry_air_column" in str(info.value)
    with pytest.raises(UnitError):
        convert(400.0, "ppm", "molecules/cm2")


def test_mole_fraction_to_column_with_dry_air() -> None:
    dry = 2.1e25  # molecules/cm2, about sea level
    column = convert_values(400.0, "ppm", "molecules/cm2", dry_air_column=dry)
    assert float(column) == pytest.approx(400e-6 * 2.1e25)  # 8.4e21 by hand
    back = convert_values(column, "molecules/cm2", "ppb", dry_air_column=dry)
    assert float(back) == pytest.approx(400_000.0)


def _write(tmp_path: Path, frame: pd.DataFrame, name: str = "c.csv") -> str:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def _table(unit: str | None = "ppb", gas: str = "XCO2") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "gas": [gas] * 4,
            "station": ["a", "a", "b", "b"],
            "retrieved": [410_500.0, 411_000.0, 409_000.0, 412_250.0],
            "reference": [410_000.0, 410_000.0, 410_000.0, 410_000.0],
            "uncertainty": [900.0, 800.0, 1000.0, 900.0],
        }
    )
    if unit is not None:
        frame["unit"] = unit
    return frame


def test_table_in_ppb_is_converted_to_ppm(tmp_path: Path) -> None:
    out = read_collocations(_write(tmp_path, _table("ppb")), gas="XCO2")
    np.testing.assert_allclose(out["difference"], [0.5, 1.0, -1.0, 2.25])
    np.testing.assert_allclose(out["uncertainty"], [0.9, 0.8, 1.0, 0.9])
    assert out.attrs["unit"] == "ppm"
    assert out.attrs["source_units"] == ["ppb"]


def test_declared_unit_contradicting_the_table_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="declares unit = 'ppm'"):
        read_collocations(_write(tmp_path, _table("ppb")), gas="XCO2", unit="ppm")


def test_no_unit_anywhere_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="no unit"):
        read_collocations(_write(tmp_path, _table(None)), gas="XCO2")


def test_column_density_for_xco2_needs_dry_air(tmp_path: Path) -> None:
    dry = 2.0e25
    frame = _table(None)
    ppm_diff = np.array([0.5, 1.0, -1.0, 2.25])
    frame["retrieved"] = (410.0 + ppm_diff) * 1e-6 * dry
    frame["reference"] = 410.0 * 1e-6 * dry
    frame["uncertainty"] = 1e-6 * dry
    path = _write(tmp_path, frame)
    with pytest.raises(UnitError, match="not a unit conversion"):
        read_collocations(path, gas="XCO2", unit="molecules/cm2")
    out = read_collocations(path, gas="XCO2", unit="molecules/cm2", dry_air_column=dry)
    np.testing.assert_allclose(out["difference"], ppm_diff, rtol=1e-9)
    np.testing.assert_allclose(out["uncertainty"], 1.0)


def test_implausible_dry_air_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, _table("molecules/cm2"))
    with pytest.raises(EvidenceError, match="plausible"):
        read_collocations(path, gas="XCO2", dry_air_column=2.1e21)


def test_unit_of_another_dimension_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UnitError):
        read_collocations(_write(tmp_path, _table("m")), gas="XCO2")
    with pytest.raises(UnitError, match="unknown unit"):
        read_collocations(_write(tmp_path, _table("ppmv")), gas="XCO2")


def test_parquet_and_netcdf_read_like_csv(tmp_path: Path) -> None:
    import xarray as xr

    frame = _table("ppb")
    csv = read_collocations(_write(tmp_path, frame), gas="XCO2")
    frame.to_parquet(tmp_path / "c.parquet")
    parquet = read_collocations(str(tmp_path / "c.parquet"), gas="XCO2")
    xr.Dataset.from_dataframe(frame.drop(columns=["gas", "unit"])).to_netcdf(
        tmp_path / "c.nc", engine="scipy"
    )
    netcdf = read_collocations(str(tmp_path / "c.nc"), gas="XCO2", declared_gas="XCO2", unit="ppb")
    for other in (parquet, netcdf):
        np.testing.assert_allclose(other["difference"], csv["difference"])
        assert list(other["station"]) == ["a", "a", "b", "b"]


def test_gas_filter_and_aliases(tmp_path: Path) -> None:
    frame = pd.concat([_table("ppb", "CO2"), _table("ppb", "XCH4")], ignore_index=True)
    out = read_collocations(_write(tmp_path, frame), gas="XCO2")
    assert len(out) == 4 and set(out["gas"]) == {"XCO2"}
    assert out.attrs["rows_other_gases"] == 4
    with pytest.raises(EvidenceError, match="no NO2 rows"):
        read_collocations(_write(tmp_path, frame), gas="NO2")
