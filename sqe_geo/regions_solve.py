"""Contiguous partitions of a few areal units into ``k`` balanced, compact regions.

The solvers of :mod:`sqe_geo.regions`, on plain arrays: the units (quarters, or groups of
quarters that must stay together), their queen contiguity, their weight (older residents
or a need score), their area and centroid. Three methods, all from spopt (PySAL):

``skater``
    spopt's spanning-tree pruning (:class:`spopt.region.skater.SpanningForest`): the
    minimum spanning tree of the contiguity graph with the distances between the units'
    centroids as edge costs (short links: compact regions), cut ``k - 1`` times, each time
    where :func:`objective` falls most. Deterministic.
``azp``
    spopt's automatic zoning procedure (:class:`spopt.region.AZP`) with :func:`objective`
    as its objective function: local moves of border units between regions from random
    contiguous starts; the best of several seeded starts is kept.
``maxp``
    spopt's max-p heuristic (:class:`spopt.region.MaxPHeuristic`): the most regions whose
    weight each reaches a floor, compact in the sense of the units' centroids. The floor is
    lowered from ``total / k`` in steps of 5 % (at most ten) until there are more than
    ``k`` regions; of the results with exactly ``k``, the best by :func:`objective` is kept.

The objective (smaller is better) adds the *balance* — the squared deviation of every
region's weight from a multiple of the target ``total / k`` (one target for a final region,
the multiple it will be split into for a region of a partial SKATER cut) — and, times
``compactness_weight``, the *dispersion* — the area-weighted moment of inertia of the
regions around their own centroids as a share of that of the whole city. Pairs of units
that must share a region (``same``) or must not (``apart``) add a penalty each.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["METHODS", "Units", "objective", "partition", "violations"]

#: The regionalisation methods, as the CLI and the app name them.
METHODS = ("skater", "azp", "maxp")
#: Added to the objective per pair of units that breaks a constraint.
PENALTY = 100.0
#: AZP runs from this many seeded random starts; the best result is kept.
AZP_STARTS = 8
#: max-p: constructions tried and simulated-annealing rounds per floor (spopt: 99, 10).
MAXP_CONSTRUCTIONS = 30
MAXP_ANNEALING = 5
#: max-p: floors tried (total / k lowered in steps of 5 %) and the stall budget per floor
#: and unit (the demo's 27 Stadtteile need about 270 per unit, see :func:`_bounded_weights`).
MAXP_FLOORS = 10
MAXP_BUDGET = 2_000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class Units:
    """The units to partition.

    Attributes
    ----------
    neighbours
        Unit index -> indices of the units it touches (queen contiguity, symmetric).
    weight
        The balanced quantity per unit (e.g. residents 65+).
    area
        Area per unit (m²).
    centroid
        ``(n, 2)`` centroid coordinates (metric CRS).
    same
        Pairs of units that must end in one region.
    apart
        Pairs of units that must end in different regions.
    """

    neighbours: dict[int, list[int]]
    weight: FloatArray
    area: FloatArray
    centroid: FloatArray
    same: list[tuple[int, int]] = field(default_factory=list)
    apart: list[tuple[int, int]] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.weight)

    @cached_property
    def whole_inertia(self) -> float:
        """The moment of inertia of all units around their common centroid."""
        return _inertia(self, np.zeros(self.n, dtype=np.int64))


def _inertia(units: Units, labels: npt.NDArray[np.int_]) -> float:
    """Area-weighted moment of inertia of the regions around their own centroids."""
    _, index = np.unique(labels, return_inverse=True)
    area = np.bincount(index, weights=units.area)
    cx = np.bincount(index, weights=units.area * units.centroid[:, 0]) / area
    cy = np.bincount(index, weights=units.area * units.centroid[:, 1]) / area
    dx = units.centroid[:, 0] - cx[index]
    dy = units.centroid[:, 1] - cy[index]
    return float(np.sum(units.area * (dx**2 + dy**2)))


def violations(units: Units, labels: Sequence[int] | npt.NDArray[np.int_]) -> int:
    """Number of unit pairs that break a constraint (``same`` split, ``apart`` joined)."""
    labels = np.asarray(labels)
    split = sum(bool(labels[i] != labels[j]) for i, j in units.same)
    return split + sum(bool(labels[i] == labels[j]) for i, j in units.apart)


def objective(
    units: Units, labels: Sequence[int] | npt.NDArray[np.int_], k: int, compactness_weight: float
) -> float:
    """Balance plus weighted dispersion plus constraint penalties (smaller is better).

    Parameters
    ----------
    units
        The units.
    labels
        Region per unit.
    k
        The number of regions wanted (target weight ``total / k``).
    compactness_weight
        Weight of the dispersion (0 … 1 is sensible).

    Returns
    -------
    float
        The objective.

    Examples
    --------
    Four unit squares in a row, weights 1, 1, 1, 1, k = 2: the halves balance (0); each
    half's inertia is 2 × 0.5² = 0.5, the whole row's 2 × 1.5² + 2 × 0.5² = 5, so the
    dispersion is (0.5 + 0.5) / 5 = 0.2.

    >>> row = Units({0: [1], 1: [0, 2], 2: [1, 3], 3: [2]}, np.ones(4), np.ones(4),
    ...             np.array([[0.5, 0.5], [1.5, 0.5], [2.5, 0.5], [3.5, 0.5]]))
    >>> objective(row, [0, 0, 1, 1], 2, 0.0), round(objective(row, [0, 0, 1, 1], 2, 1.0), 3)
    (0.0, 0.2)
    """
    labels = np.asarray(labels)
    target = float(units.weight.sum()) / k
    _, index = np.unique(labels, return_inverse=True)
    totals = np.bincount(index, weights=units.weight) / target
    multiples = np.maximum(1.0, np.round(totals))
    score = float(np.sum((totals - multiples) ** 2))
    if compactness_weight:
        whole = units.whole_inertia
        score += compactness_weight * (_inertia(units, labels) / whole if whole else 0.0)
    return score + PENALTY * violations(units, labels)


def partition(
    units: Units, k: int, method: str, *, compactness_weight: float = 0.5, seed: int = 0
) -> IntArray:
    """Labels ``0 … k-1`` of a contiguous partition of the units into ``k`` regions.

    Parameters
    ----------
    units
        The units (their contiguity graph must be connected).
    k
        Number of regions, ``1 <= k <= units.n``.
    method
        ``"skater"``, ``"azp"`` or ``"maxp"``.
    compactness_weight
        Weight of the dispersion in :func:`objective`.
    seed
        Seed of the random starts (AZP, max-p).

    Returns
    -------
    numpy.ndarray
        Region per unit; regions numbered by their first unit. An empty array when max-p
        finds no floor with exactly ``k`` regions.
    """
    if k == 1:
        return np.zeros(units.n, dtype=np.int64)
    if k == units.n:
        return np.arange(units.n, dtype=np.int64)
    if method == "skater":
        labels = _skater(units, k, compactness_weight)
    elif method == "azp":
        labels = _azp(units, k, compactness_weight, seed)
    else:
        labels = _maxp(units, k, compactness_weight, seed)
    return _renumber(labels)


def _renumber(labels: npt.NDArray[np.int_]) -> IntArray:
    """Regions numbered 0, 1, … in the order of their first unit."""
    if len(labels) == 0:
        return np.asarray(labels, dtype=np.int64)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return np.asarray(order[inverse], dtype=np.int64)


def _weights(units: Units) -> object:
    """The libpysal weights object of the units' contiguity."""
    from libpysal.weights import W

    with warnings.catch_warnings():
        # a disconnected graph is refused before (sqe_geo.regions); nothing else to say
        warnings.simplefilter("ignore")
        return W({i: list(units.neighbours[i]) for i in range(units.n)}, silence_warnings=True)


def _skater(units: Units, k: int, compactness_weight: float) -> IntArray:
    from spopt.region.skater import SpanningForest

    class BalancedForest(SpanningForest):  # type: ignore[misc]
        """SKATER whose cuts minimise :func:`objective` instead of attribute spread."""

        def score(self, data: object, labels: object = None, quorum: float = -np.inf) -> float:
            if labels is None:
                labels = self.current_labels_
            return objective(units, np.asarray(labels), k, compactness_weight)

    def distances(x: FloatArray, y: FloatArray | None) -> FloatArray:
        other = x if y is None else y
        return np.asarray(np.hypot(*(x[:, None, :] - other[None, :, :]).transpose(2, 0, 1)))

    forest = BalancedForest(dissimilarity=distances)
    forest.fit(k, _weights(units), data=units.centroid, islands="ignore")
    return np.asarray(forest.current_labels_, dtype=np.int64)


def _azp(units: Units, k: int, compactness_weight: float, seed: int) -> IntArray:
    from spopt.region import AZP
    from spopt.region.objective_function import ObjectiveFunction

    class Balance(ObjectiveFunction):  # type: ignore[misc]
        """:func:`objective` as spopt's AZP asks for it (value and change of a move)."""

        def __call__(self, labels: npt.NDArray[np.int_], attr: object) -> float:
            return objective(units, labels, k, compactness_weight)

        def update(
            self,
            moving_area: int,
            recipient_region: int,
            labels: npt.NDArray[np.int_],
            attr: object,
        ) -> float:
            moved = np.array(labels, copy=True)
            moved[moving_area] = recipient_region
            return self(moved, attr) - self(labels, attr)

    frame = pd.DataFrame({"weight": units.weight})
    weights = _weights(units)
    best: tuple[float, IntArray] | None = None
    state = random.getstate()
    try:
        for start in range(AZP_STARTS):
            model = AZP(
                frame, weights, ["weight"], n_clusters=k, random_state=seed + start,
                objective_func=Balance(),
            )  # fmt: skip
            model.solve()
            labels = np.asarray(model.labels_, dtype=np.int64)
            value = objective(units, labels, k, compactness_weight)
            if best is None or value < best[0] - 1e-12:
                best = (value, labels)
    finally:
        random.setstate(state)  # AZP seeds Python's global generator
    assert best is not None
    return best[1]


class _StalledError(Exception):
    """spopt's max-p annealing went round in circles (see :func:`_bounded_weights`)."""


def _bounded_weights(units: Units, budget: int) -> object:
    """Weights whose contiguity matrix can be asked for ``budget`` times, then stop.

    spopt's max-p annealing (0.7) loops for ever when every area that may leave its region
    has no neighbour in another region (e.g. when the construction finds one region only):
    it recomputes the same candidates again and again. Each round asks the weights for
    their sparse matrix, so a budget on that stops the loop; the floor then counts as
    failed. Runs on the demo's 27 Stadtteile ask up to about 7,000 times per floor.
    """
    from libpysal.weights import W

    class BoundedW(W):  # type: ignore[misc]
        asked = 0

        @property
        def sparse(self) -> object:
            self.asked += 1
            if self.asked > budget:
                raise _StalledError
            return super().sparse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BoundedW(
            {i: list(units.neighbours[i]) for i in range(units.n)}, silence_warnings=True
        )


def _maxp(units: Units, k: int, compactness_weight: float, seed: int) -> IntArray:
    from spopt.region import MaxPHeuristic

    scale = float(np.sqrt(units.area.mean())) or 1.0
    frame = pd.DataFrame(
        {
            "weight": units.weight,
            "x": units.centroid[:, 0] / scale,
            "y": units.centroid[:, 1] / scale,
        }
    )
    total = float(units.weight.sum())
    found: list[IntArray] = []
    # spopt's max-p draws from numpy's legacy global generator: seed it, then restore it
    state = np.random.get_state()  # noqa: NPY002
    try:
        for step in range(MAXP_FLOORS):
            floor = total / k * (1.0 - 0.05 * step)
            np.random.seed(seed)  # noqa: NPY002
            model = MaxPHeuristic(
                frame, _bounded_weights(units, MAXP_BUDGET * units.n), ["x", "y"], "weight", floor,
                top_n=2, max_iterations_construction=MAXP_CONSTRUCTIONS,
                max_iterations_sa=MAXP_ANNEALING,
            )  # fmt: skip
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.solve()
            except _StalledError:
                continue
            labels = np.asarray(model.labels_, dtype=np.int64)
            regions = len(np.unique(labels))
            if regions > k:  # lower floors give still more regions
                break
            if regions == k and not violations(units, labels):
                found.append(labels)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    if not found:
        return np.zeros(0, dtype=np.int64)
    return min(found, key=lambda labels: objective(units, labels, k, compactness_weight))
