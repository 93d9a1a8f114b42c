"""Planning areas that balance: ``k`` contiguous areas from the quarters, compared.

:func:`propose_areas` groups a study's quarters into ``k`` contiguous planning areas whose
older residents (or a weighted need score of count variables) are as equal as possible and
whose shape stays compact, with spopt's regionalisation methods (SKATER, AZP, max-p; see
:mod:`sqe_geo.regions_solve`). Contiguity is the queen contiguity of the quarters (libpysal):
quarters that share a border or a corner are neighbours, and every proposed area is one
connected piece of that graph.

Constraints
-----------
``together``
    Groups of quarters that must stay in one area. Each group must be contiguous itself; its
    quarters are merged into one unit before the regionalisation (so no method can split
    them), and the unit's weight, area and centroid are the sums (area-weighted centroid).
``fixed``
    Quarter -> the name of the area it must belong to. Quarters fixed to the same name must
    share an area, quarters fixed to different names must not: both are pairs in the
    objective with a large penalty (SKATER, AZP), and every result is validated (max-p
    goes on to its next floor). The proposed area holding them takes the given name, e.g.
    ``{"08": "West"}`` keeps Mühlburg in an area called West. A proposal that still breaks a
    constraint raises :class:`~sqe_geo._errors.InputDataError`; nothing is silently dropped.

The comparison with the current areas is :mod:`sqe_geo.regions_compare`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from sqe_geo._errors import InputDataError, MissingDependencyError, listing
from sqe_geo.i18n.messages import Message, text
from sqe_geo.regions_solve import METHODS, Units, partition, violations
from sqe_geo.results import Results

__all__ = [
    "METHODS",
    "RegionRequest",
    "need_score",
    "propose_areas",
    "quarter_counts",
    "quarter_neighbours",
    "regionalise",
    "study_year",
]  # fmt: skip


@dataclass(frozen=True)
class RegionRequest:
    """What to propose.

    Attributes
    ----------
    k
        Number of planning areas.
    method
        ``"skater"``, ``"azp"`` or ``"maxp"``.
    balance
        Count variable -> weight of the need score that is balanced (default: 65+).
    year
        Year of the counts (default: the latest).
    together
        Groups of quarters (ids or names) that must stay in one area.
    fixed
        Quarter (id or name) -> name of the area it must belong to.
    compactness_weight
        Weight of compactness against balance (0: balance only).
    seed
        Seed of the random starts (AZP, max-p): the same request gives the same proposal.
    """

    k: int
    method: str = "skater"
    balance: Mapping[str, float] = field(default_factory=lambda: {"older": 1.0})
    year: int | None = None
    together: Sequence[Sequence[str]] = ()
    fixed: Mapping[str, str] = field(default_factory=dict)
    compactness_weight: float = 0.5
    seed: int = 0


def _require_extra() -> None:
    """libpysal and spopt are the optional extra ``regions``: a clear error without them."""
    try:
        import libpysal  # noqa: F401
        import spopt  # noqa: F401
    except ImportError as exc:
        name = exc.name or "spopt"
        raise MissingDependencyError(Message("regions.missing_extra", module=name)) from exc


def quarter_neighbours(quarters: gpd.GeoDataFrame) -> dict[int, list[int]]:
    """Queen contiguity of the quarters (row positions), from libpysal.

    Parameters
    ----------
    quarters
        Polygons, one row per quarter.

    Returns
    -------
    dict
        Row position -> positions of the quarters sharing a border or a corner.
    """
    _require_extra()
    from libpysal.weights import Queen

    weights = Queen.from_dataframe(
        quarters.reset_index(drop=True), use_index=False, silence_warnings=True
    )
    return {int(i): sorted(int(j) for j in weights.neighbors[i]) for i in range(len(quarters))}


def _resolve(key: str, quarters: gpd.GeoDataFrame, where: str) -> int:
    """Row position of a quarter given by id or by name; unknown ones are an error."""
    for column in ("quarter_id", "name"):
        hits = np.flatnonzero(quarters[column].astype(str).to_numpy() == str(key).strip())
        if len(hits):
            return int(hits[0])
    raise InputDataError(
        Message(
            "regions.unknown_quarter",
            where=where,
            quarter=key,
            ids=listing(quarters["quarter_id"].astype(str)),
        )
    )


def _components(n: int, edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Connected component label per node of an undirected graph."""
    rows = [i for i, _ in edges]
    cols = [j for _, j in edges]
    graph = coo_array((np.ones(len(edges)), (rows, cols)), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1])


def _merge_groups(
    quarters: gpd.GeoDataFrame, neighbours: dict[int, list[int]], request: RegionRequest
) -> np.ndarray:
    """Unit per quarter: the ``together`` groups merged (each must be contiguous)."""
    n = len(quarters)
    links: list[tuple[int, int]] = []
    for group in request.together:
        members = [_resolve(key, quarters, "together") for key in group]
        inside = set(members)
        sub = [(i, j) for i in members for j in neighbours[i] if j in inside]
        labels = _components(n, sub)
        if len({labels[i] for i in members}) > 1:
            names = ", ".join(str(quarters["name"].iloc[i]) for i in members)
            raise InputDataError(Message("regions.together_apart", quarters=names))
        links += [(members[0], m) for m in members[1:]]
    return _components(n, links)


def _fixed_pairs(
    quarters: gpd.GeoDataFrame, unit_of: np.ndarray, request: RegionRequest
) -> tuple[dict[int, str], list[tuple[int, int]], list[tuple[int, int]]]:
    """Unit -> fixed area name, and the unit pairs that must share or must not share."""
    named: dict[int, str] = {}
    for key, area in request.fixed.items():
        unit = int(unit_of[_resolve(key, quarters, "fixed")])
        if named.setdefault(unit, str(area)) != str(area):
            raise InputDataError(
                Message("regions.fixed_conflict", quarter=key, first=named[unit], second=area)
            )
    if len(set(named.values())) > request.k:
        raise InputDataError(
            Message("regions.too_many_fixed", k=request.k, n=len(set(named.values())))
        )
    units = sorted(named)
    same = [(a, b) for a in units for b in units if a < b and named[a] == named[b]]
    apart = [(a, b) for a in units for b in units if a < b and named[a] != named[b]]
    return named, same, apart


def _check(quarters: gpd.GeoDataFrame, weight: pd.Series, request: RegionRequest) -> None:
    if request.method not in METHODS:
        raise InputDataError(
            Message("regions.method", method=request.method, methods=", ".join(METHODS))
        )
    if not 1 <= request.k <= len(quarters):
        raise InputDataError(Message("regions.k_range", k=request.k, n=len(quarters)))
    missing = weight.isna() | (weight < 0)
    if missing.any():
        raise InputDataError(
            Message("regions.weight_missing", quarters=listing(quarters.loc[missing, "name"]))
        )


def regionalise(
    quarters: gpd.GeoDataFrame, weight: pd.Series, request: RegionRequest, language: str = "de"
) -> pd.DataFrame:
    """Propose ``request.k`` contiguous areas of the quarters balancing ``weight``.

    Parameters
    ----------
    quarters
        ``quarter_id``, ``name`` and polygons in a metric CRS.
    weight
        The balanced quantity per quarter, aligned with the rows of ``quarters``.
    request
        Number of areas, method and constraints.
    language
        Language of the generated area names ("Planungsraum 1" …).

    Returns
    -------
    pandas.DataFrame
        The mapping table: ``quarter_id``, ``name``, ``planning_area``.

    Raises
    ------
    InputDataError
        ``k`` out of range, an unknown method or quarter, a group that is not contiguous,
        conflicting constraints, quarters without a weight, quarters that do not form one
        connected area, or no proposal that respects the constraints.
    """
    quarters = quarters.reset_index(drop=True)
    weight = pd.Series(np.asarray(weight, dtype=float), index=quarters.index)
    _check(quarters, weight, request)
    neighbours = quarter_neighbours(quarters)
    edges = [(i, j) for i, js in neighbours.items() for j in js]
    if len(set(_components(len(quarters), edges))) > 1:
        alone = [str(quarters["name"].iloc[i]) for i, js in neighbours.items() if not js]
        raise InputDataError(Message("regions.not_connected", alone=listing(alone) or "-"))
    unit_of = _merge_groups(quarters, neighbours, request)
    named, same, apart = _fixed_pairs(quarters, unit_of, request)
    n_units = int(unit_of.max()) + 1
    if request.k > n_units:
        raise InputDataError(Message("regions.k_range", k=request.k, n=n_units))
    area = quarters.geometry.area.to_numpy()
    cx = quarters.geometry.centroid.x.to_numpy() * area
    cy = quarters.geometry.centroid.y.to_numpy() * area
    unit_area = np.asarray(np.bincount(unit_of, weights=area), dtype=float)
    unit_edges = {(int(unit_of[i]), int(unit_of[j])) for i, j in edges if unit_of[i] != unit_of[j]}
    units = Units(
        neighbours={u: sorted(v for w, v in unit_edges if w == u) for u in range(n_units)},
        weight=np.asarray(np.bincount(unit_of, weights=weight.to_numpy()), dtype=float),
        area=unit_area,
        centroid=np.c_[np.bincount(unit_of, weights=cx), np.bincount(unit_of, weights=cy)]
        / unit_area[:, None],
        same=same,
        apart=apart,
    )
    labels = partition(
        units, request.k, request.method,
        compactness_weight=request.compactness_weight, seed=request.seed,
    )  # fmt: skip
    if len(labels) == 0:
        raise InputDataError(Message("regions.maxp_no_k", k=request.k))
    if violations(units, labels):
        raise InputDataError(Message("regions.constraints_unmet", method=request.method))
    names = {int(labels[u]): area_name for u, area_name in named.items()}
    numbers = iter(range(1, 2 * request.k + 1))
    for region in range(request.k):
        while region not in names:
            candidate = text("regions.area_name", language, n=next(numbers))
            if candidate not in names.values():
                names[region] = candidate
    return pd.DataFrame(
        {
            "quarter_id": quarters["quarter_id"].astype(str).to_numpy(),
            "name": quarters["name"].astype(str).to_numpy(),
            "planning_area": [names[int(labels[u])] for u in unit_of],
        }
    )


def study_year(results: Results, year: int | None) -> int:
    """The year asked for (default: the latest of the study); an unknown year is an error."""
    chosen = max(results.years) if year is None else int(year)
    if chosen not in results.years:
        years = ", ".join(str(y) for y in results.years)
        raise InputDataError(Message("regions.no_year", year=chosen, years=years))
    return chosen


def quarter_counts(results: Results, year: int) -> pd.DataFrame:
    """The exact counts per quarter of one year, in the row order of the quarters."""
    counts = results.counts["quarter"].xs(year, level="year")
    ids = results.study.quarters["quarter_id"].astype(str)
    return pd.DataFrame(counts.reindex(ids.to_numpy()))


def need_score(results: Results, balance: Mapping[str, float], year: int) -> pd.Series:
    """The balanced quantity per quarter: the weighted sum of count variables."""
    counts = quarter_counts(results, year)
    unknown = [v for v in balance if v not in counts.columns]
    if unknown or not balance:
        raise InputDataError(
            Message(
                "regions.unknown_count",
                variables=", ".join(unknown) or "-",
                counts=listing(counts.columns),
            )
        )
    score = sum(counts[v].astype(float) * float(w) for v, w in balance.items())
    return pd.Series(np.asarray(score, dtype=float), index=counts.index)


def propose_areas(results: Results, request: RegionRequest, language: str = "de") -> pd.DataFrame:
    """The mapping table of a proposal for a study (see :func:`regionalise`)."""
    year = study_year(results, request.year)
    score = need_score(results, request.balance, year)
    return regionalise(results.study.quarters, score, request, language)
