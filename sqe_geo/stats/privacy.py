"""Statistical disclosure control: small-number suppression with secondary suppression.

German official statistics do not publish counts of 1 or 2 persons (they are shown as
"."), nor shares whose base is small, and a total must not let a withheld cell be computed
back (DOMAIN.md, "Disclosure control"). :func:`apply_disclosure_control` enforces this on
the indicator tables of every level; :func:`format_value`, :data:`DISCLOSURE_NOTE_DE` and
:data:`DISCLOSURE_NOTE_EN` are for the exports, maps and the app.

Which counts are protected
--------------------------
A *protected variable* is every count column that enters an indicator as a count of persons
(:func:`~sqe_geo.stats.value_masks.person_count_inputs`): the value of ``count``,
``change_abs`` and ``change_pct``; numerator and denominator of ``share`` and ``ratio``; the
denominator of ``per_1000``, ``mean`` and ``minutes``. Their numerators are not persons:
services or E2SFCA-weighted places per 1,000 residents, sums of walking distances. A
variable is protected whether or not a ``count`` indicator publishes it directly, because a
count can usually be recovered from a published ratio and its base, or from chains of ratios.

Rules
-----
With ``m = min_count`` (default 3), ``d = min_denominator`` (default 10) and protection
levels ``lower`` and ``upper`` (default 3 each):

1. **Primary, counts.** A cell of a protected variable (unit, year) with ``0 < count < m``
   is withheld, at every level. Zero is shown. So is a published residual with
   ``0 < |value| < m`` (persons of unknown age: the age bands minus the total).
2. **Secondary, linked tables.** Further cells are withheld until, for every primary cell
   ``x``, the interval an attacker can derive reaches ``max(x − lower, 0)`` and
   ``x + upper`` (:mod:`sqe_geo.stats.suppression`). The attacker knows every cell that is not
   withheld exactly, and every relation: the hierarchy (quarters → planning area → city)
   and the relations between variables of a unit and year (:mod:`sqe_geo.stats.relations`:
   ``total = young + working_age + older + unknown age``, ``older = young_old +
   oldest_old``, ``counted = reached + unreachable`` per category, ``reached ≥ within``,
   the group's residents = those a category is taken over). The relations are built from
   the catalog's protected variables, so a new indicator's inputs are covered.
3. **Derived values.** An indicator value is withheld when any protected count cell it is
   computed from is withheld (rules 1–2): a ``count`` with its cell; ``share`` and
   ``ratio`` with their numerator or denominator cell; ``per_1000``, ``mean`` and
   ``minutes`` with their denominator cell; ``change_abs`` and ``change_pct`` with the
   cell of the year or of the base year. So every published value is a function of cells
   the attacker of rule 2 already knows, and changes between years add nothing.
4. **Primary, bases.** ``share``, ``ratio``, ``per_1000``, ``mean`` and ``minutes`` are
   withheld when the denominator count is below ``d``; ``change_pct`` when the base-year
   count is below ``d``.

Rule 3 answers the question when a ratio's numerator can be recovered: *always withhold*.
The numerator is a whole number of persons, so the published ratio and even an approximate
denominator give it back exactly (2 of "about 95" is 2.1 %, 3 would be 3.2 %).

What is protected
-----------------
Every sensitive cell keeps an interval of at least ``[x − lower, x + upper]`` (not below
0) against anyone who knows all published values, the rules and the relations above,
integrality relaxed. The test suite checks this with an independent linear-programming
audit of the published values with their rounding (``tests/disclosure_audit.py``).
Secondary cells are not sensitive; they may be narrowed down themselves.

What is not protected
---------------------
* **Integrality and the rule itself.** The audit relaxes integrality, and "." with zeros
  shown tells that a primary cell is at least 1 (or, for a cell withheld on its own, at
  most ``m − 1``).
* **Relations the method does not make exact.** The residents' locations of each age
  group are estimated separately, so e.g. ``within_food_older`` and the sum of its two
  parts differ by fractions of a person; such a relation is used only where it holds.
* **Kind ``value``** (per-level values such as median distances) is controlled only when
  its catalog entry names a ``base`` input (the persons it is taken over): then it is
  withheld like a ratio on that base. An entry without a base is published as is.
* **Kinds decide what counts persons.** A ``count`` of facilities would be suppressed
  like persons; a ``per_1000`` whose numerator counts persons would not have its
  numerator protected: such an indicator must be declared as ``share`` or ``ratio``.
* **Finer geographies and other publications.** The residents'-locations map shows
  residents per location only in classes at least 10 wide, and not at all in a quarter
  with withheld counts of the category; other breakdowns, other tables of the statistics
  office and the Zensus grid cells themselves are outside this module.
* **Optimality.** Secondary cells are chosen greedily (the smallest cell that can absorb
  the protection level in a binding relation); the pattern is safe, not minimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from sqe_geo.config import AgeGroupsConfig, DisclosureConfig
from sqe_geo.i18n.formatting import WITHHELD_MARK, format_number
from sqe_geo.i18n.messages import text
from sqe_geo.stats.aggregate import LEVELS, Level
from sqe_geo.stats.indicators import Catalog
from sqe_geo.stats.relations import count_relations
from sqe_geo.stats.suppression import ProtectionLevels, suppress_cells
from sqe_geo.stats.value_masks import (
    CountCells,
    indicator_mask,
    infer_base_year,
    protected_variables,
)

__all__ = [
    "DISCLOSURE_NOTE_DE",
    "DISCLOSURE_NOTE_EN",
    "SUPPRESSED_MARK",
    "Disclosure",
    "apply_disclosure_control",
    "disclosure_control",
    "disclosure_note",
    "format_value",
    "format_values",
    "withheld_counts",
]

#: The mark of a withheld value in German tables (official statistics' "." sign).
SUPPRESSED_MARK = WITHHELD_MARK

#: Note for German tables and maps; :func:`disclosure_note` fills in the thresholds.
DISCLOSURE_NOTE_DE = text("stats.disclosure_note", "de")

#: Note for English tables and maps (withheld cells are blank there).
DISCLOSURE_NOTE_EN = text("stats.disclosure_note", "en")


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
    return text(
        "stats.disclosure_note",
        "en" if language == "en" else "de",
        min_count=config.min_count,
        min_denominator=config.min_denominator,
    )


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
    language = "de" if german else "en"
    return format_number(value, decimals, language, grouping=False, withheld=suppressed)


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


def withheld_counts(
    counts: Mapping[Level, pd.DataFrame],
    quarters: pd.DataFrame,
    variables: list[str],
    min_count: int,
    *,
    age_ranges: Mapping[str, tuple[int, int | None]] | None = None,
    lower: float = 3.0,
    upper: float = 3.0,
) -> dict[Level, pd.DataFrame]:
    """Count cells withheld by primary and secondary suppression (rules 1 and 2).

    Parameters
    ----------
    counts
        Level -> additive counts indexed by ``(unit_id, year)`` (:func:`~sqe_geo.stats.aggregate.
        roll_up`); planning areas and the city are the sums of the quarters.
    quarters
        Table with ``quarter_id`` and ``planning_area``.
    variables
        The protected count columns.
    min_count
        Counts in ``(0, min_count)`` are withheld.
    age_ranges
        The study's age groups (for the relations between them); the official German
        groups when None.
    lower, upper
        Protection levels: the interval an attacker can derive for a withheld cell ``x``
        reaches ``max(x − lower, 0)`` and ``x + upper``.

    Returns
    -------
    dict
        Level -> boolean frame, index of ``counts[level]``, one column per variable (and
        per residual of a relation the data break, see :mod:`sqe_geo.stats.suppression`);
        True = the count cell must not be published nor be computable from published
        values.
    """
    ranges = age_ranges if age_ranges is not None else AgeGroupsConfig().ranges()
    present = [v for v in variables if v in counts["quarter"].columns]
    relations = count_relations(present, ranges)
    levels = ProtectionLevels(min_count=min_count, lower=lower, upper=upper)
    return suppress_cells(counts, quarters, present, relations, levels)


def apply_disclosure_control(
    counts: Mapping[Level, pd.DataFrame],
    values: Mapping[Level, pd.DataFrame],
    catalog: Catalog,
    quarters: pd.DataFrame,
    config: DisclosureConfig,
    *,
    base_year: int | None = None,
    age_ranges: Mapping[str, tuple[int, int | None]] | None = None,
) -> tuple[dict[Level, pd.DataFrame], dict[Level, pd.DataFrame]]:
    """Withhold small counts, ratios on small bases and what would recompute them.

    Parameters
    ----------
    counts
        Level -> additive counts indexed by ``(unit_id, year)``, as summed by
        :func:`~sqe_geo.stats.aggregate.roll_up`.
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
    age_ranges
        The study's age groups (relations between them); the official ones when None.

    Returns
    -------
    tuple
        ``(values, suppressed)``: copies of the values with withheld cells set to NaN, and
        per level a boolean frame of the same shape, True where disclosure control withheld
        a value. Cells that were NaN before (e.g. a zero base) are not marked.

    Notes
    -----
    The rules, and which linear relations they protect and which they do not, are in the
    module docstring of :mod:`sqe_geo.stats.privacy`.
    """
    result = disclosure_control(
        counts, values, catalog, quarters, config, base_year=base_year, age_ranges=age_ranges
    )
    return result.values, result.suppressed


@dataclass(frozen=True)
class Disclosure:
    """The protected results of :func:`disclosure_control`.

    Attributes
    ----------
    values
        Level -> indicator values with withheld cells set to NaN.
    suppressed
        Level -> True where disclosure control withheld an indicator value.
    withheld
        Level -> True where a count cell (a protected variable, or a residual such as
        persons of unknown age) is withheld; every surface that shows a count asks here.
    """

    values: dict[Level, pd.DataFrame]
    suppressed: dict[Level, pd.DataFrame]
    withheld: dict[Level, pd.DataFrame]


def disclosure_control(
    counts: Mapping[Level, pd.DataFrame],
    values: Mapping[Level, pd.DataFrame],
    catalog: Catalog,
    quarters: pd.DataFrame,
    config: DisclosureConfig,
    *,
    base_year: int | None = None,
    age_ranges: Mapping[str, tuple[int, int | None]] | None = None,
) -> Disclosure:
    """:func:`apply_disclosure_control`, also returning the withheld count cells.

    Parameters are those of :func:`apply_disclosure_control`.

    Returns
    -------
    Disclosure
        Protected values, their mask, and the mask of count cells.
    """
    out_values = {level: values[level].copy() for level in LEVELS}
    suppressed = {
        level: pd.DataFrame(False, index=v.index, columns=v.columns)
        for level, v in out_values.items()
    }
    variables = protected_variables(catalog)
    if not config.enabled:
        withheld = {
            level: pd.DataFrame(False, index=counts[level].index, columns=variables)
            for level in LEVELS
        }
        return Disclosure(out_values, suppressed, withheld)
    withheld = withheld_counts(
        counts,
        quarters,
        variables,
        config.min_count,
        age_ranges=age_ranges,
        lower=config.lower_protection,
        upper=config.upper_protection,
    )
    if base_year is None:
        base_year = infer_base_year(values, catalog)
    for level in LEVELS:
        frame = out_values[level]
        cells = CountCells(frame.index, counts[level], withheld[level], base_year)
        masks = {
            ind.id: indicator_mask(ind, cells, config.min_denominator)
            for ind in catalog
            if ind.id in frame.columns
        }
        mask = pd.DataFrame(masks, index=frame.index, dtype=bool)
        mask = mask.reindex(columns=frame.columns, fill_value=False)
        suppressed[level] = mask & frame.notna()
        out_values[level] = frame.mask(suppressed[level])
    return Disclosure(out_values, suppressed, withheld)
