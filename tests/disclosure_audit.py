"""An attacker's audit of published results by linear programming.

Independent of the suppression code (it imports nothing of ``sqe_geo.stats.privacy``,
``sqe_geo.stats.suppression`` or ``sqe_geo.stats.relations``): it takes what a council paper would
carry — every published indicator value with its rounding interval, the data-quality
report's published differences — and the relations an attacker knows from the method,
and asks, for every sensitive count cell (``0 < x < min_count``), how far it can be
narrowed: minimise and maximise the cell over all counts consistent with what is
published (HiGHS via :func:`scipy.optimize.linprog`; non-negativity, integrality
relaxed). A cell is protected when its interval reaches ``max(x − lower, 0)`` and
``x + upper``.

Unknowns of the program: one per level, unit, year and person-count variable — the
person inputs of the published indicators, plus the never-published counts that the
relations need (``within_food_young_old`` …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from sqe_geo.i18n.formatting import round_value
from sqe_geo.pipeline import Results

# Inputs of each kind that count persons (what the catalog's kinds mean).
PERSON_ROLES = {
    "count": ("value",),
    "change_abs": ("value",),
    "change_pct": ("value",),
    "share": ("numerator", "denominator"),
    "ratio": ("numerator", "denominator"),
    "per_1000": ("denominator",),
    "mean": ("denominator",),
    "minutes": ("denominator",),
    "value": ("base",),
}
AGE_GAP = "age_gap"  # total minus the bands: published per quarter in the quality report
GROUPS = ("total", "young", "working_age", "older", "young_old", "oldest_old")
ACCESS = ("within", "counted", "reached", "unreachable")


@dataclass
class Interval:
    """The attacker's range of one sensitive cell."""

    level: str
    unit: str
    year: int
    variable: str
    value: float
    low: float
    high: float

    def protected(self, lower: float, upper: float) -> bool:
        low_ok = self.low <= max(self.value - lower, 0.0) + 1e-6
        return low_ok and self.high >= self.value + upper - 1e-6


@dataclass
class _Program:
    names: dict[tuple[str, str, int, str], int] = field(default_factory=dict)
    eq: list[tuple[dict[int, float], float]] = field(default_factory=list)
    ub: list[tuple[dict[int, float], float]] = field(default_factory=list)
    free: set[int] = field(default_factory=set)

    def var(self, key: tuple[str, str, int, str]) -> int:
        return self.names.setdefault(key, len(self.names))

    def equal(self, terms: dict[int, float], rhs: float) -> None:
        self.eq.append((terms, rhs))

    def relation(self, terms: dict[int, float], truth: dict[int, float], exact: bool) -> None:
        """A relation of the method: kept only where it holds in the data.

        The residents' locations of each age group are estimated separately, so e.g.
        ``within_food_older = within_food_young_old + within_food_oldest_old`` holds only
        up to the estimation; an attacker cannot rely on it there.
        """
        value = sum(c * truth[k] for k, c in terms.items())
        if exact and abs(value) <= 1e-6 + 1e-9 * max(1.0, *(abs(truth[k]) for k in terms)):
            self.eq.append((terms, 0.0))
        elif not exact and value <= 1e-6:
            self.ub.append((terms, 0.0))

    def at_most(self, terms: dict[int, float], rhs: float) -> None:
        self.ub.append((terms, rhs))

    def within(self, terms: dict[int, float], low: float, high: float) -> None:
        self.at_most(terms, high)
        self.at_most({k: -v for k, v in terms.items()}, -low)

    @staticmethod
    def _matrix(rows: list[tuple[dict[int, float], float]], n: int) -> tuple:
        data, ri, ci, rhs = [], [], [], []
        for r, (terms, b) in enumerate(rows):
            for c, v in terms.items():
                ri.append(r)
                ci.append(c)
                data.append(v)
            rhs.append(b)
        return sparse.csr_array((data, (ri, ci)), shape=(len(rows), n)), np.array(rhs)

    def assert_feasible(self, truth: dict[int, float]) -> None:
        """The true counts satisfy every constraint (else the audit itself is wrong)."""
        names = {k: key for key, k in self.names.items()}
        x = np.array([truth[k] for k in range(len(self.names))])
        for rows, equal in ((self.eq, True), (self.ub, False)):
            for terms, rhs in rows:
                lhs = sum(c * x[k] for k, c in terms.items())
                scale = 1e-6 * max(1.0, abs(rhs), *(abs(c * x[k]) for k, c in terms.items()))
                ok = abs(lhs - rhs) <= scale if equal else lhs <= rhs + scale
                assert ok, f"true counts break {[(names[k], c) for k, c in terms.items()]} {rhs}"

    def solve_range(self, target: int) -> tuple[float, float]:
        n = len(self.names)
        a_eq, b_eq = self._matrix(self.eq, n)
        a_ub, b_ub = self._matrix(self.ub, n)
        bounds = [(None, None) if k in self.free else (0, None) for k in range(n)]
        ends = []
        for sense in (1.0, -1.0):
            c = np.zeros(n)
            c[target] = sense
            res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
            if res.status == 2:
                # The true counts satisfy every constraint (assert_feasible), so "infeasible"
                # is the solver's error: HiGHS of scipy 1.16.0 says so in presolve for some
                # unbounded programs. Solve again without presolve.
                res = linprog(
                    c,
                    A_ub=a_ub,
                    b_ub=b_ub,
                    A_eq=a_eq,
                    b_eq=b_eq,
                    bounds=bounds,
                    options={"presolve": False},
                )
            if res.status == 3:
                ends.append(-sense * np.inf)
                continue
            assert res.status == 0, f"audit LP failed: {res.message}"
            ends.append(sense * res.fun)
        return ends[0], ends[1]


def _half(decimals: int) -> float:
    # half a unit of the last published digit, and a hair more: the true value may sit
    # exactly on the rounding boundary, where floating point must not exclude it
    return 0.5 * 10.0 ** (-decimals) * (1 + 1e-9) + 1e-12


def person_variables(results: Results) -> list[str]:
    """Count columns that published indicators use as counts of persons."""
    out: dict[str, None] = {}
    for ind in results.catalog:
        for role in PERSON_ROLES.get(ind.kind, ()):
            if role in ind.inputs:
                out[ind.inputs[role]] = None
    return list(out)


def _age_tilings(results: Results) -> list[tuple[str, tuple[str, ...]]]:
    """(group, parts) where the parts' ranges tile the group's range (shortest tilings)."""
    ranges = {"total": (0, None), **results.study.config.age_groups.ranges()}
    found = []
    for group, (low, high) in ranges.items():
        best: list[tuple[str, ...]] = []

        def walk(start: int, chosen: tuple[str, ...], group=group, high=high, best=best) -> None:
            for g, (lo, hi) in ranges.items():
                if g in (group, *chosen) or lo != start:
                    continue
                if hi == high:
                    if chosen:
                        best.append((*chosen, g))
                elif hi is not None and (high is None or hi < high):
                    walk(hi + 1, (*chosen, g))

        walk(low, ())
        shortest = min((len(t) for t in best), default=0)
        found += [(group, t) for t in best if len(t) == shortest]
    return found


def _published_gaps(results: Results) -> dict[tuple[str, int], float | None]:
    """Quarter differences "bands vs total" as the quality report publishes them."""
    out: dict[tuple[str, int], float | None] = {}
    for finding in results.report.findings:
        if finding.check != "bands_vs_total":
            continue
        for item in finding.items:
            unit, _, rest = item.rpartition(", ")
            year, _, text = rest.partition(": ")
            text = text.strip()
            out[(unit, int(year))] = None if text == "." else float(text.replace(",", ""))
    return out


def audit(results: Results, *, min_count: int = 3) -> list[Interval]:
    """The attacker's interval of every sensitive count cell of ``results``.

    Parameters
    ----------
    results
        A run with disclosure control (``results.values`` are the published values).
    min_count
        Cells with ``0 < x < min_count`` are sensitive.

    Returns
    -------
    list of Interval
        One per sensitive cell.
    """
    lp = _Program()
    counts = results.counts
    persons = person_variables(results)
    categories = sorted(
        {
            m.group(1)
            for v in counts["quarter"].columns
            if (m := re.match(r"counted_(.+)_total$", v))
        }
    )
    age_rel = _age_tilings(results)
    has_gap = any(f.check == "bands_vs_total" for f in results.report.findings)
    prefixes = [""] + [f"{a}_{c}_" for a in ACCESS for c in categories]
    area_of = results.study.quarters.set_index("quarter_id")["planning_area"]

    def known(key: tuple[str, str, int, str]) -> bool:
        return key[3] in counts[key[0]].columns

    variables = set(persons)
    for prefix in prefixes:
        for group, parts in age_rel:
            names = [f"{prefix}{group}", *(f"{prefix}{p}" for p in parts)]
            if any(n in persons for n in names) and all(n in counts["quarter"] for n in names):
                variables.update(names)
    for c in categories:
        for g in GROUPS:
            names = [f"{a}_{c}_{g}" for a in ACCESS]
            if any(n in variables for n in names) and all(n in counts["quarter"] for n in names):
                variables.update([*names, g])
    variables = {v for v in variables if v in counts["quarter"].columns}
    if has_gap:
        variables.add(AGE_GAP)
    units = {lv: counts[lv].index for lv in ("quarter", "planning_area", "city")}
    truth: dict[int, float] = {}
    for level, index in units.items():
        for unit, year in index:
            for v in variables:
                k = lp.var((level, unit, int(year), v))
                if v == AGE_GAP:
                    lp.free.add(k)
                    truth[k] = _true_gap(counts[level], unit, year)
                else:
                    truth[k] = float(np.nan_to_num(counts[level].at[(unit, year), v]))
    # Hierarchy.
    city = units["city"][0][0]
    for v in variables:
        for unit, year in units["planning_area"]:
            quarters = [q for q, y in units["quarter"] if y == year and area_of.get(q) == unit]
            terms = {lp.names[("planning_area", unit, int(year), v)]: 1.0}
            for q in quarters:
                terms[lp.names[("quarter", q, int(year), v)]] = -1.0
            lp.equal(terms, 0.0)
        for _, year in units["city"]:
            terms = {lp.names[("city", city, int(year), v)]: 1.0}
            for a, y in units["planning_area"]:
                if y == year:
                    terms[lp.names[("planning_area", a, int(year), v)]] = -1.0
            lp.equal(terms, 0.0)
    # Relations within a unit and year.
    quarter_status = results.status.get("quarter") if results.status else None
    for level, index in units.items():
        for unit, year in index:
            y = int(year)

            def x(v: str, level=level, unit=unit, y=y) -> int:
                return lp.names[(level, unit, y, v)]

            row = counts[level].loc[(unit, year)]
            for prefix in prefixes:
                for group, parts in age_rel:
                    names = [f"{prefix}{group}", *(f"{prefix}{p}" for p in parts)]
                    if not all(n in variables for n in names) or row[names].isna().any():
                        continue
                    terms = {x(names[0]): 1.0} | {x(n): -1.0 for n in names[1:]}
                    if prefix == "" and group == "total" and has_gap:
                        terms[x(AGE_GAP)] = -1.0
                    lp.relation(terms, truth, exact=True)
            for c in categories:
                for g in GROUPS:
                    w, n, r, u = (f"{a}_{c}_{g}" for a in ACCESS)
                    if not all(v in variables for v in (w, n, r, u)):
                        continue
                    lp.relation({x(n): 1.0, x(r): -1.0, x(u): -1.0}, truth, exact=True)
                    lp.relation({x(w): 1.0, x(r): -1.0}, truth, exact=False)
                    computed = level == "quarter" and (
                        quarter_status is None
                        or f"coverage_{c}_older" not in quarter_status.columns
                        or quarter_status.at[(unit, year), f"coverage_{c}_older"] == ""
                    )
                    if computed and g in variables:
                        lp.relation({x(g): 1.0, x(n): -1.0}, truth, exact=True)
    # What is published.
    gaps = _published_gaps(results)
    for (unit, year), gap in gaps.items():
        if gap is not None and ("quarter", unit, year, AGE_GAP) in lp.names:
            lp.within({lp.names[("quarter", unit, year, AGE_GAP)]: 1.0}, gap - 0.5, gap + 0.5)
    if has_gap:  # quarters without an item: the bands add up
        for unit, year in units["quarter"]:
            if (unit, int(year)) not in gaps:
                lp.equal({lp.names[("quarter", unit, int(year), AGE_GAP)]: 1.0}, 0.0)
    base_year = results.study.config.base_year or min(results.years)
    for level, index in units.items():
        values = results.values[level]
        suppressed = results.suppressed[level]
        for ind in results.catalog:
            if ind.id not in values.columns:
                continue
            h = _half(ind.decimals)
            for unit, year in index:
                value = values.at[(unit, year), ind.id]
                if pd.isna(value) or bool(suppressed.at[(unit, year), ind.id]):
                    continue
                # as published: rounded half up (DIN 1333) like every output
                rounded = round_value(float(value), ind.decimals)
                if rounded is None:
                    continue
                value = float(rounded)
                y = int(year)

                def x(v: str, level=level, unit=unit, y=y) -> int | None:
                    return lp.names.get((level, unit, y, v))

                _constrain(lp, ind.kind, ind.inputs, value, h, x, counts[level], (unit, year))
                if ind.kind in ("change_abs", "change_pct") and y != base_year:
                    now, then = (
                        x(ind.inputs["value"]),
                        lp.names.get((level, unit, base_year, ind.inputs["value"])),
                    )
                    if now is None or then is None:
                        continue
                    if ind.kind == "change_abs":
                        lp.within({now: 1.0, then: -1.0}, value - h, value + h)
                    else:
                        lp.at_most({now: 100.0, then: -100.0 - (value + h)}, 0.0)
                        lp.at_most({now: -100.0, then: 100.0 + (value - h)}, 0.0)
    lp.assert_feasible(truth)
    # Sensitive cells.
    out = []
    for (level, unit, year, v), k in lp.names.items():
        if v == AGE_GAP:
            true = _true_gap(counts[level], unit, year)
        elif v in persons:
            true = float(np.nan_to_num(counts[level].at[(unit, year), v]))
        else:
            continue
        if 1e-6 < abs(true) < min_count - 1e-6:
            low, high = lp.solve_range(k)
            out.append(Interval(level, unit, year, v, true, low, high))
    return out


def _true_gap(frame: pd.DataFrame, unit: str, year: int) -> float:
    row = frame.loc[(unit, year)]
    return float(row["total"] - row[["young", "working_age", "older"]].sum())


def _constrain(lp, kind, inputs, value, h, x, counts, key) -> None:
    """Linear constraints of one published indicator value."""
    if kind == "count":
        k = x(inputs["value"])
        if k is not None:
            lp.within({k: 1.0}, value - h, value + h)
    elif kind in ("share", "ratio"):
        n, d = x(inputs["numerator"]), x(inputs["denominator"])
        if n is not None and d is not None:
            # 100 n / d in [value - h, value + h], d > 0
            lp.at_most({n: 100.0, d: -(value + h)}, 0.0)
            lp.at_most({n: -100.0, d: value - h}, 0.0)
    elif kind == "per_1000":
        d = x(inputs["denominator"])
        numerator = inputs["numerator"]
        if d is not None and numerator.startswith("services_"):
            s = float(counts.at[key, numerator])  # the services are public (the map)
            lp.at_most({d: -(value + h)}, -1000.0 * s)
            lp.at_most({d: value - h}, 1000.0 * s)
