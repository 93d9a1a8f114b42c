"""Planning areas that balance on the real 2016 Stadtteile (../shared/karlsruhe, read in place).

The official boundaries (not the demo's simplified ones) with the published 65+ per
Stadtteil of 2016, the demo's illustrative grouping as the current areas.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import sqe_geo
from sqe_geo.pipeline import Results
from sqe_geo.regions import RegionRequest, propose_areas
from sqe_geo.regions_compare import compare_areas

pytest.importorskip("spopt", reason="the optional extra 'regions' (spopt) is not installed")

from test_regions import assert_contiguous, queen_graph

pytestmark = pytest.mark.realdata

POPULATION = Path("population/stadtteile_2016_bevoelkerung.geojson")
BOUNDARIES = Path("boundaries/stadtteile.geojson")


@pytest.fixture(scope="module")
def real_results(karlsruhe: Path, tmp_path_factory: pytest.TempPathFactory) -> Results:
    folder = tmp_path_factory.mktemp("realdata-regions")
    features = json.loads((karlsruhe / POPULATION).read_text(encoding="utf-8"))["features"]
    with (folder / "einwohner.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Stadtteilnummer", "Einwohner", "Alter_0_19", "Alter_20_64", "Alter_65"])
        for feature in features:
            p = feature["properties"]
            writer.writerow(
                [
                    p["Stadtteilnummer"],
                    p["Einwohner_2016"],
                    p["Alter_0-19_2016"],
                    p["Alter_20-64_2016"],
                    p["Alter_65+_2016"],
                ]
            )
    areas = sqe_geo.DEMO_STUDY.parent / "planning_areas.csv"
    (folder / "study.toml").write_text(
        f"""\
name = "karlsruhe-2016-regions"

[quarters]
path = "{(karlsruhe / BOUNDARIES).as_posix()}"
id_column = "Stadtteilnummer"
name_column = "Stadtteilname"

[planning_areas]
path = "{areas.as_posix()}"

[demographics]
path = "einwohner.csv"
key_column = "Stadtteilnummer"
year = 2016
total_column = "Einwohner"

[demographics.bands]
Alter_0_19 = "0-19"
Alter_20_64 = "20-64"
Alter_65 = "65+"
""",
        encoding="utf-8",
    )
    return sqe_geo.run(sqe_geo.load_study(folder / "study.toml"), accessibility=False)


@pytest.mark.parametrize("method", ["skater", "azp", "maxp"])
def test_six_contiguous_areas_on_the_real_stadtteile(real_results: Results, method: str):
    quarters = real_results.study.quarters
    assert len(quarters) == 27
    mapping = propose_areas(real_results, RegionRequest(k=6, method=method))
    assert mapping["planning_area"].nunique() == 6
    assert_contiguous(mapping, queen_graph(quarters))
    spread = compare_areas(real_results, mapping).spread.set_index("scheme")
    assert spread.loc["current", "areas"] == 6
    if method == "azp":
        assert spread.loc["proposal", "cv"] < spread.loc["current", "cv"] / 2
