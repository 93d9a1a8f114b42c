"""Statistical disclosure control: small-number suppression with secondary suppression.

German official statistics do not publish counts of 1 or 2 persons (they are shown as
"."), nor shares whose base is small, and a total must not let a withheld cell be computed
back (DOMAIN.md, "Disclosure control"). :func:`apply_disclosure_control` enforces this on
the indicator tables of every level; :func:`format_value`, :data:`DISCLOSURE_NOTE_DE` and
:data:`DISCLOSURE_NOTE_EN` are for the exports, maps and the app.

Which counts are protected
--------------------------
A *protected variable* is every count column that enters an indicator as a count of
persons (:func:`person_count_inputs`): the value of ``count``, ``change_abs`` and
``change_pct``; numerator and denominator of ``share`` and ``ratio``; the denominator of
``per_1000``, ``mean`` and ``minutes``. Their numerators are not persons: services or
E2SFCA-weighted places per 1,000 residents, sums of walking distances. A variable is
protected whether or not a ``count`` indicator publishes it directly, because a count can
usually be recovered from a published ratio and its base, or from chains of ratios.

Rules
-----
With ``m = min_count`` (default 3) and ``d = min_denominator`` (default 10):

1. **Primary, counts.** A cell of a protected variable (unit, year) with ``0 < count < m``
   is withheld, at every level. Zero is shown.
2. **Secondary, hierarchy.** Per variable and year, the quarter cells of a planning area
   sum to the planning area, and the planning areas sum to the city. In each of these
   relations (total and its parts) the withheld cells must be none or at least two, and
   when the relation's total is published the withheld parts must not all sit at their
   smallest possible value (see below). Otherwise the smallest non-zero published part is
   withheld too (for the second condition: the smallest part above its smallest possible
   value); when there is none, the total is withheld, which moves the problem one level up.
   This repeats until every relation is safe.
3. **Derived values.** An indicator value is withheld when any protected count cell it is
   computed from is withheld (rules 1–2): a ``count`` with its cell; ``share`` and
   ``ratio`` with their numerator or denominator cell; ``per_1000``, ``mean`` and
   ``minutes`` with their denominator cell; ``change_abs`` and ``change_pct`` with the
   cell of the year or of the base year.
4. **Primary, bases.** ``share``, ``ratio``, ``per_1000``, ``mean`` and ``minutes`` are
   withheld when the denominator count is below ``d``; ``change_pct`` when the base-year
   count is below ``d``.

Rule 3 answers the question when a ratio's numerator can be recovered: *always withhold*.
The numerator is a whole number of persons, so the published ratio and even an approximate
denominator give it back exactly (2 of "about 95" is 2.1 %, 3 would be 3.2 %); and a
denominator that is not published as a count is usually recoverable from another ratio
(``working_age`` = ``older`` / old-age dependency × 100). So the ratio is withheld whether
or not its denominator is published, and the same holds for secondary cells.

What is protected
-----------------
For every protected variable and year, no withheld cell can be computed *exactly* from the
published cells of that variable and the hierarchy sums (quarter → planning area → city),
even by someone who knows the rule, i.e. who knows that a withheld count is at least 1
(zeros are shown). Why: the relations form a tree, so with at least two unknowns in every
relation no single unknown is fixed by the equations; and the lower bound ``≥ 1`` could
pin the unknowns only when the known remainder of a relation equals the sum of the
smallest possible values of its withheld parts (two withheld quarters with remainder 2 are
both 1). The smallest possible value of a withheld quarter is 1 (0 for variables with
fractional values, such as dasymetric accessibility estimates); of a withheld planning area
it is the sum of its published quarters plus 1 per withheld quarter. Every published value
derived from counts uses only published cells (rule 3), so it adds no equation.

What is not protected
---------------------
* **Relations between variables.** ``total = young + working_age + older``,
  ``older = young_old + oldest_old``, ``origins_{g} = reached_{cat}_{g} +
  unreachable_{cat}_{g}``: suppression is done per variable. If counts of every part of
  such a sum were published, a withheld part would be their difference (the shipped
  catalog publishes ``total``, ``older`` and ``oldest_old`` as counts, so this does not
  arise directly). Ratios between *other* groups stay published, though: with ``older``
  withheld in a quarter, ``population`` and ``youth_dependency`` still give
  ``older = total − working_age × (1 + youth_dependency / 100)`` with ``working_age``
  unknown. That is one equation with two unknowns, but in a very small quarter the
  integrality of counts and the rounding of the ratio may narrow ``older`` down or pin it.
* **Relations between years.** Changes are published only when both years' cells are
  published, so they add nothing; but a count withheld in one year and published in
  another is not hidden in the other year, and year-to-year continuity is not considered.
* **Intervals.** Only exact recovery is prevented. Anyone knowing the rule knows a
  primary-withheld count is between 1 and ``m − 1``; a secondary cell may be bounded in a
  narrow interval (no protection interval as in τ-ARGUS is enforced). The choice of
  secondary cells (smallest non-zero) is a heuristic, not an optimal suppression pattern.
* **Rounding.** Published ratios of published counts may let large counts be estimated
  approximately; that is not a disclosure of small counts.
* **Kind ``value``** (per-level values such as median distances) is controlled only when
  its catalog entry names a ``base`` input (the persons it is taken over): then it is
  withheld like a ratio on that base. An entry without a base is published as is.
* **Kinds decide what counts persons.** A ``count`` of facilities would be suppressed
  like persons; a ``per_1000`` whose numerator counts persons (say, recipients of care
  per 1,000 residents) would not have its numerator protected: such an indicator must be
  declared as ``share`` or ``ratio``.
* **Other publications** (other breakdowns, other tables of the statistics office,
  Zensus grid cells) are outside this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from sqe_geo.aggregate import LEVELS, Level
from sqe_geo.config import DisclosureConfig
from sqe_geo.indicators import Catalog, Indicator

__all__ = [
    "DISCLOSURE_NOTE_DE",
    "DISCLOSURE_NOTE_EN",
    "SUPPRESSED_MARK",
    "apply_disclosure_control",
    "disclosure_note",
    "format_value",
    "format_values",
    "person_count_inputs",
    "protected_variables",
    "withheld_counts",
]

#: The mark of a withheld value in German tables (official statistics' "." sign).
SUPPRESSED_MARK = "."

#: Note for German tables and maps; :func:`disclosure_note` fills in the thresholds.
DISCLOSURE_NOTE_DE = (
    "„.“ = Wert aus Gründen der statistischen Geheimhaltung nicht veröffentlicht: Fallzahlen "
    "unter {min_count} Personen (außer 0) sowie Anteile und Quoten mit einer Basis unter "
    "{min_denominator} Personen. Damit gesperrte Werte nicht aus Summen zurückgerechnet werden "
    "können, sind weitere Werte gesperrt (sekundäre Geheimhaltung). 0 wird angezeigt."
)

#: Note for English tables and maps (withheld cells are blank there).
DISCLOSURE_NOTE_EN = (
    "Blank (or “.” in German tables) = withheld for statistical confidentiality: counts "
    "below {min_count} persons (other than 0), and shares and ratios whose base is below "
    "{min_denominator} persons. Further values are withheld so that withheld values cannot "
    "be recomputed from totals (secondary suppression). Zero is shown."
)

#: Inputs of each kind that are counts of persons (protected variables).
_PERSON_INPUTS: dict[str, tuple[str, ...]] = {
    "count": ("value",),
    "change_abs": ("value",),
    "change_pct": ("value",),
    "share": ("numerator", "denominator"),
    "ratio": ("numerator", "denominator"),
    "per_1000": ("denominator",),
    "mean": ("denominator",),
    "minutes": ("denominator",),
    "value": ("base",),  # optional: the persons a per-level value (a median) is taken over
}
_RATIO_KINDS = ("share", "ratio", "per_1000", "mean", "minutes")
_CHANGE_KINDS = ("change_abs", "change_pct")
# Counts are floats; tolerance of "equal" comparisons on them.
_TOL = 1e-6


def disclosure_note(config: DisclosureConfig, language: str = "de") -> str:
    """The note explaining withheld values, filled in with the thresholds.

    Parameters
    ----------
    config
        The study's disclosure rules.
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    str
        :data:`DISCLOSURE_NOTE_DE` or :data:`DISCLOSURE_NOTE_EN` with the numbers.
    """
    text = DISCLOSURE_NOTE_EN if language == "en" else DISCLOSURE_NOTE_DE
    return text.format(min_count=config.min_count, min_denominator=config.min_denominator)


def format_value(value: float | None, suppressed: bool, decimals: int, german: bool) -> str:
    """Render one indicator value for a table or a map tooltip.

    Parameters
    ----------
    value
        The value (NaN or None when not computable).
    suppressed
        Whether disclosure control withheld it.
    decimals
        Decimal places (``Indicator.decimals``).
    german
        German output: decimal comma, withheld values as ``"."``. Otherwise a decimal point
        and withheld values blank (explain them with :data:`DISCLOSURE_NOTE_EN`).

    Returns
    -------
    str
        The text; ``""`` for values that cannot be computed (e.g. a zero base).

    Examples
    --------
    >>> format_value(12.35, False, 1, german=True)
    '12,4'
    >>> format_value(float("nan"), True, 1, german=True)
    '.'
    >>> format_value(2.0, True, 0, german=False)
    ''
    """
    if suppressed:
        return SUPPRESSED_MARK if german else ""
    if value is None or pd.isna(value) or not np.isfinite(float(value)):
        return ""
    # Round half away from zero on the shortest decimal form (DIN 1333: 1.25 -> 1.3), not
    # half to even on the binary value as format() does.
    step = Decimal(1).scaleb(-max(int(decimals), 0))
    rounded = Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP)
    text = f"{abs(rounded) if rounded.is_zero() else rounded:f}"  # no "-0.0"
    return text.replace(".", ",") if german else text


def format_values(
    values: pd.Series, suppressed: pd.Series, decimals: int, german: bool
) -> pd.Series:
    """:func:`format_value` for a column (e.g. one indicator of an export table).

    Parameters
    ----------
    values
        Indicator values.
    suppressed
        The disclosure mask of the same cells (aligned on the index; missing = False).
    decimals
        Decimal places.
    german
        German output (``"."`` and decimal comma).

    Returns
    -------
    pandas.Series
        Text per cell, same index as ``values``.
    """
    mask = suppressed.reindex(values.index, fill_value=False).to_numpy(dtype=bool)
    text = [
        format_value(v, bool(m), decimals, german)
        for v, m in zip(values.to_numpy(dtype=object), mask, strict=True)
    ]
    return pd.Series(text, index=values.index, dtype=object)


def person_count_inputs(indicator: Indicator) -> list[str]:
    """The count columns an indicator uses as counts of persons.

    Parameters
    ----------
    indicator
        A catalog entry.

    Returns
    -------
    list of str
        Column names, e.g. ``["older", "total"]`` for ``share_older``.
    """
    roles = _PERSON_INPUTS.get(indicator.kind, ())
    return [indicator.inputs[role] for role in roles if role in indicator.inputs]


def protected_variables(catalog: Iterable[Indicator]) -> list[str]:
    """All count columns that enter some indicator as counts of persons (catalog order)."""
    names: dict[str, None] = {}
    for ind in catalog:
        names.update(dict.fromkeys(person_count_inputs(ind)))
    return list(names)


def _protect_relation(
    total: np.ndarray,
    total_w: np.ndarray,
    parts: np.ndarray,
    parts_w: np.ndarray,
    parts_lo: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Make ``total = Σ parts`` safe for many groups at once (one row per variable-year).

    Parameters
    ----------
    total
        Shape ``(g,)``: the relation's total per group (NaN: absent).
    total_w
        Shape ``(g,)``: whether the total is withheld.
    parts
        Shape ``(g, n)``: the parts (NaN: absent, i.e. 0 in the sum).
    parts_w
        Shape ``(g, n)``: whether each part is withheld.
    parts_lo
        Shape ``(g, n)``: smallest value a withheld part can have, as an attacker knows it.

    Returns
    -------
    tuple
        The new ``(total_w, parts_w)``: a superset of the input masks.
    """
    total_w, parts_w = total_w.copy(), parts_w.copy()
    values = np.nan_to_num(parts)
    known_total = np.nan_to_num(total)
    stuck = np.zeros_like(total_w)
    while True:
        n_withheld = parts_w.sum(axis=1) + total_w
        slack = (
            known_total
            - np.where(parts_w, 0.0, values).sum(axis=1)
            - np.where(parts_w, parts_lo, 0.0).sum(axis=1)
        )
        single = n_withheld == 1
        tight = (n_withheld >= 2) & ~total_w & (slack <= _TOL)
        need = (single | tight) & ~stuck
        if not need.any():
            return total_w, parts_w
        candidate = ~parts_w & (values > _TOL)
        # Against a tight remainder only a part above its lower bound adds slack.
        candidate &= ~tight[:, None] | (values > parts_lo + _TOL)
        has = candidate.any(axis=1)
        rows = np.flatnonzero(need & has)
        smallest = np.where(candidate[rows], values[rows], np.inf).argmin(axis=1)
        parts_w[rows, smallest] = True
        to_total = need & ~has & ~total_w & (known_total > _TOL)
        total_w |= to_total
        # Inconsistent input (a non-zero total without non-zero parts): nothing more to do.
        stuck |= need & ~has & ~to_total


def _area_lower_bounds(
    quarters: np.ndarray, withheld: np.ndarray, members: list[np.ndarray], lo: np.ndarray
) -> np.ndarray:
    """Smallest value each planning area can have when it is withheld, shape ``(g, areas)``.

    That is the sum of its published quarters plus ``lo`` per withheld quarter. An area
    without withheld quarters gets the bound it will have once withheld: its relation then
    withholds its smallest non-zero quarter too.
    """
    values = np.nan_to_num(quarters)
    bounds = []
    for cols in members:
        part, hidden = values[:, cols], withheld[:, cols]
        bound = np.where(hidden, lo, part).sum(axis=1)
        smallest = np.where(~hidden & (part > _TOL), part, np.inf).min(axis=1, initial=np.inf)
        anticipate = ~hidden.any(axis=1) & np.isfinite(smallest)
        bounds.append(np.where(anticipate, bound - smallest + lo[:, 0], bound))
    return np.stack(bounds, axis=1)


class _Grid:
    """A level's counts as an array ``(variable × year, unit)`` and the way back."""

    def __init__(self, frame: pd.DataFrame, variables: list[str], years: list[int]) -> None:
        units = frame.index.get_level_values("unit_id")
        self.units = list(dict.fromkeys(units))
        self.index = frame.index
        self.variables = variables
        self.unit_pos = pd.Index(self.units).get_indexer(units)
        self.year_pos = pd.Index(years).get_indexer(frame.index.get_level_values("year"))
        self.shape = (len(variables), len(years), len(self.units))
        grid = np.full(self.shape, np.nan)
        grid[:, self.year_pos, self.unit_pos] = frame[variables].to_numpy(dtype=float).T
        self.values = grid.reshape(-1, len(self.units))

    def frame(self, mask: np.ndarray) -> pd.DataFrame:
        """A boolean ``(variable × year, unit)`` array as a frame like the level's counts."""
        cells = mask.reshape(self.shape)[:, self.year_pos, self.unit_pos].T
        return pd.DataFrame(cells, index=self.index, columns=self.variables)


def withheld_counts(
    counts: Mapping[Level, pd.DataFrame],
    quarters: pd.DataFrame,
    variables: list[str],
    min_count: int,
) -> dict[Level, pd.DataFrame]:
    """Count cells withheld by primary and secondary suppression (rules 1 and 2).

    Parameters
    ----------
    counts
        Level -> additive counts indexed by ``(unit_id, year)`` (:func:`~sqe_geo.aggregate.
        roll_up`); planning areas and the city are the sums of the quarters.
    quarters
        Table with ``quarter_id`` and ``planning_area``.
    variables
        The protected count columns.
    min_count
        Counts in ``(0, min_count)`` are withheld.

    Returns
    -------
    dict
        Level -> boolean frame, index of ``counts[level]``, one column per variable; True =
        the count cell must not be published nor be computable from published values.
    """
    variables = [v for v in variables if v in counts["quarter"].columns]
    empty = {
        level: pd.DataFrame(False, index=counts[level].index, columns=variables) for level in LEVELS
    }
    if not variables or counts["quarter"].empty:
        return empty
    years = sorted(set().union(*(counts[lv].index.get_level_values("year") for lv in LEVELS)))
    q = _Grid(counts["quarter"], variables, years)
    a = _Grid(counts["planning_area"], variables, years)
    c = _Grid(counts["city"], variables, years)
    qv, av, cv = q.values, a.values, c.values[:, 0]

    def primary(x: np.ndarray) -> np.ndarray:
        return (x > _TOL) & (x < min_count - _TOL)

    qw, aw, cw = primary(qv), primary(av), primary(cv)
    area_of = quarters.set_index("quarter_id")["planning_area"]
    quarter_area = pd.Index(q.units).map(area_of)
    unknown = set(quarter_area) - set(a.units)
    if unknown:
        raise ValueError(f"quarters of planning areas without counts: {sorted(unknown)}")
    members = [np.flatnonzero(quarter_area == area) for area in a.units]
    # Whole persons: a withheld count is at least 1; estimates (fractions) only above 0.
    integral = np.all(np.isnan(qv) | (np.abs(qv - np.round(qv)) < _TOL), axis=1)
    lo = np.where(integral, 1.0, 0.0)[:, None]
    # Withholding a planning area for the city relation reopens that area's own relation
    # (its quarters would add up to it), so both levels are repeated until nothing changes.
    while True:
        before = (qw.sum(), aw.sum(), cw.sum())
        for k, cols in enumerate(members):
            aw[:, k], qw[:, cols] = _protect_relation(
                av[:, k], aw[:, k], qv[:, cols], qw[:, cols], np.broadcast_to(lo, qv[:, cols].shape)
            )
        area_lo = _area_lower_bounds(qv, qw, members, lo)
        cw, aw = _protect_relation(cv, cw, av, aw, area_lo)
        if (qw.sum(), aw.sum(), cw.sum()) == before:
            break
    return {"quarter": q.frame(qw), "planning_area": a.frame(aw), "city": c.frame(cw[:, None])}


class _Cells:
    """Count cells of one level aligned with its values, and each unit's base-year cell."""

    def __init__(
        self,
        index: pd.MultiIndex,
        counts: pd.DataFrame,
        withheld: pd.DataFrame,
        base_year: int | None,
    ) -> None:
        self.counts = counts.reindex(index)
        self.withheld = withheld.reindex(index, fill_value=False)
        self.none = np.zeros(len(index), dtype=bool)
        units = index.get_level_values("unit_id")
        rows = pd.Series(np.arange(len(index)), index=units)
        at_base = rows[np.asarray(index.get_level_values("year") == base_year)]
        base_row = at_base.reindex(units).to_numpy(dtype=float)
        self.has_base = ~np.isnan(base_row)
        self.base_row = np.where(self.has_base, base_row, 0).astype(int)

    def count(self, column: str) -> np.ndarray:
        return self.counts[column].to_numpy(dtype=float)

    def is_withheld(self, column: str) -> np.ndarray:
        if column not in self.withheld.columns:
            return self.none
        return self.withheld[column].to_numpy(dtype=bool)

    def at_base(self, cells: np.ndarray, missing: float | bool) -> np.ndarray:
        return np.where(self.has_base, cells[self.base_row], missing)


def _infer_base_year(values: Mapping[Level, pd.DataFrame], catalog: Catalog) -> int | None:
    """The base year of change indicators: the earliest year where they are all NaN."""
    change = [i.id for i in catalog if i.kind in _CHANGE_KINDS]
    frame = values["city"]
    if frame.empty:
        return None
    years = frame.index.get_level_values("year")
    if change:
        blank = frame[change].isna().all(axis=1).groupby(years).all()
        if blank.any():
            return int(blank[blank].index.min())
    return int(years.min())


def _indicator_mask(ind: Indicator, cells: _Cells, min_denominator: int) -> np.ndarray:
    """Rules 3 and 4 for one indicator at one level (True = withhold)."""
    match ind.kind:
        case "count":
            return cells.is_withheld(ind.inputs["value"])
        case "change_abs" | "change_pct":
            column = ind.inputs["value"]
            withheld = cells.is_withheld(column)
            mask = withheld | cells.at_base(withheld, missing=False)
            if ind.kind == "change_pct":
                with np.errstate(invalid="ignore"):
                    mask |= cells.at_base(cells.count(column), np.nan) < min_denominator
            return mask
        case kind if kind in _RATIO_KINDS:
            denominator = ind.inputs["denominator"]
            with np.errstate(invalid="ignore"):
                mask = cells.is_withheld(denominator) | (cells.count(denominator) < min_denominator)
            if kind in ("share", "ratio"):
                mask |= cells.is_withheld(ind.inputs["numerator"])
            return mask
        case "value" if "base" in ind.inputs:
            base = ind.inputs["base"]
            with np.errstate(invalid="ignore"):
                return cells.is_withheld(base) | (cells.count(base) < min_denominator)
    return cells.none


def apply_disclosure_control(
    counts: Mapping[Level, pd.DataFrame],
    values: Mapping[Level, pd.DataFrame],
    catalog: Catalog,
    quarters: pd.DataFrame,
    config: DisclosureConfig,
    *,
    base_year: int | None = None,
) -> tuple[dict[Level, pd.DataFrame], dict[Level, pd.DataFrame]]:
    """Withhold small counts, ratios on small bases and what would recompute them.

    Parameters
    ----------
    counts
        Level -> additive counts indexed by ``(unit_id, year)``, as summed by
        :func:`~sqe_geo.aggregate.roll_up`.
    values
        Level -> indicator values (one column per indicator id), same index as ``counts``.
    catalog
        The indicators of ``values`` (kinds and inputs).
    quarters
        Table with ``quarter_id`` and ``planning_area``.
    config
        ``min_count`` and ``min_denominator``; when ``enabled`` is False nothing is
        withheld.
    base_year
        Base year of change indicators (the study's ``base_year``). When None it is read
        from ``values``: the earliest year in which every change indicator is NaN (the
        evaluation blanks the base year), else the earliest year.

    Returns
    -------
    tuple
        ``(values, suppressed)``: copies of the values with withheld cells set to NaN, and
        per level a boolean frame of the same shape, True where disclosure control withheld
        a value. Cells that were NaN before (e.g. a zero base) are not marked.

    Notes
    -----
    The rules, and which linear relations they protect and which they do not, are in the
    module docstring of :mod:`sqe_geo.privacy`.
    """
    out_values = {level: values[level].copy() for level in LEVELS}
    suppressed = {
        level: pd.DataFrame(False, index=v.index, columns=v.columns)
        for level, v in out_values.items()
    }
    if not config.enabled:
        return out_values, suppressed
    variables = protected_variables(catalog)
    withheld = withheld_counts(counts, quarters, variables, config.min_count)
    if base_year is None:
        base_year = _infer_base_year(values, catalog)
    for level in LEVELS:
        frame = out_values[level]
        cells = _Cells(frame.index, counts[level], withheld[level], base_year)
        masks = {
            ind.id: _indicator_mask(ind, cells, config.min_denominator)
            for ind in catalog
            if ind.id in frame.columns
        }
        mask = pd.DataFrame(masks, index=frame.index, dtype=bool)
        mask = mask.reindex(columns=frame.columns, fill_value=False)
        suppressed[level] = mask & frame.notna()
        out_values[level] = frame.mask(suppressed[level])
    return out_values, suppressed
