"""What disclosure control protects: the counts of persons, and the values they hide.

The protected variables are the count columns that enter an indicator as counts of
persons (:func:`protected_variables`). An indicator value is withheld when a protected
count cell it is computed from is withheld, and a ratio when its base is small (rules 3 and
4 of :mod:`sqe_geo.stats.privacy`).
:func:`indicator_mask` applies them to one indicator at one level, on the count cells of
that level aligned with its values (:class:`CountCells`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from sqe_geo.stats.aggregate import Level
from sqe_geo.stats.indicators import Catalog, Indicator

__all__ = [
    "CHANGE_KINDS",
    "RATIO_KINDS",
    "CountCells",
    "indicator_mask",
    "infer_base_year",
    "person_count_inputs",
    "protected_variables",
]

#: Kinds withheld like a ratio on their denominator.
RATIO_KINDS = ("share", "ratio", "per_1000", "mean", "minutes")
#: Kinds that compare a year with the base year.
CHANGE_KINDS = ("change_abs", "change_pct")


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
    """All count columns that enter some indicator as counts of persons (catalog order).

    Parameters
    ----------
    catalog
        The indicators.

    Returns
    -------
    list of str
        The protected variables, each once.
    """
    names: dict[str, None] = {}
    for ind in catalog:
        names.update(dict.fromkeys(person_count_inputs(ind)))
    return list(names)


class CountCells:
    """Count cells of one level aligned with its values, and each unit's base-year cell."""

    def __init__(
        self,
        index: pd.Index,  # (unit_id, year); DataFrame.index is typed as a plain Index
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


def infer_base_year(values: Mapping[Level, pd.DataFrame], catalog: Catalog) -> int | None:
    """The base year of change indicators: the earliest year where they are all NaN.

    Parameters
    ----------
    values
        Level -> indicator values indexed ``(unit_id, year)``.
    catalog
        The indicators of ``values``.

    Returns
    -------
    int or None
        That year, else the earliest year; None without any value.
    """
    change = [i.id for i in catalog if i.kind in CHANGE_KINDS]
    frame = values["city"]
    if frame.empty:
        return None
    years = frame.index.get_level_values("year")
    if change:
        blank = frame[change].isna().all(axis=1).groupby(years).all()
        if blank.any():
            return int(blank[blank].index.min())
    return int(years.min())


def indicator_mask(ind: Indicator, cells: CountCells, min_denominator: int) -> np.ndarray:
    """Rules 3 and 4 for one indicator at one level (True = withhold).

    Parameters
    ----------
    ind
        The indicator (its kind and inputs decide which count cells it depends on).
    cells
        The count cells of the level, aligned with its values.
    min_denominator
        Ratios whose base is below this are withheld.

    Returns
    -------
    numpy.ndarray
        One boolean per row of the level.
    """
    match ind.kind:
        case "count":
            return cells.is_withheld(ind.inputs["value"])
        case "change_abs" | "change_pct":
            column = ind.inputs["value"]
            withheld = cells.is_withheld(column)
            mask: np.ndarray = withheld | cells.at_base(withheld, missing=False)
            if ind.kind == "change_pct":
                with np.errstate(invalid="ignore"):
                    mask |= cells.at_base(cells.count(column), np.nan) < min_denominator
            return mask
        case kind if kind in RATIO_KINDS:
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
