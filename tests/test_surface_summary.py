"""The per-quarter summary of the accessibility surface: population-weighted mean score.

A tiny study by hand: one street of 1 km, food stores at 100 m and 600 m, the cumulative
decay with a reach of 4 minutes at 1 m/s (240 m), residents spread evenly over address
points on the street.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sqe_geo
from sqe_geo.stats.aggregate import CITY_ID
from sqe_geo.stats.value_masks import protected_variables
from sqe_geo.surface import surface_counts

X0, Y0 = 456_000.0, 5_430_000.0
CRS = "EPSG:25832"


def _geojson(path: Path, features: list[tuple[dict[str, object], dict[str, object]]]) -> str:
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
                "features": [
                    {"type": "Feature", "properties": p, "geometry": g} for p, g in features
                ],
            }
        ),
        encoding="utf-8",
    )
    return str(path)


def _box(x0: float, x1: float) -> dict[str, object]:
    ring = [[X0 + x0, Y0 - 100], [X0 + x1, Y0 - 100], [X0 + x1, Y0 + 100], [X0 + x0, Y0 + 100]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _point(x: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [X0 + x, Y0]}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("surface-town")
    quarters = _geojson(
        folder / "quarters.geojson",
        [
            ({"id": "1", "name": "West"}, _box(0, 500)),
            ({"id": "2", "name": "Ost"}, _box(500, 1000)),
            ({"id": "3", "name": "Leer"}, _box(1000, 1500)),
        ],
    )
    line = {"type": "LineString", "coordinates": [[X0, Y0], [X0 + 1000, Y0]]}
    streets = _geojson(folder / "streets.geojson", [({}, line)])
    services = _geojson(
        folder / "services.geojson",
        [({"category": "food"}, _point(100)), ({"category": "food"}, _point(600))],
    )
    points = folder / "addresses.csv"
    points.write_text(
        "x,y\n" + "".join(f"{X0 + x},{Y0}\n" for x in (0, 350, 450, 550, 950)), encoding="utf-8"
    )
    (folder / "demographics.csv").write_text(
        "Stadtteil,Einwohner,u20,a20,a65\n1,1000,200,500,300\n2,800,100,500,200\n3,500,100,300,100\n",
        encoding="utf-8",
    )
    study = folder / "study.toml"
    study.write_text(
        f"""
name = "surface-town"
analysis_crs = "{CRS}"
[quarters]
path = "{quarters}"
id_column = "id"
name_column = "name"
[planning_areas]
mapping = {{ Alle = ["1", "2", "3"] }}
[demographics]
path = "demographics.csv"
key_column = "Stadtteil"
year = 2016
total_column = "Einwohner"
[demographics.bands]
u20 = "0-19"
a20 = "20-64"
a65 = "65+"
[population_grid]
path = "{points}"
x_column = "x"
y_column = "y"
crs = "{CRS}"
[services]
path = "{services}"
[network]
path = "{streets}"
[accessibility]
walking_speed_mps = 1.0
[accessibility.surface]
decay = "cumulative"
reach_min = 4
""",
        encoding="utf-8",
    )
    return sqe_geo.run(sqe_geo.load_study(study))


def test_population_weighted_mean_score_by_hand(results):
    # within 240 m of a store: x = 0 (100 m), 450 (150 m), 550 (50 m); not x = 350, 950
    # West: 300 older on 3 points -> (100 + 0 + 100) = 200; Ost: 200 on 2 points -> 100
    counts = results.counts["quarter"].xs(2016, level="year")
    np.testing.assert_allclose(counts["gravity_food_older_wsum"], [200.0, 100.0, np.nan])
    np.testing.assert_allclose(counts["gravity_food_total_wsum"], [1000 * 2 / 3, 800 / 2, np.nan])
    values = results.values["quarter"].xs(2016, level="year")
    # Leer has no residents' location: not computed (NaN), like its coverage
    np.testing.assert_allclose(values["gravity_food_older"], [2 / 3, 1 / 2, np.nan])
    assert np.isnan(values["coverage_food_older"].iloc[2])
    # planning area and city: summed numerators over summed residents, (200 + 100) / 500,
    # without the quarter that is not computed
    city = results.values["city"].loc[(CITY_ID, 2016), "gravity_food_older"]
    assert city == pytest.approx(0.6)
    area = results.values["planning_area"].loc[("Alle", 2016), "gravity_food_older"]
    assert area == pytest.approx(0.6)


def test_catalog_labels_and_disclosure(results):
    ind = results.catalog["gravity_food_older"]
    assert ind.kind == "mean"
    assert ind.label_de.startswith("Lebensmittel: Erreichbarkeitswert")
    assert ind.label_en.startswith("Food store: gravity accessibility score")
    # the denominator is the protected count of the coverage indicators; the score sum is
    # not a count of persons and is not protected
    protected = protected_variables(results.catalog)
    assert "counted_food_older" in protected
    assert not any(v.startswith("gravity_") for v in protected)


def test_surface_counts_of_some_categories(results):
    counts = results.counts["quarter"]
    only_food = surface_counts(results.study, results.origins, counts, ["food"])
    pd.testing.assert_frame_equal(
        only_food, counts[list(only_food.columns)], check_dtype=False, check_names=False
    )
    assert surface_counts(results.study, results.origins, counts, ["pharmacy"]).empty
