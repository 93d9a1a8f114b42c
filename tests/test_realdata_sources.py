"""Real Karlsruhe data read in place from ../shared/karlsruhe (skipped when absent).

Figures asserted here were observed in the files (see ../shared/karlsruhe/SOURCES.md).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from sqe_geo.io.keys import add_quarter_ids, match_keys
from sqe_geo.io.osm import read_osm_services
from sqe_geo.io.osm_json import read_service_list_json
from sqe_geo.io.portal import band_label_from_filename, read_portal_bands, read_portal_csv
from sqe_geo.quality import QualityReport

KARLSRUHE = Path(__file__).resolve().parents[2] / "shared" / "karlsruhe"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not KARLSRUHE.is_dir(), reason=f"real Karlsruhe data folder {KARLSRUHE} is absent"
    ),
]

BAND_FILES = {
    "altersstruktur-der-bevolkerung-unter-3-jahrige-nach-geschlecht.csv": "0-2",
    "altersstruktur-der-bevolkerung-3-bis-unter-6-jahrige-nach-geschlecht.csv": "3-5",
    "altersstruktur-der-bevolkerung-6-bis-unter-15-jahrige-nach-geschlecht.csv": "6-14",
    "altersstruktur-der-bevolkerung-15-bis-unter-18-jahrige-nach-geschlecht.csv": "15-17",
}
PORTAL_FILES = [*BAND_FILES, "bevolkerung-wohnberechtigte-bevolkerung.csv"]


@pytest.fixture(scope="module")
def stadtteile() -> pd.DataFrame:
    gdf = gpd.read_file(KARLSRUHE / "boundaries" / "stadtteile.geojson")
    return pd.DataFrame(
        {
            "quarter_id": gdf["Stadtteilnummer"].astype(int).map("{:02d}".format),
            "name": gdf["Stadtteilname"].astype(str),
        }
    )


def test_reference_has_27_stadtteile(stadtteile: pd.DataFrame) -> None:
    assert len(stadtteile) == 27
    assert stadtteile["quarter_id"].is_unique
    assert sorted(stadtteile["quarter_id"]) == [f"{i:02d}" for i in range(1, 28)]


@pytest.mark.parametrize("filename", PORTAL_FILES)
def test_portal_csv_matches_all_27_stadtteile(filename: str, stadtteile: pd.DataFrame) -> None:
    report = QualityReport()
    table = read_portal_csv(KARLSRUHE / "population" / filename, report=report)
    assert len(table) == 405  # 27 Stadtteile x 15 years
    assert table["year"].min() == 2007
    assert table["year"].max() == 2021
    mapping, unmatched = match_keys(table["quarter_key"], stadtteile, report=report)
    # Observed: every one of the 27 names is spelled exactly as in stadtteile.geojson, so
    # nothing is unmatched, nothing needs normalising or fuzzy matching.
    assert unmatched == []
    assert len(mapping) == 27
    assert sorted(mapping.values()) == sorted(stadtteile["quarter_id"])
    assert report.findings == []


def test_band_files_combine_into_one_wide_table(stadtteile: pd.DataFrame) -> None:
    assert {f: band_label_from_filename(f) for f in BAND_FILES} == BAND_FILES
    report = QualityReport()
    wide = read_portal_bands(BAND_FILES, directory=KARLSRUHE / "population", report=report)
    wide = add_quarter_ids(wide, stadtteile, report=report)
    assert wide.shape == (405, 7)
    assert wide["quarter_id"].notna().all()
    assert wide[["0-2", "3-5", "6-14", "15-17"]].notna().all().all()
    assert report.findings == []
    city_2021 = wide.loc[wide["year"] == 2021, ["0-2", "3-5", "6-14", "15-17"]].sum()
    assert city_2021.tolist() == [7812.0, 7630.0, 20910.0, 6971.0]
    # Sexes add up in the published counts.
    women = read_portal_bands(
        BAND_FILES, directory=KARLSRUHE / "population", value_column="weiblich"
    )
    men = read_portal_bands(BAND_FILES, directory=KARLSRUHE / "population", value_column="männlich")
    bands = list(BAND_FILES.values())
    both = wide.set_index(["quarter_key", "year"])[bands]
    summed = women.set_index(["quarter_key", "year"]) + men.set_index(["quarter_key", "year"])
    pd.testing.assert_frame_equal(both.sort_index(), summed[bands].sort_index())


def test_wohnberechtigte_city_total_matches_2016_figure() -> None:
    table = read_portal_csv(
        KARLSRUHE / "population" / "bevolkerung-wohnberechtigte-bevolkerung.csv"
    )
    totals = table.groupby("year")["Wohnberechtigte"].sum()
    # Same city total as Einwohner_2016 in population/stadtteile_2016_bevoelkerung.geojson.
    assert totals.loc[2016] == 311_635
    assert totals.loc[2021] == 301_749


def test_orte_osm_json_into_services_contract() -> None:
    report = QualityReport()
    services = read_service_list_json(KARLSRUHE / "services" / "orte_osm.json", report=report)
    assert services.crs.to_epsg() == 4326
    assert services["service_id"].is_unique
    counts = services["category"].value_counts().to_dict()
    assert counts == {"food": 100, "park": 55, "marketplace": 17, "bench": 1}
    assert (services.loc[services["category"] == "food", "source_category"] == "supermarket").all()
    minx, miny, maxx, maxy = services.total_bounds
    assert 8.2 < minx < maxx < 8.6
    assert 48.9 < miny < maxy < 49.1
    (unused,) = report.by_check("json_records_not_used")
    assert unused.count == 1661 - 173
    assert "memorial: 433" in unused.items
    assert not report.by_check("json_invalid_coordinates")
    assert not report.by_check("duplicate_service_ids")


@pytest.mark.parametrize(
    ("name", "expected", "merged"),
    [
        # 9 stop objects; the two poles of Enzstraße and of Nürnberger Straße are one stop each
        ("kitti_00.osm", {"transit_stop": 7}, 2),
        # 13 stop objects: both directions of six stops within 50 m; benches are never merged
        ("kitti_04.osm", {"transit_stop": 7, "bench": 4}, 6),
    ],
)
def test_osm_network_extracts_yield_services(
    name: str, expected: dict[str, int], merged: int
) -> None:
    report = QualityReport()
    services = read_osm_services(KARLSRUHE / "network" / name, report=report)
    assert services["category"].value_counts().to_dict() == expected
    assert services["service_id"].is_unique
    minx, miny, maxx, maxy = services.total_bounds
    assert 8.2 < minx < maxx < 8.6
    assert 48.9 < miny < maxy < 49.1
    assert [f.check for f in report.findings] == ["osm_same_place_merged"]
    assert report.findings[0].count == merged
