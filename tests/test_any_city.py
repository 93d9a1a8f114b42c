"""Any German city from one OpenStreetMap file plus the Zensus grid, end to end.

A small town is generated in the documented formats: an OSM XML file with two quarters
(``boundary=administrative``, ``admin_level=10``), a street grid and services, Zensus 2022
100 m CSVs (Bevölkerungszahl and Alter in 10er-Jahresgruppen, EPSG:3035 cell centres) and a
demographics CSV keyed by quarter name. The study file points every input at these files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from towns import write_town_osm, write_zensus

import sqe_geo
from sqe_geo.stats.aggregate import CITY_ID


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("town")
    write_town_osm(folder / "town.osm")
    zensus = write_zensus(folder)
    pop, ages = zensus["population"], zensus["age_10y"]
    (folder / "einwohner.csv").write_text(
        "Quartier;Jahr;Einwohner;u20;20-64;65-79;80+\n"
        "ALTSTADT;2022;820;150;450;160;60\n"
        "Neu-Stadt;2022;640;120;350;120;50\n"
        "ALTSTADT;2024;830;150;445;165;70\n"
        "Neu-Stadt;2024;650;125;350;120;55\n",
        encoding="utf-8",
    )
    (folder / "study.toml").write_text(
        f"""
name = "town"
title = "Musterstadt"
[quarters]
path = "town.osm"
admin_level = 10
[planning_areas]
mapping = {{ Mitte = ["Altstadt", "Neustadt"] }}
[demographics]
path = "einwohner.csv"
key_column = "Quartier"
year_column = "Jahr"
total_column = "Einwohner"
[demographics.bands]
u20 = "0-19"
"20-64" = "20-64"
"65-79" = "65-79"
"80+" = "80+"
[population_grid]
path = "{pop.name}"
additional_paths = ["{ages.name}"]
[services]
path = "town.osm"
[network]
path = "town.osm"
[disclosure]
enabled = false
""",
        encoding="utf-8",
    )
    return folder / "study.toml"


@pytest.fixture(scope="module")
def results(town: Path):
    return sqe_geo.run(sqe_geo.load_study(town))


def test_quarters_come_from_the_osm_boundaries(results):
    quarters = results.study.quarters
    assert quarters["name"].tolist() == ["Altstadt", "Neustadt"]
    assert quarters["quarter_id"].tolist() == ["01", "02"]
    # "Neu-Stadt" in the table matched Neustadt without a fuzzy guess (normalised name)
    assert results.counts["quarter"].loc[("02", 2022), "total"] == 640


def test_services_come_from_the_osm_tags(results):
    services = results.study.services
    assert set(services["category"]) >= {"food", "pharmacy", "care_home", "bench", "transit_stop"}
    home = services[services["category"] == "care_home"].iloc[0]
    assert home["capacity"] == 60


def test_zensus_cells_give_where_residents_live_and_totals_are_kept(results):
    for year in (2022, 2024):
        origins = results.origins[year]
        per_quarter = origins.groupby("quarter_id")[["total", "older", "oldest_old"]].sum()
        counts = results.counts["quarter"].xs(year, level="year")
        for group in ("total", "older", "oldest_old"):
            assert per_quarter[group].to_numpy() == pytest.approx(counts[group].to_numpy())
    checks = {f.check for f in results.report.findings}
    assert "zensus_cell_key" in checks  # the perturbation caveat is stated


def test_accessibility_over_the_osm_network(results):
    city = results.values["city"].loc[(CITY_ID, 2024)]
    assert 0 <= city["coverage_food_older"] <= 100
    assert city["e2sfca_care_home_oldest_old"] > 0
    # the care home's 60 places spread over the reachable 80+ residents:
    # the population-weighted mean of A_i times 1000 cannot exceed 60 / reachable × 1000
    reachable = results.counts["city"].loc[(CITY_ID, 2024), "origins_oldest_old"]
    assert city["e2sfca_care_home_oldest_old"] <= 60 / reachable * 1000 + 1e-9
    assert results.distances[2024]["food"].notna().all()
