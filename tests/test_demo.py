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


def test_rebuild_matches_the_committed_demo(karlsruhe: Path, tmp_path: Path):
    """The committed demo is what the builder makes of the public files (same content)."""
    demo.build(karlsruhe, tmp_path)
    for name in ("demographics.csv", "planning_areas.csv"):
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name
    with (
        rasterio.open(tmp_path / "population_grid.tif") as a,
        rasterio.open(FOLDER / "population_grid.tif") as b,
    ):
        assert np.array_equal(a.read(), b.read())
        assert a.descriptions == b.descriptions
        assert a.tags() == b.tags()
    for name, layer in (("quarters", "quarters"), ("services", "services"), ("streets", "streets")):
        built = gpd.read_file(tmp_path / f"{name}.gpkg", layer=layer)
        committed = gpd.read_file(FOLDER / f"{name}.gpkg", layer=layer)
        pd.testing.assert_frame_equal(
            pd.DataFrame(built.drop(columns="geometry")),
            pd.DataFrame(committed.drop(columns="geometry")),
        )
        assert built.geometry.geom_equals_exact(committed.geometry, tolerance=1e-6).all(), name


def test_builder_names_a_missing_source_file(tmp_path: Path):
    code = demo.main(["build", "--sources", str(tmp_path), str(tmp_path / "out")])
    assert code == 2
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_quarters_are_the_real_stadtteile(demo_study):
    quarters = demo_study.quarters
    assert len(quarters) == 27
    assert quarters["quarter_id"].tolist() == [f"{i:02d}" for i in range(1, 28)]
    assert quarters.is_valid.all()
    assert set(quarters["planning_area"]) == set(demo_geometry.PLANNING_AREAS)
    muehlburg = quarters.set_index("name").loc["Mühlburg"]
    assert muehlburg["planning_area"] == "West"
    # the coverage simplification keeps shared borders shared: no overlaps or gaps
    assert not demo_study.report.by_check("quarter_overlap")
    assert not demo_study.report.by_check("quarter_gap")
    # Karlsruhe covers 173.4 km² (Stadt Karlsruhe); simplification changes it by < 0.1 %
    assert abs(quarters.union_all().area / 1e6 - 173.4) < 0.2


def test_quarters_follow_the_published_boundaries(demo_study, karlsruhe: Path):
    source = gpd.read_file(karlsruhe / "boundaries" / "stadtteile.geojson")
    source = source.set_crs("EPSG:4326", allow_override=True).to_crs(demo_study.quarters.crs)
    source["quarter_id"] = source["Stadtteilnummer"].astype(int).map("{:02d}".format)
    merged = demo_study.quarters.merge(
        pd.DataFrame(source[["quarter_id", "geometry"]]), on="quarter_id", suffixes=("", "_src")
    )
    # each simplified polygon stays within 15 m of the published one (tolerance 10 m, a
    # bound on the removed triangles, not on the distance), area within 1 %
    distance = merged.geometry.hausdorff_distance(gpd.GeoSeries(merged["geometry_src"]))
    assert (distance <= 15.0).all()
    area_src = gpd.GeoSeries(merged["geometry_src"]).area
    assert ((merged.geometry.area - area_src).abs() / area_src < 0.01).all()


def test_published_2016_figures_are_kept(demo_study, karlsruhe: Path):
    columns = ["Stadtteilnummer", "Einwohner_2016", "Alter_0-19_2016", "Alter_20-64_2016"]
    table = pd.DataFrame(
        gpd.read_file(
            karlsruhe / "population" / "stadtteile_2016_bevoelkerung.geojson",
            columns=[*columns, "Alter_65+_2016"],
            ignore_geometry=True,
        )
    )
    table["quarter_id"] = table["Stadtteilnummer"].astype(int).map("{:02d}".format)
    table = table.set_index("quarter_id").sort_index()
    d2016 = demo_study.demographics.query("year == 2016").set_index("quarter_id")
    assert (d2016["total"] == table["Einwohner_2016"]).all()
    assert (d2016["older"] == table["Alter_65+_2016"]).all()
    assert (d2016["young"] == table["Alter_0-19_2016"]).all()
    assert (d2016["working_age"] == table["Alter_20-64_2016"]).all()


def test_2016_totals_and_the_published_gap(demo_study):
    d2016 = demo_study.demographics.query("year == 2016")
    assert d2016["total"].sum() == 311_635
    assert d2016[["young", "working_age", "older"]].sum().sum() == 304_619
    assert (d2016["young_old"] + d2016["oldest_old"] == d2016["older"]).all()
    assert demo_study.report.by_check("bands_vs_total")


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


def test_services_say_which_are_real():
    services = gpd.read_file(FOLDER / "services.gpkg", layer="services")
    synthetic = services.groupby("category")["synthetisch"].agg(["all", "any"])
    assert not synthetic.loc["bench", "any"]
    assert synthetic.drop(["food", "bench"])["all"].all()
    food = services.query("category == 'food'")
    assert food["name"].str.startswith("Wochenmarkt").sum() == 19
    # one synthetic food store in each Stadtteil the OSM place list has none in
    without_food = [
        "Grötzingen", "Grünwettersbach", "Hohenwettersbach", "Palmbach", "Stupferich",
        "Weiherfeld-Dammerstock", "Wolfartsweier",
    ]  # fmt: skip
    expected = [f"Lebensmittelmarkt {name}" for name in without_food]
    assert sorted(food.loc[food["synthetisch"], "name"]) == expected
    assert len(services.query("category == 'bench'")) > 3000


def test_population_grid_follows_the_address_points():
    with rasterio.open(FOLDER / "population_grid.tif") as src:
        tags = src.tags()
    assert tags["year"] == "2016"
    # the four hill districts without any address point in the source
    assert tags["even_spread_quarters"] == "21,22,24,25"
