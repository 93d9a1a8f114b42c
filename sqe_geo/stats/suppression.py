"""Cell suppression over linked tables: which count cells must be withheld.

Every count cell of every level (quarter, planning area, city) and year is one entry of a
vector. The published material ties these cells together by linear relations: the
hierarchy (quarters sum to their planning area, planning areas to the city) and, within
one unit and year, the relations between variables (:mod:`sqe_geo.stats.relations`: age groups,
reached + not reached, located residents). :func:`suppress_cells` withholds

1. **primary** cells: counts in ``(0, min_count)`` (for a residual such as "persons of
   unknown age": ``0 < |value| < min_count``), and
2. **secondary** cells, until an attacker who knows every cell that is *not* withheld
   exactly, and every relation, can only bound each primary cell ``x`` to an interval
   that reaches down to ``max(x − lower, 0)`` and up to ``x + upper`` (τ-ARGUS protection
   levels; as in τ-ARGUS, secondary cells are not sensitive and need no interval). The
   attacker's interval is computed by linear programming (HiGHS through
   :func:`scipy.optimize.linprog`): minimise and maximise the cell subject to the
   relations, the known cells and non-negativity, integrality relaxed.

Where a cell's interval is too narrow, the constraints that bind it (the rows with non-zero
dual values of the failing optimisation) are opened by withholding their smallest known
cell that can absorb the protection level; then the affected cells are checked again, until
every primary cell is protected. A side once protected stays so (withholding more cells only
widens the attacker's feasible region). Withheld cells form groups (connected through
relations), and each group is solved on its own.

The attacker model is stronger than the published tables: a published share gives its
count only up to rounding, and a count that enters no published value is not known at
all. A pattern that protects against this attacker therefore protects the published
tables too; the test suite checks that with an independent audit of the published values
(``tests/disclosure_audit.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from sqe_geo.stats.aggregate import LEVELS, Level
from sqe_geo.stats.relations import Relation
from sqe_geo.stats.suppression_cells import TOLERANCE as _TOL
from sqe_geo.stats.suppression_cells import CellSystem

__all__ = ["ProtectionLevels", "suppress_cells"]


@dataclass(frozen=True)
class ProtectionLevels:
    """The rules of :func:`suppress_cells`.

    Attributes
    ----------
    min_count
        Counts in ``(0, min_count)`` are withheld.
    lower, upper
        A withheld cell ``x`` must stay possible down to ``max(x − lower, 0)`` and up to
        ``x + upper`` for anyone who knows all cells that are not withheld.
    """

    min_count: int = 3
    lower: float = 3.0
    upper: float = 3.0


def _components(cells: CellSystem, unknown: np.ndarray) -> list[np.ndarray]:
    """Groups of withheld cells connected through relations."""
    ids = np.flatnonzero(unknown)
    sub = sparse.vstack([cells.a_eq[:, ids], cells.a_ub[:, ids]]).tocsc()
    sub.data = np.ones_like(sub.data)
    adjacency = (sub.T @ sub).tocsr()
    _, labels = connected_components(adjacency, directed=False)
    order = np.argsort(labels, kind="stable")
    splits = np.flatnonzero(np.diff(labels[order])) + 1
    return [ids[group] for group in np.split(order, splits)]


class _GroupLP:
    """The attacker's linear program for one group of withheld cells."""

    def __init__(self, cells: CellSystem, unknown: np.ndarray, group: np.ndarray) -> None:
        x_known = np.where(unknown, 0.0, cells.values)
        self.group = group
        self.n_eq = cells.a_eq.shape[0]
        # scipy-stubs: np.abs of a sparse array is not in the stubs (it works: __array_ufunc__)
        eq_abs = np.abs(cells.a_eq[:, group])  # type: ignore[call-overload]
        ub_abs = np.abs(cells.a_ub[:, group])  # type: ignore[call-overload]
        self.eq_rows = np.flatnonzero(eq_abs.sum(axis=1) > 0)
        self.ub_rows = np.flatnonzero(ub_abs.sum(axis=1) > 0)
        # Small programs as dense arrays: linprog's checks of sparse input cost more than
        # the solve itself.
        a_eq = cells.a_eq[self.eq_rows][:, group]
        a_ub = cells.a_ub[self.ub_rows][:, group]
        dense = group.size <= 400
        self.a_eq: sparse.csr_array | np.ndarray = a_eq.toarray() if dense else a_eq
        self.a_ub: sparse.csr_array | np.ndarray = a_ub.toarray() if dense else a_ub
        self.b_eq = -(cells.a_eq[self.eq_rows] @ x_known)
        self.b_ub = -(cells.a_ub[self.ub_rows] @ x_known)
        self.bounds = [(None, None) if cells.signed[c] else (0.0, None) for c in group]

    def extreme(self, k: int, sense: float) -> tuple[float, np.ndarray]:
        """Minimum (``sense`` 1) or maximum (-1) of cell ``k`` of the group.

        Returns the value and the rows that bind it (global ids: equalities first, then
        inequalities offset by the number of equalities).
        """
        objective = np.zeros(self.group.size)
        objective[k] = sense
        has_eq, has_ub = self.eq_rows.size > 0, self.ub_rows.size > 0
        # scipy-stubs: linprog's A_ub/A_eq accept sparse arrays (HiGHS), the stubs say dense only
        res = linprog(  # type: ignore[call-overload]
            objective,
            A_ub=self.a_ub if has_ub else None,
            b_ub=self.b_ub if has_ub else None,
            A_eq=self.a_eq if has_eq else None,
            b_eq=self.b_eq if has_eq else None,
            bounds=self.bounds,
            method="highs",
        )
        if res.status == 3:  # unbounded: the cell can move without limit
            return -np.inf * sense, np.array([], dtype=int)
        if res.status != 0:
            # Numerical trouble (the true counts are always feasible): count the cell as not
            # protected on this side, so that more cells around it are withheld.
            return np.inf * sense, np.array([], dtype=int)
        rows = []
        if has_eq:
            rows.append(self.eq_rows[np.abs(res.eqlin.marginals) > _TOL])
        if has_ub:
            rows.append(self.n_eq + self.ub_rows[np.abs(res.ineqlin.marginals) > _TOL])
        binding = np.concatenate(rows) if rows else np.array([], dtype=int)
        return float(res.fun) * sense, binding


def _partner(cells: CellSystem, unknown: np.ndarray, rows: np.ndarray, need: float) -> int | None:
    """The known cell of ``rows`` to withhold next: the smallest that can absorb ``need``."""
    n_eq = cells.a_eq.shape[0]
    members: list[np.ndarray] = []
    for row in rows:
        matrix, r = (cells.a_eq, row) if row < n_eq else (cells.a_ub, row - n_eq)
        members.append(matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]])
    if not members:
        return None
    candidates = np.unique(np.concatenate(members))
    candidates = candidates[~unknown[candidates] & cells.present[candidates]]
    if candidates.size == 0:
        return None
    size = np.abs(cells.values[candidates])
    enough = size >= need - _TOL
    if enough.any():
        pick = candidates[enough][np.argmin(size[enough])]
    else:
        pick = candidates[np.argmax(size)]
    return int(pick)


def _rows_of(cells: CellSystem, ids: np.ndarray) -> np.ndarray:
    """Rows (equalities first, then inequalities) in which any of the cells appears."""
    m = cells.rows_by_cell
    return np.unique(np.concatenate([m.indices[m.indptr[c] : m.indptr[c + 1]] for c in ids]))


def _pinning_row(cells: CellSystem, unknown: np.ndarray, cell: int) -> np.ndarray | None:
    """An equality in which ``cell`` is the only withheld cell (it fixes it), if any."""
    m, n_eq = cells.rows_by_cell, cells.a_eq.shape[0]
    for row in m.indices[m.indptr[cell] : m.indptr[cell + 1]]:
        if row >= n_eq:
            continue
        members = cells.a_eq.indices[cells.a_eq.indptr[row] : cells.a_eq.indptr[row + 1]]
        if np.count_nonzero(unknown[members]) == 1:
            return np.array([row])
    return None


def _fix_group(
    cells: CellSystem,
    unknown: np.ndarray,
    group: np.ndarray,
    levels: ProtectionLevels,
    protected: np.ndarray,
) -> list[int]:
    """Cells to withhold next so that the group's cells get their intervals (none: safe).

    ``protected`` has two columns (low side, high side) over all cells and is updated: a
    side once protected stays protected, because withholding more cells only widens the
    attacker's feasible region.
    """
    lp: _GroupLP | None = None
    added: list[int] = []
    need = max(levels.lower, levels.upper)
    for k, cell in enumerate(group):
        if protected[cell].all():
            continue
        value = cells.values[cell]
        slack = _TOL * max(1.0, abs(value))
        want_low = value - levels.lower
        if not cells.signed[cell]:
            want_low = max(want_low, 0.0)
        pinned = _pinning_row(cells, unknown, int(cell))
        for side, sense in ((0, 1.0), (1, -1.0)):
            if protected[cell, side]:
                continue
            if pinned is not None:
                binding = pinned
            else:
                lp = lp or _GroupLP(cells, unknown, group)
                end, binding = lp.extreme(k, sense)
                ok = end <= want_low + slack if side == 0 else end >= value + levels.upper - slack
                if ok:
                    protected[cell, side] = True
                    continue
            for rows in (binding, _rows_of(cells, np.array([cell])), _rows_of(cells, group)):
                choice = _partner(cells, unknown, rows, need)
                if choice is not None:
                    if choice not in added:
                        added.append(choice)
                    break
    return added


def suppress_cells(
    counts: Mapping[Level, pd.DataFrame],
    quarters: pd.DataFrame,
    variables: list[str],
    relations: Sequence[Relation],
    levels: ProtectionLevels,
) -> dict[Level, pd.DataFrame]:
    """Primary and secondary suppression of count cells over all levels and relations.

    Parameters
    ----------
    counts
        Level -> additive counts indexed by ``(unit_id, year)``; planning areas and the
        city are the sums of the quarters.
    quarters
        Table with ``quarter_id`` and ``planning_area``.
    variables
        The protected count columns.
    relations
        Relations between the variables (:func:`sqe_geo.stats.relations.count_relations`).
    levels
        Minimum count and protection levels.

    Returns
    -------
    dict
        Level -> boolean frame with the index of ``counts[level]`` and one column per
        variable, plus one per residual of a relation that the data break (e.g.
        ``"total - (young + working_age + older)"``); True = withheld.
    """
    variables = [v for v in variables if v in counts["quarter"].columns]
    if not variables or counts["quarter"].empty:
        return {
            level: pd.DataFrame(False, index=counts[level].index, columns=variables)
            for level in LEVELS
        }
    cells = CellSystem(counts, quarters, variables, relations)
    unknown = cells.primary(levels.min_count)
    # Only the sensitive (primary) cells need protection intervals; secondary cells are
    # not sensitive themselves, they are withheld to protect the primary ones.
    protected = np.repeat(~unknown[:, None], 2, axis=1)
    while unknown.any():
        added: list[int] = []
        for group in _components(cells, unknown):
            if protected[group].all():
                continue
            added.extend(_fix_group(cells, unknown, group, levels, protected))
        if not added:
            break
        unknown[np.array(added)] = True
    out: dict[Level, pd.DataFrame] = {}
    n_var = len(cells.variables)
    for level in LEVELS:
        frame = cells.frames[level]
        start = cells.offset[level]
        block = unknown[start : start + len(frame) * n_var].reshape(len(frame), n_var)
        out[level] = pd.DataFrame(block, index=frame.index, columns=cells.variables)
    return out
