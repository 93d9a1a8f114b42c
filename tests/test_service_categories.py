"""Service categories named in German or English are matched to the catalog's categories."""

from __future__ import annotations

import json
from pathlib import Path

import sqe_geo
from sqe_geo.config_layers import ServicesConfig
from sqe_geo.quality import QualityReport
from sqe_geo.study_services import read_services


def _points(path: Path, categories: list[str]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"id": f"s{k}", "kategorie": c, "name": f"Ort {k}"},
            "geometry": {"type": "Point", "coordinates": [8.40 + k * 0.001, 49.01]},
        }
        for k, c in enumerate(categories)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_german_names_and_labels_are_matched_and_reported(tmp_path: Path):
    values = ["Apotheke", "Supermarkt", "Haltestelle", "ÖPNV-Haltestelle", "pharmacy", "Kiosk"]
    path = _points(tmp_path / "orte.geojson", values)
    demo = sqe_geo.load_config(sqe_geo.DEMO_STUDY)
    services = ServicesConfig(path=path, category_column="kategorie", id_column="id")
    config = demo.model_copy(update={"services": services})
    report = QualityReport()
    frame = read_services(config.services, config.analysis_crs, report)
    assert frame is not None
    by_id = dict(zip(frame["service_id"], frame["category"], strict=True))
    assert by_id == {
        "s0": "pharmacy",  # German label
        "s1": "food",  # common German name
        "s2": "transit_stop",
        "s3": "transit_stop",  # label with umlaut and hyphen
        "s4": "pharmacy",  # the key itself, exactly
    }
    (loose,) = report.by_check("service_category_by_label")
    assert loose.count == 4
    assert "Apotheke → pharmacy (1)" in loose.items
    (unknown,) = report.by_check("service_category_unknown")
    assert unknown.items == ("Kiosk (1)",)


def test_explicit_values_are_matched_exactly_only(tmp_path: Path):
    path = _points(tmp_path / "orte.geojson", ["Apotheke", "Apo"])
    demo = sqe_geo.load_config(sqe_geo.DEMO_STUDY)
    services = ServicesConfig(
        path=path,
        category_column="kategorie",
        id_column="id",
        categories={"pharmacy": {"values": ["Apo"]}},
    )
    report = QualityReport()
    frame = read_services(services, demo.analysis_crs, report)
    assert frame is not None
    assert frame["category"].tolist() == ["pharmacy"]  # "Apotheke" is not guessed
    assert report.by_check("service_category_unknown")[0].items == ("Apotheke (1)",)
