"""Walking catchments of a study (sqe_geo/catchments.py) and the ``sqe-geo catchment`` command."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import sqe_geo
from sqe_geo._errors import InputDataError
from sqe_geo.catchments import ROUND_TO, disclose_area_counts, study_catchments
from sqe_geo.cli import main
from sqe_geo.pipeline import Results

#: Karlsruhe's Marktplatz (longitude, latitude).
MARKTPLATZ = (8.4037, 49.0094)


def test_bands_are_nested_and_counted_with_disclosure(demo_results: Results):
    bands = study_catchments(demo_results, MARKTPLATZ, crs="EPSG:4326")
    assert bands["minutes"].tolist() == [5.0, 10.0, 15.0]
    # 0.8 m/s: 5 min = 240 m of walking
    assert bands["distance_m"].tolist() == pytest.approx([240.0, 480.0, 720.0])
    areas = bands.geometry.to_numpy()
    assert areas[1].buffer(1e-6).contains(areas[0]) and areas[2].buffer(1e-6).contains(areas[1])
    for column in ("residents_total", "residents_older", "residents_oldest_old"):
        values = bands[column].dropna()
        assert (values % ROUND_TO == 0).all()  # published in steps of 10
        assert values.is_monotonic_increasing
    assert bands["year"].eq(max(demo_results.origins)).all()
    assert bands["note"].iloc[0].startswith("Residents rounded to multiples of 10")


def test_exact_counts_equal_a_spatial_join(demo_study, demo_results: Results):
    """Disclosure control off: the counts equal geopandas' own point-in-polygon join."""
    config = demo_study.config.model_copy(
        update={"disclosure": demo_study.config.disclosure.model_copy(update={"enabled": False})}
    )
    results = dataclasses.replace(
        demo_results, study=dataclasses.replace(demo_study, config=config)
    )
    bands = study_catchments(results, MARKTPLATZ, crs="EPSG:4326", minutes=(10,))
    origins = demo_results.origins[max(demo_results.origins)]
    joined = gpd.sjoin(origins, bands[["geometry"]], predicate="within", how="inner")
    assert bands.loc[0, "residents_older"] == pytest.approx(round(joined["older"].sum()))
    assert bands.loc[0, "residents_total"] == pytest.approx(round(joined["total"].sum()))
    assert "exact" in bands.loc[0, "note"]


def test_disclosed_counts_hand_checked():
    exact = pd.DataFrame({"older": [0.0, 4.0, 9.9, 10.0, 15.0, 24.9, 1234.4]})
    shown = disclose_area_counts(exact, True)["older"].tolist()
    assert np.isnan(shown[:3]).all()
    assert shown[3:] == [10.0, 20.0, 20.0, 1230.0]
    assert disclose_area_counts(exact, False)["older"].tolist() == [0, 4, 10, 10, 15, 25, 1234]


def test_a_study_without_network_is_told_so(demo_study, demo_results: Results):
    config = demo_study.config.model_copy(update={"network": None})
    results = dataclasses.replace(
        demo_results, study=dataclasses.replace(demo_study, config=config)
    )
    with pytest.raises(InputDataError, match=r"walking network; name it in \[network\]"):
        study_catchments(results, MARKTPLATZ, crs="EPSG:4326")


def test_an_unknown_year_lists_the_years(demo_results: Results):
    with pytest.raises(InputDataError, match="no residents' locations for 1999"):
        study_catchments(demo_results, MARKTPLATZ, crs="EPSG:4326", year=1999)


def test_command_writes_gpkg_and_geojson(tmp_path: Path, capsys):
    at = ["--at", *map(str, MARKTPLATZ), "--crs", "EPSG:4326"]
    assert main(["catchment", *at, "--minutes", "5", "10", "--out", str(tmp_path / "m.gpkg")]) == 0
    printed = capsys.readouterr().out
    assert "5 min (240 m): Einwohner" in printed and "Geheimhaltung" in printed
    layer = gpd.read_file(tmp_path / "m.gpkg", layer="einzugsbereiche")
    assert layer["minutes"].tolist() == [5.0, 10.0] and layer.crs.to_epsg() == 25832
    assert main(["--lang", "en", "catchment", *at, "--out", str(tmp_path / "m.geojson")]) == 0
    web = gpd.read_file(tmp_path / "m.geojson")
    assert len(web) == 3 and web.crs.to_epsg() == 4326
    assert web["note"].str.startswith("Residents rounded").all()


def test_command_refuses_unknown_formats_and_input_folders(tmp_path: Path, capsys):
    at = ["--at", *map(str, MARKTPLATZ), "--crs", "EPSG:4326"]
    assert main(["catchment", *at, "--out", str(tmp_path / "m.txt")]) == 2
    assert ".gpkg oder .geojson" in capsys.readouterr().err
    assert not (tmp_path / "m.txt").exists()
    inside = sqe_geo.DEMO_STUDY.parent / "catchment.gpkg"
    assert main(["catchment", *at, "--out", str(inside)]) == 2
    assert not inside.exists()
