"""The embedded demo study: deterministic, honest about what is real, consistent."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio

import sqe_geo
from sqe_geo import demo, demo_geometry

FOLDER = sqe_geo.DEMO_STUDY.parent


def test_demo_files_are_small():
    size = sum(p.stat().st_size for p in FOLDER.iterdir() if p.is_file())
    assert size < 5_000_000


def test_builder_is_deterministic_and_matches_the_committed_files(tmp_path: Path):
    demo.build(tmp_path)
    for name in ("demographics.csv", "planning_areas.csv"):
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name
    with (
        rasterio.open(tmp_path / "population_grid.tif") as a,
        rasterio.open(FOLDER / "population_grid.tif") as b,
    ):
        assert np.array_equal(a.read(), b.read())
        assert a.descriptions == b.descriptions


def test_quarters_and_planning_areas(demo_study):
    quarters = demo_study.quarters
    assert len(quarters) == 27
    assert quarters["quarter_id"].tolist() == [f"{i:02d}" for i in range(1, 28)]
    assert quarters.is_valid.all()
    assert set(quarters["planning_area"]) == set(demo_geometry.PLANNING_AREAS)
    muehlburg = quarters.set_index("name").loc["Mühlburg"]
    assert muehlburg["planning_area"] == "West"
    # Voronoi cells tile the outline: no overlaps or gaps were reported
    assert not demo_study.report.by_check("quarter_overlap")
    assert not demo_study.report.by_check("quarter_gap")
    assert abs(quarters.union_all().area - demo_geometry.city_outline().area) < 1.0


def test_published_2016_figures_are_kept(demo_study):
    table = demo_geometry.stadtteile().set_index("quarter_id")
    d2016 = demo_study.demographics.query("year == 2016").set_index("quarter_id")
    assert (d2016["total"] == table["total"]).all()
    assert (d2016["older"] == table["age_65_plus"]).all()
    assert (d2016["young"] == table["age_0_19"]).all()
    assert d2016["total"].sum() == 311_635
    assert d2016[["young", "working_age", "older"]].sum().sum() == 304_619
    assert (d2016["young_old"] + d2016["oldest_old"] == d2016["older"]).all()


def test_population_grid_adds_up_to_the_quarter_counts(demo_study):
    with rasterio.open(FOLDER / "population_grid.tif") as src:
        bands = dict(zip(src.descriptions, src.read(), strict=True))
        year = int(src.tags()["year"])
        rows, cols = np.nonzero(bands["total"] >= 0)
        xs, ys = rasterio.transform.xy(src.transform, rows, cols)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=src.crs)
    joined = points.sjoin(demo_study.quarters[["quarter_id", "geometry"]], how="left")
    table = demo_study.demographics
    counts = table[table["year"] == year].set_index("quarter_id")
    for group in ("total", "older", "oldest_old"):
        values = bands[group][rows, cols]
        per_quarter = pd.Series(values).groupby(joined["quarter_id"].to_numpy()).sum()
        assert (per_quarter.reindex(counts.index) == counts[group]).all(), group
        # no resident lives outside every quarter
        assert values[joined["quarter_id"].isna().to_numpy()].sum() == 0


def test_services_cover_every_category(demo_study):
    categories = set(demo_study.services["category"])
    assert categories == {
        "food", "pharmacy", "gp", "transit_stop", "meeting_place", "care_home", "bench"
    }  # fmt: skip
    homes = demo_study.services.query("category == 'care_home'")
    assert homes["capacity"].gt(0).all()
