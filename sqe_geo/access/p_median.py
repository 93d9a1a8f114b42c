"""Best new locations by the p-median: the least total walking distance of older residents.

Choose ``k`` new sites among candidates so that the sum over the residents' locations of
*older residents × walking distance to the nearest facility* is smallest, with the existing
facilities locked in: a location's distance is the minimum over the existing and the chosen
sites.

**Cut-off.** Distances are searched up to a cut-off (``limit_m`` of the
:class:`~sqe_geo.access.locations.SiteDistances`). A walk longer than the cut-off counts as
the cut-off — the penalty distance: beyond it nobody is taken to walk, however far the
nearest facility is, so a location that no existing facility reaches within the cut-off
enters the total with the cut-off and a new site within reach saves the difference. This
keeps every location in the total (none is silently dropped) and keeps the before/after
totals comparable; the weight beyond the cut-off before and after is reported as well.

Only pairs where a candidate is nearer than the location's present distance interact (the
reduced problem); it is solved exactly as a mixed-integer program with HiGHS
(:func:`scipy.optimize.milp`) and greedily, so that the greedy answer's gap is known. When the
solver does not finish within the time limit, the greedy sites are returned with the gap to
the better of the solver's bound and the submodular bound of the greedy run
(:func:`~sqe_geo.access.locations.submodular_bound`). For one site the greedy choice is
optimal and the solver is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from sqe_geo._errors import InputDataError
from sqe_geo.access.locations import (
    SiteDistances,
    may_be_optimal,
    relative_gap,
    submodular_bound,
)
from sqe_geo.i18n.messages import Message

__all__ = ["MedianChoice", "p_median", "present_distance"]


@dataclass(frozen=True)
class MedianChoice:
    """The chosen sites and the walking they save.

    Attributes
    ----------
    sites
        Positions into the candidates, in the order of their greedy saving.
    savings
        Weighted metres (residents × m) each site saves when added in that order.
    served
        Weight whose nearest facility becomes this site (nearer than before).
    distance_before, distance_after
        Total weighted walking distance (residents × m, capped at the cut-off) with the
        existing facilities only, and with the new sites.
    beyond_before, beyond_after
        Weight farther than the cut-off from every facility, before and after.
    weight
        Total weight in the totals.
    cutoff_m
        The cut-off (penalty distance).
    method
        ``"exact"`` (proved optimal) or ``"greedy"`` (time limit reached).
    gap
        Relative gap of the greedy saving to the optimal saving (exact) or to the bound.
    """

    sites: list[int]
    savings: list[float]
    served: list[float]
    distance_before: float
    distance_after: float
    beyond_before: float
    beyond_after: float
    weight: float
    cutoff_m: float
    method: str
    gap: float


def present_distance(existing: SiteDistances) -> np.ndarray:
    """Distance of each origin to its nearest existing facility, capped at the cut-off.

    Parameters
    ----------
    existing
        Distances to the existing facilities.

    Returns
    -------
    numpy.ndarray
        ``(n_origins,)`` metres; the cut-off where no facility lies within it.
    """
    distance = np.full(existing.shape[0], existing.limit_m)
    np.minimum.at(distance, existing.origin, existing.metres)
    return distance


def _greedy(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray], weight: np.ndarray, start: np.ndarray, k: int
) -> tuple[list[int], list[float], float]:
    """Add the candidate that saves the most weighted distance, ``k`` times; the sites, their
    savings and the least submodular bound of the optimal saving along the way."""
    origin, cand, metres = pairs
    current = start.copy()
    n_c = int(cand.max()) + 1 if cand.size else 0
    sites: list[int] = []
    savings: list[float] = []
    bound = np.inf
    for step in range(min(k, n_c) + 1):
        saving = np.bincount(
            cand, weight[origin] * np.maximum(current[origin] - metres, 0.0), minlength=n_c
        )
        saving[sites] = 0.0
        bound = min(bound, submodular_bound(sum(savings), saving, k))
        best = int(np.argmax(saving)) if n_c else 0
        if step == k or not n_c or saving[best] <= 0:
            break
        sites.append(best)
        savings.append(float(saving[best]))
        mine = cand == best
        np.minimum.at(current, origin[mine], metres[mine])
    return sites, savings, bound


def _exact(
    origin: np.ndarray, cand: np.ndarray, saving: np.ndarray, k: int, time_limit_s: float
) -> tuple[list[int] | None, float]:
    """Optimal sites (None when not proven in time) and the best bound of the saving."""
    n_c = int(cand.max()) + 1
    n_p = origin.size
    _, row = np.unique(origin, return_inverse=True)
    n_o = int(row.max()) + 1
    # variables: x (candidates, binary) then y (pairs, [0, 1]); maximise saving · y
    c = np.concatenate([np.zeros(n_c), -saving])
    pair = np.arange(n_p)
    one = sparse.csr_array((np.ones(n_p), (row, n_c + pair)), shape=(n_o, n_c + n_p))
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(n_p), -np.ones(n_p)]),
            (np.tile(pair, 2), np.r_[n_c + pair, cand]),
        ),
        shape=(n_p, n_c + n_p),
    )
    count = sparse.csr_array(
        (np.ones(n_c), (np.zeros(n_c, dtype=int), np.arange(n_c))), (1, n_c + n_p)
    )
    result = milp(
        c,
        constraints=[
            LinearConstraint(one, -np.inf, 1.0),
            LinearConstraint(link, -np.inf, 0.0),
            LinearConstraint(count, 0.0, float(k)),
        ],
        integrality=np.concatenate([np.ones(n_c), np.zeros(n_p)]),
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": time_limit_s},
    )
    bound = -float(result.mip_dual_bound) if result.mip_dual_bound is not None else np.inf
    if result.status != 0 or result.x is None:
        return None, bound
    return [int(j) for j in np.flatnonzero(result.x[:n_c] > 0.5)], -float(result.fun)


def p_median(
    existing: SiteDistances,
    candidates: SiteDistances,
    weight: np.ndarray,
    k: int,
    *,
    time_limit_s: float = 30.0,
) -> MedianChoice:
    """Choose ``k`` candidate sites that save the most weighted walking distance.

    Parameters
    ----------
    existing
        Distances to the existing facilities (locked in), searched up to the cut-off.
    candidates
        Distances to the candidate sites (same origins, same cut-off).
    weight
        ``(n_origins,)`` older residents per location (0 for locations to leave out, e.g.
        those off the network).
    k
        Number of new sites (at least 1).
    time_limit_s
        Time limit of the exact solver; beyond it the greedy answer is returned.

    Returns
    -------
    MedianChoice

    Raises
    ------
    InputDataError
        ``k`` below 1 or no candidate given.
    """
    n_candidates = candidates.shape[1]
    if k < 1 or n_candidates == 0:
        raise InputDataError(Message("access.locations.bad_k", k=k, n=n_candidates))
    weight = np.nan_to_num(np.asarray(weight, dtype=float))
    cutoff = float(candidates.limit_m)
    before = np.minimum(present_distance(existing), cutoff)
    # the reduced problem: pairs where a candidate is nearer than today and weight lives
    keep = (candidates.metres < before[candidates.origin]) & (weight[candidates.origin] > 0)
    pairs = (candidates.origin[keep], candidates.point[keep], candidates.metres[keep])
    greedy, savings, bound = _greedy(pairs, weight, before, k)
    greedy_value = float(sum(savings))
    method, gap, chosen = "exact", 0.0, greedy
    # greedy is exact for one site (the best single saving) and where the bound proves it
    if k > 1 and pairs[0].size and relative_gap(bound, greedy_value) > 0.0:
        saving = weight[pairs[0]] * (before[pairs[0]] - pairs[2])
        # only candidates that may be in an optimal set enter the solver
        fewer = _greedy(pairs, weight, before, k - 1)[2]
        alone = np.bincount(pairs[1], saving, minlength=n_candidates)
        pool = np.flatnonzero(may_be_optimal(alone, greedy_value, fewer))
        mine = np.isin(pairs[1], pool)
        cand = np.searchsorted(pool, pairs[1][mine])
        found, value = _exact(pairs[0][mine], cand, saving[mine], k, time_limit_s)
        exact = None if found is None else [int(pool[j]) for j in found]
        if exact is None:
            method, gap = "greedy", relative_gap(min(value, bound), greedy_value)
        else:  # the optimal sites, in the order of their greedy saving among themselves
            gap = relative_gap(value, greedy_value)
            mine = np.isin(pairs[1], exact)
            sub = (pairs[0][mine], np.searchsorted(exact, pairs[1][mine]), pairs[2][mine])
            order, savings, _ = _greedy(sub, weight, before, len(exact))
            chosen = [exact[j] for j in order]
    return _choice(chosen, savings, pairs, weight, before, cutoff, method, gap)


def _choice(
    sites: list[int],
    savings: list[float],
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    weight: np.ndarray,
    before: np.ndarray,
    cutoff: float,
    method: str,
    gap: float,
) -> MedianChoice:
    """Totals before and after, and who each site serves."""
    after = before.copy()
    nearest = np.full(before.size, -1)
    for rank, site in enumerate(sites):
        mine = pairs[1] == site
        origin, metres = pairs[0][mine], pairs[2][mine]
        closer = metres < after[origin]
        after[origin[closer]] = metres[closer]
        nearest[origin[closer]] = rank
    served = np.bincount(nearest[nearest >= 0], weight[nearest >= 0], minlength=len(sites))
    return MedianChoice(
        sites=sites,
        savings=savings,
        served=[float(s) for s in served],
        distance_before=float(weight @ before),
        distance_after=float(weight @ after),
        beyond_before=float(weight[before >= cutoff].sum()),
        beyond_after=float(weight[after >= cutoff].sum()),
        weight=float(weight.sum()),
        cutoff_m=cutoff,
        method=method,
        gap=gap,
    )
