"""Best new locations: the maximal covering location problem over the walking network.

Choose ``k`` new sites among candidate points so that as many older residents as possible
live within the category's threshold of a facility, with the existing facilities locked in
(their residents count as covered already). Only residents within the threshold of some
candidate and not yet covered interact (the reduced problem); it is solved exactly as a
mixed-integer program with HiGHS (:func:`scipy.optimize.milp`), and greedily as well, so
that the gap of the greedy answer is known. An instance that the solver does not finish
within the time limit returns the greedy sites with the gap to the better of the solver's
bound and the submodular bound of the greedy run (:func:`submodular_bound`).

Coverage is by network distance, computed like the accessibility indicators: the access leg
of both points, the nearer end of each snapped edge, or directly along a shared edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from sqe_geo._errors import InputDataError
from sqe_geo.access.graph_search import distances_at_origins
from sqe_geo.access.isochrones import node_distances
from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.snapping import SnapResult, snap_points
from sqe_geo.i18n.messages import Message

__all__ = [
    "Coverage",
    "LocationChoice",
    "SiteDistances",
    "coverage_matrix",
    "greedy_sites",
    "maximal_covering",
    "may_be_optimal",
    "relative_gap",
    "site_distances",
    "submodular_bound",
]


@dataclass(frozen=True)
class Coverage:
    """Which residents' locations lie within the threshold of which points.

    Attributes
    ----------
    matrix
        ``(n_origins, n_points)`` sparse boolean: origin ``i`` within the threshold of ``j``.
    threshold_m
        The walking distance.
    """

    matrix: sparse.csr_array
    threshold_m: float


@dataclass(frozen=True)
class LocationChoice:
    """The chosen sites and what they add.

    Attributes
    ----------
    sites
        Positions into the candidates, in the order of their greedy gain.
    gains
        Weight newly covered by each site when added in that order.
    covered_before
        Weight covered by the existing facilities.
    covered_after
        Weight covered with the new sites.
    method
        ``"exact"`` (proved optimal: by HiGHS, or for one site by the greedy choice, which is
        optimal there) or ``"greedy"`` (time limit reached). Sites
        that add nothing are left out, so there may be fewer than ``k``.
    gap
        Relative gap of the greedy answer to the optimum (exact) or to the best bound.
    """

    sites: list[int]
    gains: list[float]
    covered_before: float
    covered_after: float
    method: str
    gap: float


@dataclass(frozen=True)
class SiteDistances:
    """Walking distances from residents' locations to points, up to a search radius.

    Attributes
    ----------
    origin, point
        Positions of the pairs within the radius.
    metres
        Their walking distance.
    shape
        ``(n_origins, n_points)``.
    limit_m
        The search radius; pairs farther apart are not listed.
    """

    origin: np.ndarray
    point: np.ndarray
    metres: np.ndarray
    shape: tuple[int, int]
    limit_m: float

    def within(self, threshold_m: float) -> Coverage:
        """The coverage at ``threshold_m`` (at most the search radius)."""
        hit = self.metres <= threshold_m
        data = np.ones(int(hit.sum()), dtype=bool)
        pairs = (self.origin[hit], self.point[hit])
        return Coverage(sparse.csr_array((data, pairs), shape=self.shape), float(threshold_m))


def site_distances(
    network: WalkingNetwork,
    origins: SnapResult,
    points_xy: np.ndarray,
    limit_m: float,
    *,
    max_snap_m: float = 300.0,
) -> SiteDistances:
    """Walking distances of origins within ``limit_m`` of each point (one bounded search each).

    Distances are computed like the accessibility indicators: the access leg of both points,
    the nearer end of each snapped edge, or directly along a shared edge.

    Parameters
    ----------
    network
        The walking network.
    origins
        The snap of the residents' locations.
    points_xy
        ``(n, 2)`` facilities or candidate sites; a point off the network reaches nobody.
    limit_m
        The search radius.
    max_snap_m
        Maximum snap distance of the points.
    """
    snap = snap_points(network, points_xy, max_snap_m=max_snap_m)
    sel = np.flatnonzero(origins.snapped)
    rows: list[np.ndarray] = [np.zeros(0, dtype=int)]
    cols: list[np.ndarray] = [np.zeros(0, dtype=int)]
    metres: list[np.ndarray] = [np.zeros(0)]
    for j in np.flatnonzero(snap.snapped):
        start = (int(snap.edge[j]), float(snap.along_m[j]), float(snap.access_m[j]))
        nodes = node_distances(network, *start, limit_m=limit_m)
        dist = distances_at_origins(network, nodes, origins, sel)
        same = origins.edge[sel] == start[0]  # directly along the shared edge
        direct = origins.access_m[sel] + np.abs(origins.along_m[sel] - start[1]) + start[2]
        dist = np.where(same, np.minimum(dist, direct), dist)
        near = dist <= limit_m
        rows.append(sel[near])
        cols.append(np.full(int(near.sum()), j))
        metres.append(dist[near])
    shape = (len(origins), points_xy.shape[0])
    return SiteDistances(
        np.concatenate(rows), np.concatenate(cols), np.concatenate(metres), shape, float(limit_m)
    )


def coverage_matrix(
    network: WalkingNetwork,
    origins: SnapResult,
    points_xy: np.ndarray,
    threshold_m: float,
    *,
    max_snap_m: float = 300.0,
) -> Coverage:
    """Origins within ``threshold_m`` walking of each point (one bounded search per point).

    Parameters
    ----------
    network
        The walking network.
    origins
        The snap of the residents' locations.
    points_xy
        ``(n, 2)`` facilities or candidate sites; a point off the network covers nobody.
    threshold_m
        The walking distance.
    max_snap_m
        Maximum snap distance of the points.
    """
    distances = site_distances(network, origins, points_xy, threshold_m, max_snap_m=max_snap_m)
    return distances.within(threshold_m)


def greedy_sites(
    candidates: sparse.csr_array, weight: np.ndarray, k: int
) -> tuple[list[int], list[float]]:
    """The greedy answer: add the site that covers the most uncovered weight, ``k`` times.

    Parameters
    ----------
    candidates
        ``(n_origins, n_candidates)`` coverage of the residents not yet covered.
    weight
        ``(n_origins,)`` residents per location (older residents).
    k
        Number of sites.
    """
    sites, gains, _ = _greedy(candidates, weight, k)
    return sites, gains


def submodular_bound(value: float, marginal: np.ndarray, k: int) -> float:
    """An upper bound of the best value of ``k`` sites, from any set of sites.

    Covered weight and saved walking are monotone submodular in the set of sites, so the
    optimum is at most the value of a set plus the ``k`` largest marginal gains at that set
    (Nemhauser, Wolsey & Fisher 1978). The greedy run gives such a bound at every step; its
    minimum bounds the greedy answer's gap without a solver.

    Parameters
    ----------
    value
        Value of the set.
    marginal
        Gain of adding each candidate to the set.
    k
        Number of sites.
    """
    top = np.sort(np.maximum(np.asarray(marginal, dtype=float), 0.0))[::-1][:k]
    return float(value + top.sum())


def may_be_optimal(alone: np.ndarray, greedy_value: float, bound_fewer: float) -> np.ndarray:
    """Candidates that can belong to an optimal set of ``k`` sites (the others are pruned).

    If site ``j`` is in an optimal set ``S*``, then ``greedy ≤ f(S*) ≤ f(S* − j) + f({j})
    ≤ bound(k − 1) + f({j})`` (submodularity), so a candidate whose value alone is below
    ``greedy − bound(k − 1)`` is in no optimal set.

    Parameters
    ----------
    alone
        Value of each candidate on its own (covered weight or saved walking).
    greedy_value
        Value of the greedy answer with ``k`` sites (at most the optimum).
    bound_fewer
        An upper bound of the best value of ``k − 1`` sites.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the candidates to keep.
    """
    slack = 1e-9 * max(abs(greedy_value), 1.0)
    keep: np.ndarray = alone >= greedy_value - bound_fewer - slack
    return keep


def _greedy(
    candidates: sparse.csr_array, weight: np.ndarray, k: int
) -> tuple[list[int], list[float], float]:
    """Greedy sites, their gains and the least submodular bound along the way."""
    cover = sparse.csc_array(candidates, dtype=float)
    open_weight = weight.astype(float).copy()
    sites: list[int] = []
    gains: list[float] = []
    bound = np.inf
    for step in range(min(k, cover.shape[1]) + 1):
        gain = cover.T @ open_weight
        gain[sites] = 0.0
        bound = min(bound, submodular_bound(sum(gains), gain, k))
        best = int(np.argmax(gain))
        if step == k or gain[best] <= 0:
            break
        sites.append(best)
        gains.append(float(gain[best]))
        reached = cover[:, [best]].toarray().ravel() > 0
        open_weight[reached] = 0.0
    return sites, gains, bound


def _exact(
    cover: sparse.csr_array, weight: np.ndarray, k: int, time_limit_s: float
) -> tuple[list[int] | None, float]:
    """Optimal sites (None when not proven in time) and the best bound of the objective."""
    n_o, n_c = cover.shape
    # variables: x (candidates, binary) then y (origins, [0, 1]); maximise weight · y
    c = np.concatenate([np.zeros(n_c), -weight])
    link = sparse.hstack([-cover.astype(np.float64), sparse.eye_array(n_o)])
    count = sparse.hstack([sparse.csr_array(np.ones((1, n_c))), sparse.csr_array((1, n_o))])
    constraints = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(count, 0.0, float(k)),
    ]
    integrality = np.concatenate([np.ones(n_c), np.zeros(n_o)])
    result = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": time_limit_s},
    )
    bound = -float(result.mip_dual_bound) if result.mip_dual_bound is not None else np.inf
    if result.status != 0 or result.x is None:
        return None, bound
    chosen = [int(j) for j in np.flatnonzero(result.x[:n_c] > 0.5)]
    return chosen, -float(result.fun)


def relative_gap(best: float, greedy: float) -> float:
    """Relative gap of the greedy value to ``best`` (0 where equal up to rounding)."""
    gap = (best - greedy) / best if best > 0 else 0.0
    return gap if gap > 1e-9 else 0.0  # rounding of the solver's value is no gap


def maximal_covering(
    existing: Coverage,
    candidates: Coverage,
    weight: np.ndarray,
    k: int,
    *,
    time_limit_s: float = 30.0,
) -> LocationChoice:
    """Choose ``k`` candidate sites that cover the most weight not covered yet.

    Parameters
    ----------
    existing
        Coverage of the existing facilities (locked in).
    candidates
        Coverage of the candidate sites (same origins, same threshold).
    weight
        ``(n_origins,)`` older residents per location.
    k
        Number of new sites (at least 1).
    time_limit_s
        Time limit of the exact solver; beyond it the greedy answer is returned.

    Returns
    -------
    LocationChoice

    Raises
    ------
    InputDataError
        ``k`` below 1 or no candidate given.
    """
    n_candidates = candidates.matrix.shape[1]
    if k < 1 or n_candidates == 0:
        raise InputDataError(Message("access.locations.bad_k", k=k, n=n_candidates))
    weight = np.nan_to_num(np.asarray(weight, dtype=float))
    covered = np.asarray(existing.matrix.sum(axis=1)).ravel() > 0
    before = float(weight[covered].sum())
    # the reduced problem: origins not covered yet that some candidate reaches
    reach = np.asarray(candidates.matrix.sum(axis=1)).ravel() > 0
    keep = np.flatnonzero(~covered & reach)
    cover = sparse.csr_array(candidates.matrix[keep])
    w = weight[keep]
    greedy, gains, bound = _greedy(cover, w, k)
    greedy_value = float(sum(gains))
    # greedy is exact for one site (the best single gain) and where the bound proves it
    if k == 1 or keep.size == 0 or relative_gap(bound, greedy_value) == 0.0:
        return LocationChoice(greedy, gains, before, before + greedy_value, "exact", 0.0)
    # only candidates that may be in an optimal set enter the solver
    fewer = _greedy(cover, w, k - 1)[2]
    pool = np.flatnonzero(may_be_optimal(cover.T @ w, greedy_value, fewer))
    found, value = _exact(sparse.csr_array(cover[:, pool]), w, k, time_limit_s)
    exact = None if found is None else [int(pool[j]) for j in found]
    if exact is None:
        gap = relative_gap(min(value, bound), greedy_value)
        return LocationChoice(greedy, gains, before, before + greedy_value, "greedy", gap)
    order, ordered_gains = greedy_sites(cover[:, exact], w, len(exact))
    sites = [exact[j] for j in order]
    return LocationChoice(
        sites, ordered_gains, before, before + value, "exact", relative_gap(value, greedy_value)
    )
