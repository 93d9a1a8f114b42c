"""Evaluation of the indicator catalog from counts, at any level.

:func:`evaluate` computes the indicators of a :class:`~sqe_geo.stats.indicators.Catalog`
from a table of additive counts, so a planning area's share is its summed numerator over
its summed denominator, never a mean of quarter shares. Change indicators compare the same
quarters in the year and the base year (:func:`paired_change_counts`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import cast

import numpy as np
import pandas as pd

from sqe_geo._errors import StudyConfigError
from sqe_geo.i18n.messages import Message
from sqe_geo.stats.aggregate import Level
from sqe_geo.stats.indicators import RATIO_FACTOR, Catalog

#: Multiplier of ratio-like kinds (share and ratio per 100, per_1000 per 1,000).
_FACTOR = RATIO_FACTOR


def _divide(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator.astype(float) / denominator.astype(float)
    return result.where(denominator > 0)


#: Suffixes of the paired sums of a change input (see :func:`paired_change_counts`).
NOW, AT_BASE = "@now", "@base"


def check_base_year(years: Iterable[int], base_year: int | None) -> int:
    """The base year of change indicators; an error that lists the years present.

    Parameters
    ----------
    years
        The years of the demographics.
    base_year
        The study's ``base_year`` (None: the earliest year).

    Returns
    -------
    int
        The base year.

    Raises
    ------
    StudyConfigError
        When ``base_year`` is not among ``years``.
    """
    present = sorted({int(y) for y in years})
    if base_year is None:
        return present[0]
    if int(base_year) not in present:
        raise StudyConfigError(
            Message(
                "stats.catalog.base_year_missing",
                base_year=base_year,
                years=", ".join(map(str, present)),
            )
        )
    return int(base_year)


def paired_change_counts(
    quarter_counts: pd.DataFrame,
    area_of: pd.Series,
    city_id: str,
    *,
    base_year: int | None,
    columns: Iterable[str],
) -> tuple[dict[Level, pd.DataFrame], list[tuple[str, int, str]]]:
    """Sums of change inputs over the same quarters in the year and the base year.

    For each column ``v`` and year ``t``, ``{v}@now`` is the sum of ``v`` in ``t`` and
    ``{v}@base`` the sum in the base year, both over the quarters that have ``v`` in both
    years. A quarter missing in one of the years is left out of both sums, so a planning
    area's change never compares different sets of quarters.

    Returns
    -------
    tuple
        Level -> table indexed ``(unit_id, year)``; and the ``(quarter, year, v)`` cells
        left out (for the quality report and the ``partial`` status of higher levels).
    """
    years = quarter_counts.index.get_level_values(1)
    base = check_base_year(years, base_year)
    out: dict[Level, dict[str, pd.Series]] = {"quarter": {}, "planning_area": {}, "city": {}}
    dropped: list[tuple[str, int, str]] = []
    for column in columns:
        wide = quarter_counts[column].astype(float).unstack(1)
        at_base = wide[base]
        has_base = at_base.notna().to_numpy()[:, None]
        paired = wide.notna().to_numpy() & has_base
        now = wide.where(paired)
        ref = pd.DataFrame(
            np.where(paired, at_base.to_numpy()[:, None], np.nan),
            index=wide.index,
            columns=wide.columns,
        )
        lost = (wide.notna().to_numpy() | has_base) & ~paired
        year_columns: list[Hashable] = list(wide.columns)
        lost[:, year_columns.index(base)] = False
        for quarter, year in zip(*np.nonzero(lost), strict=True):
            dropped.append((wide.index[quarter], int(wide.columns[year]), column))
        groups: dict[Level, pd.Index | np.ndarray | None] = {
            "quarter": None,
            # pandas-stubs: Index.map takes a Series too
            "planning_area": wide.index.map(area_of),  # type: ignore[arg-type]
            "city": np.full(len(wide), city_id),
        }
        for level, key in groups.items():
            for suffix, frame in ((NOW, now), (AT_BASE, ref)):
                summed = frame if key is None else frame.groupby(key).sum(min_count=1)
                # one column level, so stack gives a Series (the stubs say DataFrame | Series)
                long = cast(pd.Series, summed.stack(future_stack=True))
                long.index = long.index.set_names(["unit_id", "year"])
                out[level][column + suffix] = long
    tables = {level: pd.DataFrame(cols) for level, cols in out.items() if cols}
    return tables, dropped


def evaluate(
    catalog: Catalog,
    counts: pd.DataFrame,
    *,
    base_year: int | None = None,
    walking_speed_mps: float = 0.8,
) -> pd.DataFrame:
    """Evaluate every indicator from a table of counts.

    Parameters
    ----------
    catalog
        The (expanded) catalog; indicators whose inputs are missing give NaN columns.
    counts
        Index ``(unit_id, year)``; columns are additive counts (``total``, ``older``,
        ``within_food_older``, …) or per-level values for kind ``value``.
    base_year
        Reference year of change indicators (default: the earliest year).
    walking_speed_mps
        Speed that turns distances into minutes (kind ``minutes``).

    Returns
    -------
    pandas.DataFrame
        Same index, one column per indicator id. A ratio with a zero denominator is NaN.
    """
    years = counts.index.get_level_values("year")
    base = check_base_year(years, base_year)
    result: dict[str, pd.Series] = {}
    nan = pd.Series(np.nan, index=counts.index)
    for ind in catalog:
        if any(v not in counts.columns for v in ind.inputs.values()):
            result[ind.id] = nan
            continue
        cols = {k: counts[v] for k, v in ind.inputs.items()}
        match ind.kind:
            case "count" | "value":
                values = cols["value"].astype(float)
            case "share" | "ratio" | "per_1000" | "mean":
                values = _divide(cols["numerator"], cols["denominator"]) * _FACTOR[ind.kind]
            case "minutes":
                values = _divide(cols["numerator"], cols["denominator"]) / walking_speed_mps / 60
            case "change_abs" | "change_pct":
                value = cols["value"].astype(float)
                paired = ind.inputs["value"] + AT_BASE
                if paired in counts.columns:  # the same quarters in both years
                    value = counts[ind.inputs["value"] + NOW].astype(float)
                    reference = counts[paired].astype(float)
                else:
                    at_base = value[years == base].droplevel("year")
                    reference = pd.Series(
                        at_base.reindex(counts.index.get_level_values(0)).to_numpy(),
                        index=counts.index,
                    )
                values = value - reference
                if ind.kind == "change_pct":
                    values = _divide(values, reference) * 100.0
                values = values.where(years != base)
        result[ind.id] = values
    return pd.DataFrame(result, index=counts.index)
