"""The accessibility surface as GeoTIFF and GeoPackage, and ``sqe-geo surface``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio

from sqe_geo._errors import ExportError
from sqe_geo.cli import main
from sqe_geo.outputs.surface_files import NODATA, SURFACE_LAYER, write_surface
from sqe_geo.surface import study_surface


@pytest.fixture(scope="module")
def surface(demo_study):
    return study_surface(demo_study, ["food", "care_home"])


def test_geotiff_round_trip(surface, tmp_path: Path):
    path = write_surface(surface, tmp_path / "s.tif")
    with rasterio.open(path) as raster:
        assert raster.count == 4
        assert raster.descriptions == (
            "minutes_food", "score_food", "minutes_care_home", "score_care_home",
        )  # fmt: skip
        assert raster.nodata == NODATA
        assert raster.crs.to_epsg() == 25832
        assert raster.transform == surface.grid.transform
        assert raster.shape == surface.grid.shape
        bands = raster.read()
    cells = surface.grid.cells
    r, c = cells["row"].to_numpy(), cells["col"].to_numpy()
    for k, name in enumerate(raster.descriptions):
        expected = surface.values[name].to_numpy()
        got = bands[k, r, c].astype(float)
        got[got == NODATA] = np.nan
        np.testing.assert_allclose(got, expected, rtol=1e-6, equal_nan=True)
    outside = np.ones(surface.grid.shape, dtype=bool)
    outside[r, c] = False
    assert (bands[:, outside] == NODATA).all()
    # a cell's square contains the pixel centre of its row and column
    centre = rasterio.transform.xy(surface.grid.transform, int(r[0]), int(c[0]))
    assert cells.geometry.iloc[0].contains(gpd.points_from_xy([centre[0]], [centre[1]])[0])
    assert not list(tmp_path.glob("*.part"))


def test_geopackage_round_trip(surface, tmp_path: Path):
    path = write_surface(surface, tmp_path / "s.gpkg")
    layer = gpd.read_file(path, layer=SURFACE_LAYER)
    assert layer.crs.to_epsg() == 25832
    assert layer["cell_id"].tolist() == surface.grid.cells["cell_id"].tolist()
    np.testing.assert_allclose(layer["score_care_home"], surface.values["score_care_home"])
    assert set(layer.columns) == {
        "cell_id", "quarter_id", "minutes_food", "score_food", "minutes_care_home",
        "score_care_home", "geometry",
    }  # fmt: skip


def test_wrong_suffix_writes_nothing(surface, tmp_path: Path):
    with pytest.raises(ExportError, match=r"\.csv"):
        write_surface(surface, tmp_path / "s.csv")
    assert not list(tmp_path.iterdir())


def test_cli_surface(tmp_path: Path, capsys):
    out = tmp_path / "s.tif"
    assert main(["--lang", "en", "surface", "--out", str(out), "--category", "pharmacy"]) == 0
    printed = capsys.readouterr().out
    assert "Pharmacy: median" in printed and str(out) in printed
    with rasterio.open(out) as raster:
        assert raster.descriptions == ("minutes_pharmacy", "score_pharmacy")
    assert main(["surface", "--out", str(tmp_path / "s.csv")]) == 2
    assert "nicht als .csv" in capsys.readouterr().err
    assert main(["surface", "--out", str(tmp_path / "t.tif"), "--category", "pizza"]) == 2
    assert not (tmp_path / "t.tif").exists()
