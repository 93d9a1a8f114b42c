"""Best new locations of a study (sqe_geo/locate.py) and the ``sqe-geo locate`` command."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
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
