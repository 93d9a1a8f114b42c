"""The count cells of all levels as one vector, and the relations between them as sparse rows.

:class:`CellSystem` is the linear system that :func:`sqe_geo.stats.suppression.suppress_cells`
protects: one entry per count cell (level, unit, year, variable) and one row per relation
(the hierarchy quarters → planning area → city, and the relations between variables of
one unit and year from :mod:`sqe_geo.stats.relations`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from sqe_geo.stats.aggregate import LEVELS, Level
from sqe_geo.stats.relations import Relation

__all__ = ["TOLERANCE", "CellSystem"]

#: Counts are floats; tolerance of "equal" comparisons on them.
TOLERANCE = 1e-6
_TOL = TOLERANCE


class CellSystem:
    """The count cells of all levels as one vector, and the relations as sparse rows."""

    def __init__(
        self,
        counts: Mapping[Level, pd.DataFrame],
        quarters: pd.DataFrame,
        variables: list[str],
        relations: Sequence[Relation],
    ) -> None:
        frames = {level: counts[level][variables].astype(float) for level in LEVELS}
        self.relations = [r for r in relations if {r.total, *r.parts} <= set(variables)]
        residuals = [
            r
            for r in self.relations
            if r.exact and r.residual_published and self._broken(frames["quarter"], r)
        ]
        for level in LEVELS:
            for rel in residuals:
                frame = frames[level]
                frames[level][rel.residual] = frame[rel.total] - frame[list(rel.parts)].sum(
                    axis=1, min_count=len(rel.parts)
                )
        self.variables = [*variables, *(r.residual for r in residuals)]
        self.signed_vars = np.array([v not in variables for v in self.variables])
        self.frames = frames
        n_var = len(self.variables)
        self.offset: dict[Level, int] = {}
        blocks, start = [], 0
        for level in LEVELS:
            self.offset[level] = start
            block = frames[level][self.variables].to_numpy(dtype=float)
            blocks.append(block.reshape(-1))
            start += block.size
        raw = np.concatenate(blocks)
        self.present = ~np.isnan(raw)
        self.values = np.nan_to_num(raw)
        self.signed = np.tile(self.signed_vars, len(raw) // max(n_var, 1))
        self.residuals = residuals
        eq: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        ub: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._hierarchy(quarters, eq)
        self._variable_relations(eq, ub)
        self.a_eq = self._matrix(eq)
        self.a_ub = self._matrix(ub)
        # Column access (cell -> its rows) for the search of rows and partners.
        self.rows_by_cell = sparse.vstack([self.a_eq, self.a_ub]).tocsc()

    @staticmethod
    def _broken(frame: pd.DataFrame, rel: Relation) -> bool:
        gap = frame[rel.total] - frame[list(rel.parts)].sum(axis=1, min_count=len(rel.parts))
        return bool((gap.abs() > _TOL).any())

    def cell(self, level: Level, rows: np.ndarray, var: int) -> np.ndarray:
        """Cell ids of ``rows`` of a level's frame for variable position ``var``."""
        return self.offset[level] + rows * len(self.variables) + var

    def _matrix(self, rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> sparse.csr_array:
        n = self.values.size
        if not rows:
            return sparse.csr_array((0, n))
        eq_ids, cells, coefs = (np.concatenate(part) for part in zip(*rows, strict=True))
        _, eq_ids = np.unique(eq_ids, return_inverse=True)
        return sparse.csr_array((coefs, (eq_ids, cells)), shape=(int(eq_ids.max()) + 1, n))

    def _hierarchy(
        self, quarters: pd.DataFrame, eq: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    ) -> None:
        """``area = Σ its quarters`` and ``city = Σ areas`` for every variable and year."""
        area_of = quarters.set_index("quarter_id")["planning_area"]
        q_index = self.frames["quarter"].index
        a_index = self.frames["planning_area"].index
        c_index = self.frames["city"].index
        q_years = q_index.get_level_values("year")
        # pandas-stubs: Index.map takes a Series too
        q_area = q_index.get_level_values("unit_id").map(area_of)  # type: ignore[arg-type]
        unknown = set(q_area) - set(a_index.get_level_values("unit_id"))
        if unknown:
            raise ValueError(f"quarters of planning areas without counts: {sorted(unknown)}")
        q_parent = a_index.get_indexer(pd.MultiIndex.from_arrays([q_area, q_years]))
        a_years = a_index.get_level_values("year")
        a_parent = c_index.get_indexer(
            pd.MultiIndex.from_arrays([np.full(len(a_years), c_index[0][0]), a_years])
        )
        n_var = len(self.variables)
        eq_base = 0
        for child, parent, children, parents in (
            ("quarter", "planning_area", np.arange(len(q_index)), q_parent),
            ("planning_area", "city", np.arange(len(a_index)), a_parent),
        ):
            n_parent = len(self.frames[parent])  # type: ignore[index]
            for var in range(n_var):
                ids_parent = eq_base + np.arange(n_parent) * n_var + var
                eq.append(
                    (
                        ids_parent,
                        self.cell(parent, np.arange(n_parent), var),  # type: ignore[arg-type]
                        np.ones(n_parent),
                    )
                )
                eq.append(
                    (
                        eq_base + parents * n_var + var,
                        self.cell(child, children, var),  # type: ignore[arg-type]
                        -np.ones(len(children)),
                    )
                )
            eq_base += n_parent * n_var

        self._eq_base = eq_base

    def _variable_relations(
        self,
        eq: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
        ub: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    ) -> None:
        """Relations between variables of one unit and year (rows with a gap are left out)."""
        pos = {v: k for k, v in enumerate(self.variables)}
        base_eq, base_ub = self._eq_base, 0
        for level in LEVELS:
            block = self.frames[level][self.variables].to_numpy(dtype=float)
            for rel in self.relations:
                names = [rel.total, *rel.parts]
                if rel.exact and rel in self.residuals:
                    names.append(rel.residual)
                cols = [pos[name] for name in names]
                ok = ~np.isnan(block[:, cols]).any(axis=1)
                if rel.exact:  # only where the relation holds (with its residual, if any)
                    gap = block[:, cols[0]] - block[:, cols[1:]].sum(axis=1)
                    ok &= np.abs(gap) <= _TOL + 1e-9 * np.abs(block[:, cols]).max(axis=1)
                rows = np.flatnonzero(ok)
                if rows.size == 0:
                    continue
                # Equality: total − Σ parts (− residual) = 0. Inequality: Σ parts − total ≤ 0.
                sign = 1.0 if rel.exact else -1.0
                ids = (base_eq if rel.exact else base_ub) + np.arange(rows.size)
                target = eq if rel.exact else ub
                for k, col in enumerate(cols):
                    coef = sign if k == 0 else -sign
                    target.append((ids, self.cell(level, rows, col), np.full(rows.size, coef)))
                if rel.exact:
                    base_eq += rows.size
                else:
                    base_ub += rows.size

    def primary(self, min_count: int) -> np.ndarray:
        """Cells in ``(0, min_count)`` (residuals by absolute value)."""
        size = np.where(self.signed, np.abs(self.values), self.values)
        primary: np.ndarray = self.present & (size > _TOL) & (size < min_count - _TOL)
        return primary
