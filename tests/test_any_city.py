"""Any German city from one OpenStreetMap file plus the Zensus grid, end to end.

A small town is generated in the documented formats: an OSM XML file with two quarters
(``boundary=administrative``, ``admin_level=10``), a street grid and services, Zensus 2022
100 m CSVs (Bevölkerungszahl and Alter in 10er-Jahresgruppen, EPSG:3035 cell centres) and a
demographics CSV keyed by quarter name. The study file points every input at these files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

import sqe_geo
from sqe_geo.aggregate import CITY_ID

LON0, LAT0 = 8.400, 49.000
STEP = 0.001  # about 73 m east-west, 111 m north-south
COLS, ROWS = 10, 4  # street grid 10 × 4 blocks; the quarters split it at column 5


def _tags(**tags: str) -> str:
    return "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())


def _town_osm(path: Path) -> Path:
    nodes, ways, relations = [], [], []

    def nid(c: int, r: int) -> int:
        return 1 + r * (COLS + 1) + c

    for r in range(ROWS + 1):
        for c in range(COLS + 1):
            nodes.append(
                f'<node id="{nid(c, r)}" version="1" lat="{LAT0 + r * STEP:.6f}" '
                f'lon="{LON0 + c * STEP:.6f}"/>'
            )
    wid = 100
    for r in range(ROWS + 1):  # east-west streets
        refs = "".join(f'<nd ref="{nid(c, r)}"/>' for c in range(COLS + 1))
        ways.append(f'<way id="{wid}" version="1">{refs}{_tags(highway="residential")}</way>')
        wid += 1
    for c in range(COLS + 1):  # north-south streets
        refs = "".join(f'<nd ref="{nid(c, r)}"/>' for r in range(ROWS + 1))
        ways.append(f'<way id="{wid}" version="1">{refs}{_tags(highway="residential")}</way>')
        wid += 1
    # two quarters as closed boundary ways referenced by relations
    for k, (c0, c1, name, ref) in enumerate([(0, 5, "Altstadt", "1"), (5, 10, "Neustadt", "2")]):
        ring = [nid(c0, 0), nid(c1, 0), nid(c1, ROWS), nid(c0, ROWS), nid(c0, 0)]
        refs = "".join(f'<nd ref="{n}"/>' for n in ring)
        ways.append(f'<way id="{900 + k}" version="1">{refs}</way>')
        relations.append(
            f'<relation id="{500 + k}" version="1"><member type="way" ref="{900 + k}" '
            f'role="outer"/>'
            + _tags(
                type="boundary", boundary="administrative", admin_level="10", name=name, ref=ref
            )
            + "</relation>"
        )
    services = [
        (8001, 1.5, 2.0, {"shop": "supermarket", "name": "Markt Altstadt"}),
        (8002, 2.0, 1.0, {"amenity": "pharmacy", "name": "Apotheke"}),
        (8003, 8.0, 3.0, {"amenity": "nursing_home", "capacity": "60", "name": "Heim"}),
        (8004, 7.0, 2.0, {"amenity": "bench"}),
        (8005, 3.0, 3.0, {"highway": "bus_stop", "name": "Markt"}),
    ]
    for sid, c, r, tags in services:
        nodes.append(
            f'<node id="{sid}" version="1" lat="{LAT0 + r * STEP:.6f}" '
            f'lon="{LON0 + c * STEP + 0.0002:.6f}">{_tags(**tags)}</node>'
        )
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
        + "\n".join([*nodes, *ways, *relations])
        + "\n</osm>\n",
        encoding="utf-8",
    )
    return path


TEN = ["Unter10", "a10bis19", "a20bis29", "a30bis39", "a40bis49", "a50bis59", "a60bis69",
       "a70bis79", "a80undaelter"]  # fmt: skip


def _zensus(folder: Path) -> tuple[Path, Path, int]:
    """Zensus CSVs for every 100 m cell whose centre lies in the town; returns the total."""
    to3035 = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
    xs, ys = to3035.transform(
        [LON0, LON0 + COLS * STEP, LON0, LON0 + COLS * STEP],
        [LAT0, LAT0, LAT0 + ROWS * STEP, LAT0 + ROWS * STEP],
    )
    e0, e1 = int(min(xs) // 100 * 100), int(max(xs) // 100 * 100)
    n0, n1 = int(min(ys) // 100 * 100), int(max(ys) // 100 * 100)
    rng = np.random.default_rng(7)
    pop_rows, age_rows, total = [], [], 0
    for e in range(e0, e1 + 100, 100):
        for n in range(n0, n1 + 100, 100):
            ages = rng.integers(0, 6, len(TEN))
            people = int(ages.sum())
            total += people
            head = [f"CRS3035RES100mN{n}E{e}", str(e + 50), str(n + 50)]
            pop_rows.append(";".join([*head, str(people) if people else "–"]))
            age_rows.append(";".join([*head, str(people), *[str(a) if a else "–" for a in ages]]))
    pop = folder / "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv"
    pop.write_text(
        "GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner\n" + "\n".join(pop_rows) + "\n",
        encoding="utf-8",
    )
    ages_file = folder / "Zensus2022_Alter_in_10er-Jahresgruppen_100m-Gitter.csv"
    ages_file.write_text(
        "GITTER_ID_100m;x_mp_100m;y_mp_100m;Insgesamt_Bevoelkerung;"
        + ";".join(TEN)
        + "\n"
        + "\n".join(age_rows)
        + "\n",
        encoding="cp1252",
    )
    return pop, ages_file, total


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("town")
    _town_osm(folder / "town.osm")
    pop, ages, _ = _zensus(folder)
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
