"""Tests of sqe_geo.io.osm on small hand-written OSM XML files and a PBF made from them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest
import shapely

from sqe_geo._errors import InputDataError, StudyConfigError
from sqe_geo.io.osm import read_osm_services
from sqe_geo.io.osm_boundaries import read_osm_boundaries
from sqe_geo.io.osm_json import read_service_list_json
from sqe_geo.io.osm_presets import load_osm_presets, parse_capacity
from sqe_geo.quality import QualityReport


def _node(nid: int, lon: float, lat: float, **tags: str) -> str:
    body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}">{body}</node>'


def _way(wid: int, nodes: list[int], **tags: str) -> str:
    refs = "".join(f'<nd ref="{n}"/>' for n in nodes)
    body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'<way id="{wid}" version="1">{refs}{body}</way>'


def _relation(rid: int, members: list[tuple[str, int, str]], **tags: str) -> str:
    mem = "".join(f'<member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in members)
    body = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
    return f'<relation id="{rid}" version="1">{mem}{body}</relation>'


def _osm(path: Path, nodes: list[str], ways: list[str], relations: list[str]) -> Path:
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
        + "\n".join([*nodes, *ways, *relations])
        + "\n</osm>\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def services_osm(tmp_path: Path) -> Path:
    nodes = [
        _node(1, 8.400, 49.000, shop="supermarket", name="Markt Eins"),
        _node(2, 8.401, 49.000, amenity="pharmacy", name="Apotheke"),
        _node(3, 8.402, 49.000, amenity="doctors", healthcare="doctor", name="Dr. A"),
        _node(4, 8.403, 49.000, highway="bus_stop", bench="yes", name="Haltestelle"),
        _node(5, 8.404, 49.000, amenity="bench"),
        _node(6, 8.405, 49.000, amenity="nursing_home", capacity="viele", name="Heim B"),
        _node(7, 8.406, 49.000, amenity="community_centre", name="Begegnung"),
        _node(8, 8.407, 49.000, amenity="restaurant", name="not a service"),
        _node(9, 8.408, 49.000, railway="tram_stop", public_transport="platform"),
        # corners of the care home (way 20), platform line (way 21), park (ways 30/31)
        _node(11, 8.410, 49.000),
        _node(12, 8.412, 49.000),
        _node(13, 8.412, 49.002),
        _node(14, 8.410, 49.002),
        _node(15, 8.420, 49.000),
        _node(16, 8.420, 49.004),
        _node(31, 8.430, 49.010),
        _node(32, 8.440, 49.010),
        _node(33, 8.440, 49.020),
        _node(34, 8.430, 49.020),
    ]
    ways = [
        _way(20, [11, 12, 13, 14, 11], amenity="nursing_home", capacity="ca. 80", name="Heim A"),
        _way(21, [15, 16], public_transport="platform"),
        _way(22, [15, 99], shop="bakery"),  # node 99 is not in the extract
        _way(30, [31, 32, 33]),
        _way(31, [33, 34, 31]),
    ]
    relations = [
        _relation(
            40,
            [("way", 30, "outer"), ("way", 31, "outer")],
            type="multipolygon",
            leisure="park",
            name="Stadtgarten",
        ),
        _relation(41, [("way", 30, "outer")], type="multipolygon", leisure="park", name="Kaputt"),
    ]
    return _osm(tmp_path / "services.osm", nodes, ways, relations)


def _to_pbf(xml: Path) -> Path:
    pbf = xml.with_suffix(".osm.pbf")
    writer = osmium.SimpleWriter(str(pbf))
    try:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    finally:
        writer.close()
    return pbf


def test_services_from_xml(services_osm: Path) -> None:
    report = QualityReport()
    gdf = read_osm_services(services_osm, report=report)
    assert gdf.crs.to_epsg() == 4326
    assert gdf["service_id"].is_unique
    counts = gdf["category"].value_counts().to_dict()
    assert counts == {
        "food": 1,
        "pharmacy": 1,
        "gp": 1,
        "transit_stop": 3,
        "bench": 2,
        "care_home": 2,
        "meeting_place": 1,
        "park": 1,
    }
    assert set(gdf.columns) >= {"service_id", "category", "name", "capacity", "geometry"}
    assert (gdf.geom_type == "Point").all()
    by_id = gdf.set_index("service_id")
    assert by_id.loc["food:n1", "name"] == "Markt Eins"
    assert by_id.loc["gp:n3", "osm_tag"] == "amenity=doctors"  # two tags, one row
    assert by_id.loc["park:r40", "name"] == "Stadtgarten"
    assert by_id.loc["bench:n5", "name"] == ""


def test_feature_in_two_categories_appears_in_both(services_osm: Path) -> None:
    gdf = read_osm_services(services_osm)
    rows = gdf[gdf["osm_id"] == 4]
    assert sorted(rows["service_id"]) == ["bench:n4", "transit_stop:n4"]
    assert rows.geometry.iloc[0].equals(rows.geometry.iloc[1])


def test_areas_and_lines_become_points_on_them(services_osm: Path) -> None:
    gdf = read_osm_services(services_osm).set_index("service_id")
    care = gdf.loc["care_home:w20", "geometry"]
    assert shapely.box(8.410, 49.000, 8.412, 49.002).contains(care)
    park = gdf.loc["park:r40", "geometry"]
    assert shapely.box(8.430, 49.010, 8.440, 49.020).contains(park)
    platform = gdf.loc["transit_stop:w21", "geometry"]
    assert shapely.LineString([(8.420, 49.000), (8.420, 49.004)]).distance(platform) < 1e-9


def test_capacity_parsed_and_reported(services_osm: Path) -> None:
    report = QualityReport()
    gdf = read_osm_services(services_osm, report=report).set_index("service_id")
    assert gdf.loc["care_home:w20", "capacity"] == 80.0
    assert np.isnan(gdf.loc["care_home:n6", "capacity"])
    assert np.isnan(gdf.loc["food:n1", "capacity"])  # no capacity for food stores
    (invalid,) = report.by_check("osm_capacity_invalid")
    assert invalid.items == ("care_home:n6 capacity='viele'",)
    (interpreted,) = report.by_check("osm_capacity_interpreted")
    assert interpreted.items == ("care_home:w20 capacity='ca. 80'",)


def test_missing_geometry_is_reported(services_osm: Path) -> None:
    report = QualityReport()
    gdf = read_osm_services(services_osm, report=report)
    assert "food:w22" not in set(gdf["service_id"])
    assert "park:r41" not in set(gdf["service_id"])
    (finding,) = report.by_check("osm_geometry_missing")
    assert finding.count == 2
    assert any(i.startswith("w22 ") for i in finding.items)
    assert any(i.startswith("r41 ") for i in finding.items)


def test_pbf_gives_the_same_services(services_osm: Path) -> None:
    pbf = _to_pbf(services_osm)
    assert pbf.read_bytes()[:4] != b"<?xm"
    from_xml = read_osm_services(services_osm)
    from_pbf = read_osm_services(pbf)
    pd.testing.assert_frame_equal(
        from_xml.drop(columns="geometry"), from_pbf.drop(columns="geometry")
    )
    assert from_xml.geometry.geom_equals_exact(from_pbf.geometry, tolerance=1e-7).all()


def test_preset_overrides(services_osm: Path) -> None:
    overrides = {
        "food": {"tags": {"amenity": ["restaurant"]}},  # replace
        "gp": {"enabled": False},  # drop
        "pharmacy": {"extend": True, "tags": {"shop": "chemist"}},  # extend
        "eating_out": {"tags": {"amenity": ["restaurant", "cafe"]}, "label": "Gastronomie"},
    }
    presets = load_osm_presets(overrides)
    assert presets["pharmacy"]["tags"]["amenity"] == ["pharmacy"]
    assert presets["pharmacy"]["tags"]["shop"] == ["chemist"]
    assert "gp" not in presets
    assert presets["eating_out"]["label"] == "Gastronomie"
    gdf = read_osm_services(services_osm, overrides=overrides)
    assert gdf.loc[gdf["category"] == "food", "service_id"].tolist() == ["food:n8"]
    assert "eating_out:n8" in set(gdf["service_id"])
    assert "gp" not in set(gdf["category"])


def test_wildcard_preset_and_category_selection(services_osm: Path) -> None:
    gdf = read_osm_services(
        services_osm,
        overrides={"any_shop": {"tags": {"shop": ["*"]}}},
        categories=["any_shop", "pharmacy"],
    )
    assert sorted(gdf["service_id"]) == ["any_shop:n1", "pharmacy:n2"]  # w22 has no geometry
    with pytest.raises(StudyConfigError, match="Unknown service categor"):
        read_osm_services(services_osm, categories=["spa"])


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"food": {"tag": {"shop": ["x"]}}}, "unknown key"),
        ({"food": {"tags": {}}}, "tags must map"),
        ({"food": {"tags": {"shop": [1, 2]}}}, "list of texts"),
        ({"food": ["shop"]}, "must be a table"),
    ],
)
def test_invalid_overrides(overrides: dict, match: str) -> None:
    with pytest.raises(StudyConfigError, match=match):
        load_osm_presets(overrides)


def test_default_presets_cover_documented_categories() -> None:
    presets = load_osm_presets()
    for cat in ("food", "pharmacy", "gp", "transit_stop", "meeting_place", "care_home"):
        assert cat in presets
    assert "supermarket" in presets["food"]["tags"]["shop"]
    assert presets["care_home"]["capacity_tags"][0] == "capacity"
    assert presets["bench"]["tags"]["amenity"] == ["bench"]
    assert presets["park"]["tags"]["leisure"] == ["park"]
    assert "day_care" in presets["meeting_place"]["tags"]["social_facility"]


def test_parse_capacity() -> None:
    raw = pd.Series(["80", " ca. 80", "80 Plätze", "60;20", "80-100", "viele", None, "-5", "12,5"])
    numbers, status = parse_capacity(raw)
    expected = [80, 80, 80, 80, np.nan, np.nan, np.nan, np.nan, 12.5]
    np.testing.assert_array_equal(numbers.to_numpy(), np.array(expected, dtype=float))
    assert status.tolist() == [
        "ok",
        "interpreted",
        "interpreted",
        "interpreted",
        "invalid",
        "invalid",
        "missing",
        "invalid",
        "ok",
    ]


def test_missing_and_broken_osm_files(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="not found"):
        read_osm_services(tmp_path / "nope.osm.pbf")
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not xml", encoding="utf-8")
    with pytest.raises(InputDataError, match="cannot be read"):
        read_osm_services(bad)


# --------------------------------------------------------------------------- boundaries


@pytest.fixture
def boundaries_osm(tmp_path: Path) -> Path:
    nodes = [
        _node(51, 8.42, 49.00),
        _node(52, 8.43, 49.00),
        _node(53, 8.43, 49.01),
        _node(54, 8.42, 49.01),
        _node(56, 8.43, 49.00),
        _node(57, 8.44, 49.00),
        _node(58, 8.44, 49.01),
        _node(59, 8.43, 49.01),
        _node(71, 8.50, 49.00),
        _node(72, 8.51, 49.00),
        _node(73, 8.51, 49.01),
    ]
    admin9 = {"boundary": "administrative", "admin_level": "9"}
    ways = [
        _way(50, [51, 52, 53], **admin9),
        _way(51, [53, 54, 51], **admin9),
        _way(55, [56, 57, 58, 59, 56], **admin9, name="Beta", ref="02"),
        _way(70, [71, 72, 73, 71], **admin9),  # unnamed closed member-like way
    ]
    relations = [
        _relation(
            60,
            [("way", 50, "outer"), ("way", 51, "outer")],
            type="boundary",
            name="Alpha",
            ref="01",
            **admin9,
        ),
        _relation(
            61,
            [("way", 55, "outer")],
            type="boundary",
            boundary="administrative",
            admin_level="10",
            name="Gamma",
        ),
        _relation(62, [("way", 50, "outer")], type="boundary", name="Delta", **admin9),
    ]
    return _osm(tmp_path / "boundaries.osm", nodes, ways, relations)


def test_boundaries_with_ref(boundaries_osm: Path) -> None:
    report = QualityReport()
    q = read_osm_boundaries(boundaries_osm, report=report)
    assert q["quarter_id"].tolist() == ["01", "02"]
    assert q["name"].tolist() == ["Alpha", "Beta"]
    assert q.crs.to_epsg() == 4326
    assert shapely.area(q.geometry.to_numpy()).round(6).tolist() == [0.0001, 0.0001]
    (broken,) = report.by_check("osm_boundary_not_assembled")
    assert broken.items == ("r62 Delta",)
    assert broken.severity == "error"
    (ignored,) = report.by_check("osm_boundary_unnamed_ways_ignored")
    assert ignored.items == ("w70",)


def test_boundaries_other_level_and_ordinal_ids(boundaries_osm: Path) -> None:
    report = QualityReport()
    q = read_osm_boundaries(boundaries_osm, admin_level=[9, 10], report=report)
    assert q.set_index("name")["quarter_id"].to_dict() == {
        "Alpha": "01",
        "Beta": "02",
        "Gamma": "03",
    }
    assert report.by_check("quarter_ids_ordinal")
    only10 = read_osm_boundaries(boundaries_osm, admin_level=10)
    assert only10["name"].tolist() == ["Gamma"]
    assert only10["quarter_id"].tolist() == ["01"]


def test_boundaries_from_pbf(boundaries_osm: Path) -> None:
    q = read_osm_boundaries(_to_pbf(boundaries_osm))
    assert q["name"].tolist() == ["Alpha", "Beta"]


def test_no_boundaries_found(boundaries_osm: Path) -> None:
    with pytest.raises(InputDataError, match="admin_level 8"):
        read_osm_boundaries(boundaries_osm, admin_level=8)


# --------------------------------------------------------------------------- JSON list


def test_service_list_json(tmp_path: Path) -> None:
    records = [
        {
            "id": 1,
            "name": "Markt",
            "category": "shopping",
            "subcategory": "supermarket",
            "lat": 49.0,
            "lon": 8.4,
        },
        {
            "id": 2,
            "name": "Park",
            "category": "leisure",
            "subcategory": "park",
            "lat": 49.01,
            "lon": 8.41,
        },
        {"id": 3, "name": "Bar", "category": "bar", "subcategory": "bar", "lat": 49, "lon": 8},
        {"id": 4, "name": "Nowhere", "subcategory": "supermarket", "lat": None, "lon": 8.4},
        {"id": 1, "name": "Markt again", "subcategory": "supermarket", "lat": 49, "lon": 8.4},
        {"name": "No id", "subcategory": "park", "lat": 49.02, "lon": 8.42},
        {
            "id": 7,
            "name": "Heim",
            "subcategory": "nursing_home",
            "lat": 49,
            "lon": 8.4,
            "capacity": "x",
        },
    ]
    path = tmp_path / "orte.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    report = QualityReport()
    gdf = read_service_list_json(path, report=report)
    assert gdf["service_id"].tolist() == ["care_home:7", "food:1", "park:#5", "park:2"]
    assert gdf.crs.to_epsg() == 4326
    assert gdf.set_index("service_id").loc["food:1", "name"] == "Markt"
    assert report.by_check("json_records_not_used")[0].items == ("bar: 1",)
    assert report.by_check("json_invalid_coordinates")[0].items == ("4",)
    assert report.by_check("duplicate_service_ids")[0].items == ("food:1",)
    assert report.by_check("json_missing_ids")[0].items == ("#5",)
    assert report.by_check("json_capacity_invalid")[0].count == 1
    custom = read_service_list_json(path, categories={"bar": "meeting_place"})
    assert custom["service_id"].tolist() == ["meeting_place:3"]


def test_service_list_json_rejects_geojson(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    with pytest.raises(InputDataError, match="list of objects"):
        read_service_list_json(path)
