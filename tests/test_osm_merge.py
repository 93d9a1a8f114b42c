"""OSM objects that are one place become one service (platform, stop position, station)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from sqe_geo._errors import StudyConfigError
from sqe_geo.io.osm_merge import merge_same_place
from sqe_geo.io.osm_presets import load_osm_presets
from sqe_geo.quality import QualityReport

X0, Y0 = 456_000.0, 5_430_000.0


def services(rows):
    ids, cats, names, types, caps, xs, ys = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {
            "service_id": ids,
            "category": cats,
            "name": names,
            "capacity": caps,
            "osm_type": types,
        },
        geometry=gpd.points_from_xy(np.add(xs, X0), np.add(ys, Y0)),
        crs="EPSG:25832",
    )


def test_one_place_by_hand():
    frame = services(
        [
            # a stop: platform (way), stop position and station (nodes), 20-45 m apart
            ("t:w1", "transit_stop", "Marktplatz", "way", np.nan, 0, 0),
            ("t:n2", "transit_stop", "Marktplatz", "node", np.nan, 20, 0),
            ("t:n3", "transit_stop", "", "node", np.nan, 45, 0),
            # another stop 300 m away stays
            ("t:n4", "transit_stop", "Rathaus", "node", np.nan, 300, 0),
            # a care home as node and as building, capacity on the building only
            ("c:w5", "care_home", "Haus Linde", "way", 80.0, 0, 500),
            ("c:n6", "care_home", "Haus Linde", "node", np.nan, 8, 500),
            # two different shops next door stay two
            ("f:n7", "food", "Bäckerei Schmidt", "node", np.nan, 0, 900),
            ("f:n8", "food", "Metzgerei Maier", "node", np.nan, 5, 900),
            # benches side by side are two seats
            ("b:n9", "bench", "", "node", np.nan, 0, 1200),
            ("b:n10", "bench", "", "node", np.nan, 2, 1200),
        ]
    )
    report = QualityReport()
    merge = {"transit_stop": 50.0, "care_home": 25.0, "food": 25.0, "bench": 0.0}
    out = merge_same_place(frame, merge, report=report, source="x.osm").set_index("service_id")
    assert sorted(out.index) == sorted(["t:n2", "t:n4", "c:n6", "f:n7", "f:n8", "b:n9", "b:n10"])
    assert out.loc["t:n2", "merged_ids"] == "t:n3;t:w1"  # nodes first, then the way
    assert out.loc["c:n6", "capacity"] == 80.0
    assert out.loc["c:n6", "name"] == "Haus Linde"
    finding = report.by_check("osm_same_place_merged")[0]
    assert finding.count == 3
    assert set(finding.items) == {"transit_stop: 2", "care_home: 1"}
    assert out.crs == frame.crs


def test_merge_distance_is_a_preset_setting():
    presets = load_osm_presets()
    assert presets["transit_stop"]["merge_m"] == 50
    assert presets["bench"]["merge_m"] == 0
    assert presets["food"]["merge_m"] == 25
    changed = load_osm_presets(
        {"food": {"extend": True, "tags": {"shop": ["kiosk"]}, "merge_m": 10}}
    )
    assert changed["food"]["merge_m"] == 10
    with pytest.raises(StudyConfigError, match="merge_m must be a distance"):
        load_osm_presets({"food": {"tags": {"shop": ["kiosk"]}, "merge_m": "near"}})
