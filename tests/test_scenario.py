"""Scenarios: facilities added, removed or moved, before and after (issue 10, part 1).

Oracles: a full run of the study with the scenario's services (nothing reused) must give
exactly the scenario's after values; hand-made cases (a facility on a residents' location,
every pharmacy closed) give values known without the engine.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from disclosure_audit import audit
from hypothesis import HealthCheck, given, settings
from shapely.geometry import Point
from test_disclosure_audit import small_counts

from sqe_geo._errors import InputDataError, StudyConfigError
from sqe_geo._resources import DEMO_STUDY
from sqe_geo.cli import main
from sqe_geo.i18n.messages import use_language
from sqe_geo.pipeline import Results, run
from sqe_geo.scenario import run_scenario
from sqe_geo.scenario_file import Change, Scenario, apply_scenario, read_scenario, scenario_path
from sqe_geo.stats.aggregate import LEVELS
from sqe_geo.study import Study, load_study

DEMO_SCENARIO = "Oberreut: Apotheke und Begegnungsort"


def _write(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_scenario(demo_study: Study, demo_results: Results):
    path = scenario_path(demo_study.config, DEMO_SCENARIO)
    assert demo_study.services is not None
    scenario = read_scenario(path, demo_study.config, demo_study.services)
    return run_scenario(demo_results, scenario)


def test_after_equals_a_full_run_with_the_scenarios_services(demo_study: Study, demo_scenario):
    """Reusing the base run changes nothing: a run from scratch gives the same numbers."""
    services = apply_scenario(demo_study.services, demo_scenario.scenario)
    full = run(dataclasses.replace(demo_study, services=services))
    for level in LEVELS:
        own = [i.id for i in full.catalog if i.category in demo_scenario.changed]
        pd.testing.assert_frame_equal(
            demo_scenario.after.values[level][own], full.values[level][own]
        )
        pd.testing.assert_frame_equal(
            demo_scenario.after.counts[level], full.counts[level], check_like=True
        )
    assert demo_scenario.changed == ["pharmacy", "meeting_place"]


def test_unchanged_categories_are_published_as_in_the_base_run(
    demo_results: Results, demo_scenario
):
    for level in LEVELS:
        kept = [i.id for i in demo_results.catalog if i.category not in demo_scenario.changed]
        pd.testing.assert_frame_equal(
            demo_scenario.after.values[level][kept], demo_results.values[level][kept]
        )
        pd.testing.assert_frame_equal(
            demo_scenario.after.suppressed[level][kept], demo_results.suppressed[level][kept]
        )
        table = demo_scenario.comparison[level]
        unchanged = table[~table["category"].isin(demo_scenario.changed)]
        assert (unchanged["difference"].dropna() == 0).all()


def test_difference_is_after_minus_before_and_withheld_where_either_is(demo_scenario):
    for level in LEVELS:
        table = demo_scenario.comparison[level]
        both = table["before"].notna() & table["after"].notna()
        np.testing.assert_allclose(
            table.loc[both, "difference"], table.loc[both, "after"] - table.loc[both, "before"]
        )
        assert table.loc[~both, "difference"].isna().all()
        assert table.loc[table["withheld_before"], "before"].isna().all()
        assert table.loc[table["withheld_after"], "after"].isna().all()


def test_the_new_pharmacy_raises_coverage_where_it_stands(demo_scenario):
    quarter = demo_scenario.comparison["quarter"]
    row = quarter[
        (quarter["name"] == "Oberreut")
        & (quarter["indicator"] == "coverage_pharmacy_older")
        & (quarter["year"] == 2016)
    ].iloc[0]
    assert row["after"] > row["before"]
    assert (demo_scenario.class_changes["category"].isin(demo_scenario.changed)).all()
    improved = demo_scenario.class_changes.query("category == 'meeting_place'")
    assert improved["better"].any()
    moved = demo_scenario.moved_residents
    shown = moved[["better", "worse"]].to_numpy(dtype=float)
    shown = shown[~np.isnan(shown)]
    assert (shown % 10 == 0).all() and (shown >= 10).all()


def test_a_facility_on_a_residents_location_brings_it_within_the_threshold(
    demo_study: Study, demo_results: Results
):
    """Hand-made: a pharmacy on a location that is beyond 1,000 m today."""
    year = max(demo_results.origins)
    origins = demo_results.origins[year].reset_index(drop=True)
    before = demo_results.distances[year]["pharmacy"].to_numpy()
    far = int(np.nanargmax(np.where(before > 1500, before, -1)))
    point = origins.geometry.iloc[far]
    scenario = Scenario(
        "test",
        (Change("add", 1, "new-1", "pharmacy", "Neu", (point.x, point.y)),),
    )
    result = run_scenario(demo_results, scenario)
    after = result.after.distances[year]["pharmacy"].to_numpy()
    # both walk the same access leg to the nearest street, and nothing on the network
    streets = gpd.read_file(demo_study.config.network.path)
    leg = float(streets.to_crs(origins.crs).distance(point).min())
    assert after[far] == pytest.approx(2 * leg, abs=0.5)
    assert (after <= before + 1e-6).all()  # adding a facility never lengthens a walk
    changed = result.class_changes
    assert len(changed) > 0 and changed["better"].all()


def test_closing_every_pharmacy_reaches_nobody(demo_study: Study, demo_results: Results):
    pharmacies = demo_study.services.query("category == 'pharmacy'")["service_id"]
    scenario = Scenario(
        "alle zu",
        tuple(Change("remove", k, sid, "pharmacy", "") for k, sid in enumerate(pharmacies, 1)),
    )
    result = run_scenario(demo_results, scenario)
    city = result.after.values["city"]
    assert (city["coverage_pharmacy_older"] == 0).all()
    assert (city["services_per_1000_older_pharmacy"] == 0).all()


def test_the_after_run_passes_the_disclosure_audit(demo_scenario):
    intervals = audit(demo_scenario.after)
    assert [i for i in intervals if not i.protected(3.0, 3.0)] == []


def test_toml_and_geojson_scenarios_read_the_same(demo_study: Study, tmp_path: Path):
    toml = _write(
        tmp_path,
        'name = "x"\n[[changes]]\naction = "add"\ncategory = "gp"\nname = "Praxis"\n'
        'at = [8.40, 49.01]\n[[changes]]\naction = "move"\nservice_id = "pharmacy-0001"\n'
        "at = [8.36, 48.99]\n",
    )
    frame = gpd.GeoDataFrame(
        {
            "action": ["add", "move"],
            "category": ["gp", None],
            "name": ["Praxis", None],
            "service_id": [None, "pharmacy-0001"],
        },
        geometry=[Point(8.40, 49.01), Point(8.36, 48.99)],
        crs="EPSG:4326",
    )
    geojson = tmp_path / "s.geojson"
    geojson.write_text(frame.to_json(), encoding="utf-8")
    a = read_scenario(toml, demo_study.config, demo_study.services)
    b = read_scenario(geojson, demo_study.config, demo_study.services)
    assert [c.action for c in a.changes] == [c.action for c in b.changes] == ["add", "move"]
    for x, y in zip(a.changes, b.changes, strict=True):
        assert x.xy == pytest.approx(y.xy, abs=1e-6)
    services = apply_scenario(demo_study.services, a)
    assert len(services) == len(demo_study.services) + 1
    assert services.loc[services["service_id"] == "pharmacy-0001", "scenario"].iloc[0] == "move"
    assert len(demo_study.services) == len(apply_scenario(demo_study.services, a)) - 1


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('[[changes]]\naction = "build"\n', "action 'build' is unknown"),
        ('[[changes]]\naction = "remove"\nservice_id = "nope"\n', "service_id 'nope'"),
        (
            '[[changes]]\naction = "remove"\nservice_id = "pharmacy-0001"\n'
            '[[changes]]\naction = "move"\nservice_id = "pharmacy-0001"\nat = [8.4, 49.0]\n',
            "changed twice",
        ),
        ('[[changes]]\naction = "add"\ncategory = "zoo"\nat = [8.4, 49.0]\n', "'zoo'"),
        ('[[changes]]\naction = "add"\ncategory = "care_home"\nat = [8.4, 49.0]\n', "capacity"),
        ('[[changes]]\naction = "add"\ncategory = "gp"\nat = "here"\n', "'at' must be"),
        ('name = "leer"\n', "no changes"),
        ('colour = "red"\n[[changes]]\naction = "add"\n', "unknown key(s) colour"),
    ],
)
def test_every_mistake_names_the_file_and_the_change(
    demo_study: Study, tmp_path: Path, body: str, fragment: str
):
    path = _write(tmp_path, body)
    with use_language("en"), pytest.raises(InputDataError) as info:
        read_scenario(path, demo_study.config, demo_study.services)
    message = str(info.value)
    assert fragment in message and str(path) in message


def test_unknown_scenario_name_lists_the_studys_scenarios(demo_study: Study):
    with use_language("en"), pytest.raises(StudyConfigError, match="Oberreut"):
        scenario_path(demo_study.config, "Durlach")


def test_cli_writes_the_run_after_and_the_comparison(tmp_path: Path, capsys):
    out = tmp_path / "out"
    code = main(["--lang", "en", "scenario", str(DEMO_STUDY), DEMO_SCENARIO, "--out", str(out)])
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"szenario_vergleich_quartiere_de.csv", "szenario.xlsx", "szenario.gpkg"} <= names
    assert "quartiere_de.csv" in names  # the standard outputs of the run after
    manifest = (out / "MANIFEST.sha256").read_text()
    assert "szenario.gpkg" in manifest
    german = pd.read_csv(out / "quartiere_de.csv", sep=";", encoding="utf-8-sig", dtype=str)
    assert german["Hinweis"].str.contains(DEMO_SCENARIO, regex=False).all()
    layers = gpd.list_layers(out / "szenario.gpkg")["name"].tolist()
    assert {"szenario_differenz", "szenario_aenderungen", "szenario_entfernungsklassen"} <= set(
        layers
    )
    changes = gpd.read_file(out / "szenario.gpkg", layer="szenario_aenderungen")
    assert changes["action"].tolist() == ["add", "add", "remove"]
    # the scenario's own GeoPackage loads again as the same scenario
    study = load_study(DEMO_STUDY)
    again = read_scenario(out / "szenario.gpkg", study.config, study.services)
    original = read_scenario(
        scenario_path(study.config, DEMO_SCENARIO), study.config, study.services
    )
    assert again.name == DEMO_SCENARIO
    assert [(c.action, c.category, c.name) for c in again.changes] == [
        (c.action, c.category, c.name) for c in original.changes
    ]
    for a, b in zip(again.changes, original.changes, strict=True):
        assert a.xy == b.xy or a.xy == pytest.approx(b.xy, abs=0.01)
    printed = capsys.readouterr().out
    assert "pharmacy, meeting_place" in printed


def test_cli_refuses_a_broken_scenario_before_computing(tmp_path: Path, capsys):
    bad = _write(tmp_path, '[[changes]]\naction = "remove"\nservice_id = "x-1"\n')
    out = tmp_path / "out"
    code = main(["--lang", "en", "scenario", str(DEMO_STUDY), str(bad), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "service_id 'x-1'" in err and "Traceback" not in err
    assert not out.exists()


def test_geojson_scenario_without_action_column_is_refused(demo_study: Study, tmp_path: Path):
    path = tmp_path / "s.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"},
         "geometry": {"type": "Point", "coordinates": [8.4, 49.0]}}]}))  # fmt: skip
    with use_language("en"), pytest.raises(InputDataError, match="'action'"):
        read_scenario(path, demo_study.config, demo_study.services)


def _renamed(name: str, categories: list[str]) -> str:
    """A column or indicator id of a changed category under the category's "after" name."""
    for cat in categories:
        name = name.replace(f"_{cat}_", f"_{cat}after_")
        if name.endswith(f"_{cat}"):
            name = name[: -len(cat)] + f"{cat}after"
    return name


def _joint_publication(before: Results, after: Results, changed: list[str]) -> Results:
    """Base and scenario tables as one publication: the changed categories' after cells
    are a category of their own that shares every resident count with the base run."""
    from sqe_geo.stats.indicators import Catalog

    own = [i for i in after.catalog if i.category in changed]
    extra = [
        dataclasses.replace(
            i,
            id=_renamed(i.id, changed),
            category=f"{i.category}after",
            inputs={k: _renamed(v, changed) for k, v in i.inputs.items()},
        )
        for i in own
    ]
    catalog = Catalog([*before.catalog, *extra])
    ids = [i.id for i in own]

    def join(a: dict, b: dict, columns) -> dict:
        out = {}
        for level in LEVELS:
            add = b[level][columns(b[level])].rename(columns=lambda c: _renamed(c, changed))
            out[level] = a[level].join(add)
        return out

    def access_columns(frame: pd.DataFrame) -> list[str]:
        return [c for c in frame.columns if _renamed(c, changed) != c]

    return dataclasses.replace(
        before,
        catalog=catalog,
        counts=join(before.counts, after.counts, access_columns),
        values=join(before.values, after.values, lambda f: ids),
        suppressed=join(before.suppressed, after.suppressed, lambda f: ids),
        status={lvl: before.status_of(lvl) for lvl in LEVELS},
        withheld=join(before.withheld, after.withheld, access_columns),
    )


def test_base_and_scenario_published_together_pass_the_audit(demo_results, demo_scenario):
    """The attacker holds both publications: the base run and the scenario's after values
    (which share every resident count). No sensitive cell of either may be narrowed."""
    joint = _joint_publication(demo_results, demo_scenario.after, demo_scenario.changed)
    intervals = audit(joint)
    # the scenario's own small counts are among the attacker's targets
    assert any("after_" in i.variable for i in intervals), [i.variable for i in intervals]
    assert [i for i in intervals if not i.protected(3.0, 3.0)] == []


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_counts())
def test_generated_small_studies_with_a_scenario_pass_the_joint_audit(demo_study: Study, case):
    """Small studies full of 0s, 1s and 2s: the base run and a scenario published together
    reveal nothing that the two runs do not reveal on their own.

    On such tiny studies a run's own pattern can bound a fractional accessibility count a
    hair above 0 (it is "at least someone", the README's known limit); the joint
    publication must not narrow any cell beyond what its own run already gives away."""
    from test_disclosure_audit import _generated, _small_study, _with_disclosure

    quarters, areas, seed, with_gap = case
    study = _small_study(_with_disclosure(demo_study), _generated(seed, with_gap), quarters, areas)
    base = run(study)
    where = study.quarters.geometry.iloc[0].representative_point()
    scenario = Scenario(
        "klein",
        (
            Change("add", 1, "n-1", "pharmacy", "Apotheke", (where.x, where.y)),
            Change("add", 2, "n-2", "meeting_place", "Treff", (where.x + 150, where.y)),
        ),
    )
    result = run_scenario(base, scenario)
    joint = _joint_publication(base, result.after, result.changed)
    alone = {(i.level, i.unit, i.year, i.variable): i for i in audit(base)}
    for i in audit(result.after):
        alone[(i.level, i.unit, i.year, _renamed(i.variable, result.changed))] = i
    for cell in audit(joint):
        if cell.protected(3.0, 3.0):
            continue
        own = alone[(cell.level, cell.unit, cell.year, cell.variable)]
        assert not own.protected(3.0, 3.0), cell
        assert cell.low <= own.low + 1e-6 and cell.high >= own.high - 1e-6, (cell, own)
