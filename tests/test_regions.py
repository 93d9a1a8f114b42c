"""Planning areas that balance (sqe_geo/regions*.py) and the ``sqe-geo regions`` command.

Oracles: hand-checked rows and grids of unit squares, a brute-force enumeration of every
contiguous partition of a 2 × 3 grid (networkx), networkx connected components on a
contiguity graph built from shapely (not libpysal) for the demo's 27 Stadtteile, and the
demo study loading the written mapping table as its ``[planning_areas]``.
"""

from __future__ import annotations

import doctest
import importlib
import itertools
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

import sqe_geo
from sqe_geo._errors import InputDataError, MissingDependencyError
from sqe_geo.catchments import disclose_area_counts
from sqe_geo.cli import main
from sqe_geo.pipeline import Results
from sqe_geo.regions import RegionRequest, propose_areas, regionalise
from sqe_geo.regions_compare import compare_areas, mapping_csv

pytest.importorskip("spopt", reason="the optional extra 'regions' (spopt) is not installed")

METHODS = ("skater", "azp", "maxp")


def squares(columns: int, rows: int = 1) -> gpd.GeoDataFrame:
    """Unit squares numbered row by row: ids "01", "02", …, names "Q1", "Q2", …"""
    boxes = [shapely.box(x, y, x + 1, y + 1) for y in range(rows) for x in range(columns)]
    ids = [f"{n + 1:02d}" for n in range(len(boxes))]
    return gpd.GeoDataFrame(
        {"quarter_id": ids, "name": [f"Q{n + 1}" for n in range(len(boxes))]},
        geometry=boxes,
        crs="EPSG:25832",
    )


def groups(mapping: pd.DataFrame) -> set[frozenset[str]]:
    """The partition of a mapping table as sets of quarter ids."""
    return {frozenset(g["quarter_id"]) for _, g in mapping.groupby("planning_area")}


def queen_graph(quarters: gpd.GeoDataFrame) -> nx.Graph:
    """Queen contiguity from shapely: polygons that share a border or a corner."""
    graph = nx.Graph()
    graph.add_nodes_from(quarters["quarter_id"])
    geoms = quarters.geometry.to_numpy()
    for i, j in itertools.combinations(range(len(geoms)), 2):
        if geoms[i].intersects(geoms[j]):
            graph.add_edge(quarters["quarter_id"].iloc[i], quarters["quarter_id"].iloc[j])
    return graph


def assert_contiguous(mapping: pd.DataFrame, graph: nx.Graph) -> None:
    for area, group in mapping.groupby("planning_area"):
        sub = graph.subgraph(group["quarter_id"])
        assert nx.number_connected_components(sub) == 1, f"{area} is not contiguous"


@pytest.mark.parametrize("method", METHODS)
def test_row_of_five_hand_checked(method: str):
    """Weights 4, 1, 1, 1, 1 in a row, k = 2: only {1} | {2 … 5} balances (4 and 4)."""
    mapping = regionalise(
        squares(5),
        pd.Series([4.0, 1, 1, 1, 1]),
        RegionRequest(k=2, method=method, compactness_weight=0.0),
    )
    assert groups(mapping) == {frozenset({"01"}), frozenset({"02", "03", "04", "05"})}
    assert set(mapping["planning_area"]) == {"Planungsraum 1", "Planungsraum 2"}


@pytest.mark.parametrize("method", ["skater", "azp"])
def test_compactness_prefers_halves_to_diagonals(method: str):
    """2 × 2 squares, equal weights, k = 2: halves and diagonals (queen) balance alike;
    halves have the smaller inertia (2 × 2 × 0.25 = 1 against 2 × 2 × 0.5 = 2)."""
    mapping = regionalise(squares(2, 2), pd.Series([1.0] * 4), RegionRequest(k=2, method=method))
    assert groups(mapping) in (
        {frozenset({"01", "02"}), frozenset({"03", "04"})},
        {frozenset({"01", "03"}), frozenset({"02", "04"})},
    )


def brute_force_best(quarters: gpd.GeoDataFrame, weight: np.ndarray, k: int) -> float:
    """The smallest imbalance Σ (T_r / (T/k) − 1)² over all contiguous k-partitions."""
    graph = queen_graph(quarters)
    ids = quarters["quarter_id"].tolist()
    best = np.inf
    for labels in itertools.product(range(k), repeat=len(ids)):
        if len(set(labels)) != k or labels[0] != 0:
            continue
        parts = [[ids[i] for i in range(len(ids)) if labels[i] == r] for r in range(k)]
        if all(nx.is_connected(graph.subgraph(p)) for p in parts):
            totals = np.array([weight[[ids.index(q) for q in p]].sum() for p in parts])
            best = min(best, float(np.sum((totals / (weight.sum() / k) - 1) ** 2)))
    return best


def test_azp_reaches_the_brute_force_optimum():
    """2 × 3 grid, k = 3: AZP (balance only) finds the best contiguous partition."""
    quarters = squares(3, 2)
    weight = np.array([5.0, 1, 2, 2, 3, 2])
    mapping = regionalise(
        quarters, pd.Series(weight), RegionRequest(k=3, method="azp", compactness_weight=0.0)
    )
    totals = (
        pd.Series(weight, index=quarters["quarter_id"])
        .groupby(mapping.set_index("quarter_id")["planning_area"])
        .sum()
    )
    achieved = float(np.sum((totals / (weight.sum() / 3) - 1) ** 2))
    assert achieved == pytest.approx(brute_force_best(quarters, weight, 3))
    assert_contiguous(mapping, queen_graph(quarters))


@pytest.mark.parametrize("method", METHODS)
def test_constraints_on_a_row(method: str):
    """Row 4, 1, 1, 1, 1 with 01 and 02 together: 01 can no longer stand alone."""
    mapping = regionalise(
        squares(5),
        pd.Series([4.0, 1, 1, 1, 1]),
        RegionRequest(k=2, method=method, together=[["01", "Q2"]], fixed={"05": "Ost"}),
    )
    area = mapping.set_index("quarter_id")["planning_area"]
    assert area["01"] == area["02"]
    assert area["05"] == "Ost"
    assert_contiguous(mapping, queen_graph(squares(5)))


def test_fixed_names_apart_and_together():
    mapping = regionalise(
        squares(6),
        pd.Series([1.0] * 6),
        RegionRequest(k=3, method="skater", fixed={"01": "A", "02": "A", "06": "C"}),
    )
    area = mapping.set_index("quarter_id")["planning_area"]
    assert area["01"] == area["02"] == "A" and area["06"] == "C"
    assert mapping["planning_area"].nunique() == 3


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (RegionRequest(k=7), "k = 7"),
        (RegionRequest(k=0), "k = 0"),
        (RegionRequest(k=2, together=[["01", "03"]]), "Q1, Q3"),
        (RegionRequest(k=2, together=[["01", "99"]]), "'99'"),
        (RegionRequest(k=2, fixed={"Q9": "A"}), "'Q9'"),
        (RegionRequest(k=2, together=[["01", "02"]], fixed={"01": "A", "02": "B"}), "'A'"),
        (RegionRequest(k=2, fixed={"01": "A", "03": "B", "05": "C"}), "k = 2"),
        (RegionRequest(k=2, method="ward"), "'ward'"),
    ],
)
def test_bad_requests_are_refused(request_: RegionRequest, words: str):
    with pytest.raises(InputDataError, match=words.replace("(", r"\(")):
        regionalise(squares(6), pd.Series([1.0] * 6), request_)


def test_separate_pieces_are_refused():
    quarters = squares(3)
    quarters.loc[2, "geometry"] = shapely.box(10, 0, 11, 1)
    with pytest.raises(InputDataError, match="Q3"):
        regionalise(quarters, pd.Series([1.0] * 3), RegionRequest(k=2))


@pytest.mark.parametrize("method", METHODS)
def test_demo_areas_contiguous_balanced_and_constrained(demo_results_ageing: Results, method: str):
    request = RegionRequest(
        k=6, method=method, together=[["19", "20"]], fixed={"08": "West", "27": "Nord"}
    )
    mapping = propose_areas(demo_results_ageing, request)
    quarters = demo_results_ageing.study.quarters
    assert mapping["quarter_id"].tolist() == quarters["quarter_id"].tolist()
    assert mapping["planning_area"].nunique() == 6
    assert_contiguous(mapping, queen_graph(quarters))
    area = mapping.set_index("quarter_id")["planning_area"]
    assert area["19"] == area["20"] and area["08"] == "West" and area["27"] == "Nord"
    # the same request gives the same proposal
    assert propose_areas(demo_results_ageing, request).equals(mapping)


def test_comparison_totals_spread_and_compactness(demo_results_ageing: Results):
    results = demo_results_ageing
    mapping = propose_areas(results, RegionRequest(k=6, method="azp"))
    comparison = compare_areas(results, mapping)
    year = max(results.years)
    exact = results.counts["quarter"].xs(year, level="year")["older"]
    quarters = results.study.quarters.set_index("quarter_id")
    for scheme, labels in (("current", quarters["planning_area"]), ("proposal", None)):
        if labels is None:
            labels = mapping.set_index("quarter_id")["planning_area"]
        sums = exact.groupby(labels.reindex(exact.index)).sum().to_frame("older")
        shown = disclose_area_counts(sums, True)["older"]
        table = comparison.areas[comparison.areas["scheme"] == scheme].set_index("planning_area")
        assert table["older"].sort_index().tolist() == shown.sort_index().tolist()
        need = table["need"]
        row = comparison.spread.set_index("scheme").loc[scheme]
        assert row["max_min"] == pytest.approx(need.max() / need.min())
        assert row["cv"] == pytest.approx(need.std(ddof=0) / need.mean())
        assert (table["older"] % 10 == 0).all()  # free-form areas: multiples of 10
        assert ((table["polsby_popper"] > 0) & (table["polsby_popper"] < 1)).all()
    spread = comparison.spread.set_index("scheme")["cv"]
    assert spread["proposal"] < spread["current"]
    # the current areas' geometry: the dissolved quarters, their compactness 4πA/P²
    west = comparison.geometry.query("scheme == 'current' and planning_area == 'West'")
    shape = quarters[quarters["planning_area"] == "West"].union_all()
    pp = 4 * np.pi * shape.area / shape.length**2
    current = comparison.areas.query("scheme == 'current'").set_index("planning_area")
    assert current.loc["West", "polsby_popper"] == pytest.approx(pp)
    assert west.geometry.iloc[0].area == pytest.approx(shape.area)


def test_mapping_loads_back_as_the_demo_planning_areas(
    demo_results_ageing: Results, tmp_path: Path
):
    mapping = propose_areas(demo_results_ageing, RegionRequest(k=5, method="skater"))
    folder = tmp_path / "demo"
    shutil.copytree(sqe_geo.DEMO_STUDY.parent, folder)
    (folder / "planning_areas.csv").write_bytes(mapping_csv(mapping))
    results = sqe_geo.run(sqe_geo.load_study(folder / "demo.toml"), accessibility=False)
    assert sorted(results.units["planning_area"]["unit_id"]) == sorted(
        set(mapping["planning_area"])
    )
    assert not [f for f in results.report.findings if "planning_area" in f.layer]
    year = max(results.years)
    area_counts = results.counts["planning_area"].xs(year, level="year")["older"]
    quarter_counts = results.counts["quarter"].xs(year, level="year")["older"]
    expected = quarter_counts.groupby(mapping.set_index("quarter_id")["planning_area"]).sum()
    assert area_counts.sort_index().tolist() == pytest.approx(expected.sort_index().tolist())


def test_command_writes_the_mapping(tmp_path: Path, capsys):
    out = tmp_path / "zuordnung.csv"
    assert main(["regions", "--k", "6", "--method", "skater", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "bisher: 6 Planungsräume" in printed and "Vorschlag: 6 Planungsräume" in printed
    table = pd.read_csv(out, dtype=str)
    assert table.columns.tolist() == ["quarter_id", "name", "planning_area"]
    assert len(table) == 27 and table["planning_area"].nunique() == 6
    assert [p.name for p in tmp_path.iterdir()] == ["zuordnung.csv"]  # no .part left


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--k", "28"], "k = 28"),
        (["--together", "19,99"], "'99'"),
        (["--fixed", "Atlantis=West"], "'Atlantis'"),
        (["--fixed", "08"], "QUARTIER=PLANUNGSRAUM"),
        (["--balance", "older=viel"], "--balance"),
        (["--balance", "wealth"], "wealth"),
    ],
)
def test_command_refuses_bad_input(tmp_path: Path, capsys, args: list[str], words: str):
    out = tmp_path / "zuordnung.csv"
    out.write_text("vorher\n", encoding="utf-8")
    assert main(["regions", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert out.read_text(encoding="utf-8") == "vorher\n"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["zuordnung.csv"]


def test_command_refuses_other_suffixes(tmp_path: Path, capsys):
    assert main(["--lang", "en", "regions", "--out", str(tmp_path / "m.xlsx")]) == 2
    assert "ending in .csv" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["sqe_geo.regions_solve", "sqe_geo.regions_compare"])
def test_docstring_examples(name: str):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "spopt", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'sqe-geo\[regions\]'"):
        regionalise(squares(3), pd.Series([1.0] * 3), RegionRequest(k=2))
