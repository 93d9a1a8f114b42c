"""Accessibility surface of a study: the grid, the decay from the study file, the values."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from pyproj import CRS
from shapely.geometry import box

import sqe_geo
from sqe_geo._errors import InputDataError, StudyConfigError
from sqe_geo.access.surface import SurfaceDecay
from sqe_geo.config import AccessibilityConfig, SurfaceConfig, load_config
from sqe_geo.surface import regular_grid, study_grid, study_surface, surface_decay

X0, Y0 = 456_000.0, 5_430_000.0


def test_regular_grid_by_hand():
    quarter = gpd.GeoDataFrame(
        {"quarter_id": ["q1"]}, geometry=[box(X0, Y0, X0 + 250, Y0 + 150)], crs="EPSG:25832"
    )
    grid = regular_grid(quarter, "EPSG:25832", 100.0)
    # centres (X0+50, Y0+50) and (X0+150, Y0+50) are inside; +250 and +150 are on the edge
    assert grid.cells["cell_id"].tolist() == [
        f"CRS25832RES100mN{Y0:.0f}E{X0:.0f}",
        f"CRS25832RES100mN{Y0:.0f}E{X0 + 100:.0f}",
    ]
    assert grid.cells["quarter_id"].tolist() == ["q1", "q1"]
    np.testing.assert_allclose(grid.centres, [[X0 + 50, Y0 + 50], [X0 + 150, Y0 + 50]])
    assert grid.shape == (2, 3)  # rows Y0..Y0+200, columns X0..X0+300
    assert grid.cells.geometry.iloc[1].equals(box(X0 + 100, Y0, X0 + 200, Y0 + 100))


def test_zensus_grid_has_inspire_ids():
    # a quarter in EPSG:3035 around the Zensus cell CRS3035RES100mN2689100E4337000
    quarter = gpd.GeoDataFrame(
        {"quarter_id": ["q"]},
        geometry=[box(4_337_010, 2_689_110, 4_337_090, 2_689_190)],
        crs="EPSG:3035",
    ).to_crs("EPSG:25832")
    grid = regular_grid(quarter, "EPSG:3035", 100.0)
    assert grid.cells["cell_id"].tolist() == ["CRS3035RES100mN2689100E4337000"]
    assert grid.crs == CRS("EPSG:3035")


def test_decay_from_the_study_file_by_hand():
    decay = surface_decay(AccessibilityConfig())
    # 15 and 5 minutes at 0.8 m/s
    assert decay == SurfaceDecay("gaussian", 15 * 48.0, 5 * 48.0)
    acc = AccessibilityConfig(walking_speed_mps=1.0, surface=SurfaceConfig(decay="cumulative"))
    assert surface_decay(acc).kind == "cumulative"
    assert surface_decay(acc).reach_m == 900.0


def test_bad_surface_section_is_named(tmp_path: Path):
    text = sqe_geo.DEMO_STUDY.read_text(encoding="utf-8")
    for name in ("quarters.gpkg", "demographics.csv", "planning_areas.csv"):
        shutil.copy(sqe_geo.DEMO_STUDY.parent / name, tmp_path / name)
    path = tmp_path / "study.toml"
    path.write_text(text + "\n[accessibility.surface]\nreach_min = 10\nscale_min = 12\n")
    with pytest.raises(StudyConfigError, match=r"accessibility\.surface.*scale_min \(12 min\)"):
        load_config(path)
    path.write_text(text + '\n[accessibility.surface]\ndecay = "linear"\n')
    with pytest.raises(StudyConfigError, match=r"accessibility\.surface\.decay"):
        load_config(path)


def test_demo_grid_is_the_population_raster(demo_study):
    grid = study_grid(demo_study)
    with rasterio.open(demo_study.config.population_grid.path) as raster:
        transform, crs = raster.transform, raster.crs
    assert grid.crs == CRS.from_user_input(crs)
    # the same cell size and alignment as the raster
    assert grid.transform.a == transform.a == 100.0
    assert (grid.transform.c - transform.c) % 100 == 0
    assert (grid.transform.f - transform.f) % 100 == 0
    # every cell's centre lies in the quarter it is tagged with
    quarters = demo_study.quarters.set_index("quarter_id")
    sample = grid.cells.sample(200, random_state=1)
    centres = gpd.points_from_xy(*grid.centres[sample.index.to_numpy()].T, crs=quarters.crs)
    inside = [
        quarters.geometry[q].contains(p) for q, p in zip(sample["quarter_id"], centres, strict=True)
    ]
    assert all(inside)
    assert grid.cells["cell_id"].is_unique


def test_demo_surface_values(demo_study):
    surface = study_surface(demo_study, ["food", "care_home"])
    assert surface.capacity == ["care_home"]
    layer = surface.layer()
    assert list(layer.columns) == [
        "cell_id", "quarter_id", "minutes_food", "score_food", "minutes_care_home",
        "score_care_home", "geometry",
    ]  # fmt: skip
    minutes = layer["minutes_food"]
    assert (minutes.dropna() >= 0).all() and minutes.notna().mean() > 0.7
    # off the network: both measures NaN together; a cell with a food store near scores > 0
    assert (layer["score_food"].isna() == minutes.isna()).all()
    assert (layer.loc[minutes < 3, "score_food"] > 0.3).all()
    with pytest.raises(InputDataError, match="pizza"):
        study_surface(demo_study, ["pizza"])
