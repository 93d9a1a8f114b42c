"""Best new locations with capacities: a site covers at most its places (care homes).

The capacitated maximal covering problem: residents within the threshold of a site may be
assigned to it, every site takes at most its capacity (older residents; a care home's places),
and ``k`` new sites are chosen so that as many older residents as possible are assigned. The
existing facilities are open with their capacities; a missing capacity (NaN) means no limit.
Residents of one location may be split between sites (the assignment is a share of the
location's weight), so the covered weight is a flow: with the sites fixed it is a linear
program, with the sites to choose a mixed-integer program, solved with HiGHS
(:func:`scipy.optimize.milp`).

The greedy answer adds, ``k`` times, the candidate whose reach holds the most residents not
yet assigned, up to its capacity, and re-solves the assignment; its value is exact for its
sites, so its gap to the optimum (or to the solver's bound at the time limit) is known.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from sqe_geo._errors import InputDataError
from sqe_geo.access.locations import Coverage, LocationChoice, relative_gap
from sqe_geo.i18n.messages import Message

__all__ = ["capacitated_covering"]


#: Beyond this many (location, site) pairs the exact program is not built: the greedy sites
#: come back with the gap to a simple bound (each site adds at most its places and at most
#: the residents it reaches).
MAX_EXACT_PAIRS = 1_000_000


class _Model:
    """The assignment program: pairs (origin, site) over the existing and candidate sites."""

    def __init__(
        self,
        pairs: tuple[np.ndarray, np.ndarray],
        n_sites: tuple[int, int],
        weight: np.ndarray,
        capacity: np.ndarray,
    ) -> None:
        self.origin, self.site = pairs
        self.n_existing, self.n_candidates = n_sites
        self.weight = weight
        self.capacity = capacity

    @classmethod
    def build(
        cls,
        existing: tuple[Coverage, np.ndarray],
        candidates: tuple[Coverage, np.ndarray],
        weight: np.ndarray,
    ) -> _Model:
        """The program of the coverage matrices and places (NaN: no limit)."""
        both = sparse.coo_array(sparse.hstack([existing[0].matrix, candidates[0].matrix]))
        live = weight[both.row] > 0
        origin, site = both.row[live], both.col[live]
        reach = np.bincount(site, weight[origin], minlength=both.shape[1])
        capacity = np.concatenate([existing[1], candidates[1]]).astype(float)
        capacity = np.where(np.isnan(capacity), np.inf, capacity)
        n_sites = (existing[0].matrix.shape[1], candidates[0].matrix.shape[1])
        # no limit: at most what the site reaches
        return cls((origin, site), n_sites, weight, np.minimum(capacity, reach))

    def among(self, chosen: np.ndarray) -> _Model:
        """The program with only these candidates (renumbered in this order)."""
        local = np.full(self.n_candidates, -1)
        local[chosen] = np.arange(chosen.size)
        cand = self.site - self.n_existing
        keep = (cand < 0) | (local[np.maximum(cand, 0)] >= 0)
        site = np.where(cand < 0, self.site, self.n_existing + local[np.maximum(cand, 0)])[keep]
        capacity = np.r_[self.capacity[: self.n_existing], self.capacity[self.n_existing + chosen]]
        return _Model(
            (self.origin[keep], site), (self.n_existing, chosen.size), self.weight, capacity
        )

    def solve(
        self, open_ub: np.ndarray, k: int, integral: bool, time_limit_s: float
    ) -> tuple[np.ndarray | None, float, np.ndarray]:
        """Open candidates (None if unproven), covered weight (or bound) and the residual."""
        n_c, n_p = self.n_candidates, self.origin.size
        _, row = np.unique(self.origin, return_inverse=True)
        n_o = int(row.max()) + 1 if n_p else 0
        pair = np.arange(n_p)
        w = self.weight[self.origin]
        one = sparse.csr_array((np.ones(n_p), (row, n_c + pair)), shape=(n_o, n_c + n_p))
        n_s = self.n_existing + n_c
        # per site: assigned weight - capacity · x <= 0 (existing: <= capacity)
        is_cand = np.arange(n_s) >= self.n_existing
        load_rows = np.concatenate([self.site, np.flatnonzero(is_cand)])
        load_cols = np.concatenate([n_c + pair, np.arange(n_c)])
        load_data = np.concatenate([w, -self.capacity[is_cand]])
        load = sparse.csr_array((load_data, (load_rows, load_cols)), shape=(n_s, n_c + n_p))
        upper = np.where(is_cand, 0.0, self.capacity)
        cand_pair = np.flatnonzero(self.site >= self.n_existing)
        link = sparse.csr_array(
            (
                np.r_[np.ones(cand_pair.size), -np.ones(cand_pair.size)],
                (
                    np.tile(np.arange(cand_pair.size), 2),
                    np.r_[n_c + cand_pair, self.site[cand_pair] - self.n_existing],
                ),
            ),
            shape=(cand_pair.size, n_c + n_p),
        )
        count = sparse.csr_array(np.r_[np.ones(n_c), np.zeros(n_p)][None, :])
        result = milp(
            np.r_[np.zeros(n_c), -w],
            constraints=[
                LinearConstraint(one, -np.inf, 1.0),
                LinearConstraint(load, -np.inf, upper),
                LinearConstraint(link, -np.inf, 0.0),
                LinearConstraint(count, 0.0, float(k)),
            ],
            integrality=np.r_[np.full(n_c, int(integral)), np.zeros(n_p)],
            bounds=Bounds(0.0, np.r_[open_ub, np.ones(n_p)]),
            options={"time_limit": time_limit_s},
        )
        if result.status != 0 or result.x is None:
            bound = result.mip_dual_bound
            return None, -float(bound) if bound is not None else np.inf, self.weight
        residual = self.weight.copy()
        np.subtract.at(residual, self.origin, w * result.x[n_c:])
        return np.flatnonzero(result.x[:n_c] > 0.5), -float(result.fun), np.maximum(residual, 0)

    def value(self, sites: list[int]) -> tuple[float, np.ndarray]:
        """Covered weight and residual with the existing and these candidate sites open."""
        sub = self.among(np.asarray(sites, dtype=int))
        ones = np.ones(len(sites))
        _, covered, residual = sub.solve(ones, len(sites), integral=False, time_limit_s=np.inf)
        return covered, residual

    def bound(self, before: float, k: int) -> float:
        """Each new site adds at most its places and the residents in its reach."""
        cand = self.site >= self.n_existing
        reach = np.bincount(
            self.site[cand] - self.n_existing,
            self.weight[self.origin[cand]],
            minlength=self.n_candidates,
        )
        most = np.minimum(reach, self.capacity[self.n_existing :])
        return before + float(np.sort(most)[::-1][:k].sum())

    def greedy(
        self, among: list[int], k: int, *, complete: bool = False
    ) -> tuple[list[int], list[float], float]:
        """Greedy sites from ``among``, their gains and the covered weight before them.

        ``complete``: take all of ``among`` (ordered), also those that add nothing at their
        turn, as the optimal sites whose value comes from shifting residents between sites.
        """
        before, residual = self.value([])
        cand_pair = self.site >= self.n_existing
        origin, cand = self.origin[cand_pair], self.site[cand_pair] - self.n_existing
        outside = np.ones(self.n_candidates, dtype=bool)
        outside[among] = False
        sites: list[int] = []
        gains: list[float] = []
        covered = before
        for _ in range(min(k, len(among))):
            room = np.bincount(cand, residual[origin], minlength=self.n_candidates)
            score = np.minimum(room, self.capacity[self.n_existing :])
            score[sites] = -1.0
            score[outside] = -2.0
            best = int(np.argmax(score))
            if score[best] <= 0 and not complete:
                break
            after, residual = self.value([*sites, best])
            sites.append(best)
            gains.append(after - covered)
            covered = after
        return sites, gains, before


def capacitated_covering(
    existing: Coverage,
    existing_capacity: np.ndarray,
    candidates: Coverage,
    candidate_capacity: np.ndarray,
    weight: np.ndarray,
    k: int,
    *,
    time_limit_s: float = 30.0,
) -> LocationChoice:
    """Choose ``k`` candidate sites that, within their capacities, cover the most weight.

    Parameters
    ----------
    existing, existing_capacity
        Coverage of the existing facilities (open) and their places (NaN: no limit).
    candidates, candidate_capacity
        Coverage of the candidate sites and their places (NaN: no limit).
    weight
        ``(n_origins,)`` older residents per location.
    k
        Number of new sites (at least 1).
    time_limit_s
        Time limit of the exact solver; beyond it the greedy answer is returned.

    Returns
    -------
    LocationChoice
        ``gains`` are the covered weight each site adds in the order given (they add up to
        ``covered_after - covered_before``).

    Raises
    ------
    InputDataError
        ``k`` below 1 or no candidate given.
    """
    n_candidates = candidates.matrix.shape[1]
    if k < 1 or n_candidates == 0:
        raise InputDataError(Message("access.locations.bad_k", k=k, n=n_candidates))
    weight = np.nan_to_num(np.asarray(weight, dtype=float))
    model = _Model.build((existing, existing_capacity), (candidates, candidate_capacity), weight)
    everyone = list(range(n_candidates))
    greedy, gains, before = model.greedy(everyone, k)
    greedy_value = float(sum(gains))
    if model.origin.size > MAX_EXACT_PAIRS:
        exact, value = None, model.bound(before, k)
    else:
        exact, value, _ = model.solve(
            np.ones(n_candidates), k, integral=True, time_limit_s=time_limit_s
        )
        value = min(value, model.bound(before, k))
    gap = relative_gap(value - before, greedy_value)
    if exact is None:  # a bound that the greedy value reaches proves it optimal as well
        method = "exact" if gap == 0.0 else "greedy"
        return LocationChoice(greedy, gains, before, before + greedy_value, method, gap)
    sites, ordered, _ = model.greedy([int(j) for j in exact], len(exact), complete=True)
    useful = [j for j, g in zip(sites, ordered, strict=True) if g > 1e-9]
    if len(useful) < len(sites) and model.value(useful)[0] >= value - 1e-6:
        sites, ordered, _ = model.greedy(useful, len(useful), complete=True)
    return LocationChoice(sites, ordered, before, before + sum(ordered), "exact", gap)
