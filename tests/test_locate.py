"""Best new locations of a study (sqe_geo/locate.py) and the ``sqe-geo locate`` command."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from sqe_geo._errors import InputDataError
from sqe_geo.cli import main
from sqe_geo.locate import LocationRequest, study_locations
from sqe_geo.pipeline import Results


def _without_disclosure(results: Results) -> Results:
    study = results.study
    rules = study.config.disclosure.model_copy(update={"enabled": False})
    config = study.config.model_copy(update={"disclosure": rules})
    return dataclasses.replace(results, study=dataclasses.replace(study, config=config))


def test_covered_before_equals_the_accessibility_engine(demo_results: Results):
    """The residents already covered equal those whose nearest pharmacy (computed by the
    accessibility engine, another code path) lies within the 1,000 m threshold."""
    results = _without_disclosure(demo_results)
    sites = study_locations(results, LocationRequest("pharmacy", k=1, within="Süd"))
    year = max(results.origins)
    origins = results.origins[year]
    near = results.distances[year].loc[origins["origin_id"], "pharmacy"].to_numpy() <= 1000.0
    assert sites.attrs["covered_before"] == pytest.approx(round(origins.loc[near, "older"].sum()))
    assert sites.attrs["covered_after"] >= sites.attrs["covered_before"]


def test_sites_lie_in_the_chosen_area_and_gains_are_disclosed(demo_results: Results):
    sites = study_locations(demo_results, LocationRequest("pharmacy", k=3, within="Süd"))
    assert sites["rank"].tolist() == [1, 2, 3]
    assert set(sites["method"]) == {"exact"} and (sites["gap"] >= 0).all()
    quarters = demo_results.study.quarters
    south = shapely.union_all(quarters.loc[quarters["planning_area"] == "Süd"].geometry.to_numpy())
    assert all(south.buffer(1.0).contains(p) for p in sites.geometry)
    gains = sites["gain"].dropna()
    assert (gains % 10 == 0).all() and gains.is_monotonic_decreasing


def test_candidates_from_a_file(demo_results: Results, tmp_path: Path):
    xy = [(456050.0, 5425850.0), (454650.0, 5426650.0), (457250.0, 5423750.0)]
    path = tmp_path / "kandidaten.gpkg"
    gpd.GeoDataFrame(geometry=gpd.points_from_xy(*zip(*xy, strict=True)), crs=25832).to_file(path)
    sites = study_locations(demo_results, LocationRequest("pharmacy", k=1, candidates=path))
    assert (sites.geometry.iloc[0].x, sites.geometry.iloc[0].y) in xy


def test_unknown_category_and_unit_are_named(demo_results: Results):
    with pytest.raises(InputDataError, match="no service category 'library'"):
        study_locations(demo_results, LocationRequest("library"))
    with pytest.raises(InputDataError, match="'Mars' is neither a quarter id"):
        study_locations(demo_results, LocationRequest("pharmacy", within="Mars"))


def test_command_writes_the_sites(tmp_path: Path, capsys):
    out = tmp_path / "standorte.gpkg"
    assert main(["locate", "--category", "gp", "--k", "2", "--in", "Süd", "--out", str(out)]) == 0
    assert "Standort 1: +" in capsys.readouterr().out
    layer = gpd.read_file(out, layer="standorte")
    assert layer["rank"].tolist() == [1, 2] and layer.crs.to_epsg() == 25832
    assert (
        main(["--lang", "en", "locate", "--category", "gp", "--in", "Mars", "--out", str(out)]) == 2
    )
    assert "'Mars' is neither" in capsys.readouterr().err


def test_median_walks_equal_the_accessibility_engine(demo_results: Results):
    """p-median: the mean walk before equals the engine's nearest-pharmacy distances (another
    code path) capped at the cut-off; the new sites shorten it and save what they claim."""
    results = _without_disclosure(demo_results)
    request = LocationRequest("pharmacy", k=2, within="Süd", objective="median")
    sites = study_locations(results, request)
    year = max(results.origins)
    origins = results.origins[year]
    walk = results.distances[year].loc[origins["origin_id"], "pharmacy"].to_numpy()
    older = origins["older"].to_numpy()
    assert sites.attrs["cutoff_m"] == 2000.0  # twice the pharmacy threshold of 1,000 m
    expected = (older * np.minimum(walk, 2000.0)).sum() / older.sum()
    assert sites.attrs["mean_distance_before_m"] == pytest.approx(expected, abs=1.0)
    saved_m = 1000 * sites["saved_km"].sum()
    before, after = sites.attrs["mean_distance_before_m"], sites.attrs["mean_distance_after_m"]
    assert after < before
    assert (before - after) * older.sum() == pytest.approx(saved_m, rel=0.02, abs=older.sum())
    assert sites.attrs["beyond_before"] == pytest.approx(older[walk >= 2000.0].sum(), abs=0.5)
    assert set(sites["method"]) == {"exact"} and sites.attrs["objective"] == "median"


def test_capacities_from_a_candidates_file(demo_results: Results, tmp_path: Path):
    results = _without_disclosure(demo_results)
    xy = [(456050.0, 5425850.0), (454650.0, 5426650.0), (457250.0, 5423750.0)]
    points = gpd.GeoDataFrame(
        {"plaetze": [0, 0, 0]}, geometry=gpd.points_from_xy(*zip(*xy, strict=True)), crs=25832
    )
    path = tmp_path / "kandidaten.gpkg"
    points.to_file(path)
    request = LocationRequest("care_home", k=2, candidates=path, capacity_column="plaetze")
    none = study_locations(results, request)  # no places: nothing gained
    assert len(none) == 0 and none.attrs["covered_after"] == none.attrs["covered_before"]
    assert none.attrs["capacitated"] and none.attrs["existing_without_capacity"] == 0
    points.assign(plaetze=[1e6, 1e6, 1e6]).to_file(path)  # places without limit in effect
    roomy = study_locations(results, request)
    plain = study_locations(results, LocationRequest("care_home", k=2, candidates=path))
    # new sites with room for everyone add what they do without capacities (the existing
    # care homes keep their places in both: covered_before may differ, the gain may not)
    assert roomy["gain"].sum() >= plain["gain"].sum() - 1
    points.assign(plaetze=[5, -1, None]).to_file(path)
    with pytest.raises(InputDataError, match=r"'plaetze' has 2 value\(s\).*rows 2, 3"):
        study_locations(results, request)
    with pytest.raises(InputDataError, match=r"no column 'places'.*plaetze"):
        study_locations(results, dataclasses.replace(request, capacity_column="places"))


def test_capacities_and_objectives_that_do_not_fit_are_named(demo_results: Results):
    median = LocationRequest("care_home", within="Süd", objective="median", capacity=50)
    with pytest.raises(InputDataError, match=r"Capacities .* apply to coverage only"):
        study_locations(demo_results, median)
    column = LocationRequest("care_home", within="Süd", capacity_column="plaetze")
    with pytest.raises(InputDataError, match="need a candidates file"):
        study_locations(demo_results, column)
    short = LocationRequest("pharmacy", within="Süd", objective="median", cutoff_m=500)
    with pytest.raises(InputDataError, match="at least the category's threshold"):
        study_locations(demo_results, short)


def test_command_median_and_capacity(tmp_path: Path, capsys):
    out = tmp_path / "standorte.gpkg"
    args = ["locate", "--category", "pharmacy", "--k", "2", "--in", "Süd", "--out", str(out)]
    assert main([*args, "--objective", "median"]) == 0
    printed = capsys.readouterr().out
    assert "Mittlerer Fußweg der Gruppe (Wege über 2.000 m zählen als 2.000 m)" in printed
    assert "Personen-km" in printed
    assert "saved_km" in gpd.read_file(out, layer="standorte").columns
    care = ["locate", "--category", "care_home", "--in", "Süd", "--out", str(out)]
    assert main(["--lang", "en", *care, "--capacity", "40"]) == 0
    assert "site 1: +" in capsys.readouterr().out
