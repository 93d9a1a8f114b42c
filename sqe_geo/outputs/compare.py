"""Side-by-side comparison of the planning areas with the city as reference.

:func:`comparison` returns indicators × (planning areas + city) with the deviation of every
area from the city and whether that deviation means more or less need (by the indicator's
direction). The app shows it as a table with highlighted cells, as bar charts and as small
multiple maps; the CSV download is :func:`comparison_csv_frame`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from sqe_geo.i18n.formatting import WITHHELD_MARK, format_number
from sqe_geo.i18n.messages import as_language, text
from sqe_geo.stats.aggregate import CITY_ID, Level
from sqe_geo.stats.status import BASE_YEAR, NOT_COMPUTED_MARK, is_not_computed, status_label

if TYPE_CHECKING:
    from sqe_geo.results import Results


def city_label(language: str = "de") -> str:
    """The column label of the city in comparison tables ("Stadt", "City")."""
    return text("outputs.compare.city", language)


def _column(col: str, language: str) -> str:
    return city_label(language) if col == CITY_ID else col


#: Cell colours: worse than the city (more need), better, and withheld.
WORSE_BG, BETTER_BG = "#f8c9b8", "#cfe3f1"


@dataclass
class Comparison:
    """Indicator values of the planning areas and the city for one year.

    Attributes
    ----------
    values
        Index: indicator ids; columns: planning areas in study order, then the city
        (column :data:`~sqe_geo.stats.aggregate.CITY_ID`). Withheld values are NaN.
    suppressed
        Same shape: True where disclosure control withheld the value.
    deviation
        Value minus the city's value (planning-area columns only; NaN for counts of
        persons, which are not comparable with the city's total).
    need
        Same shape as ``deviation``: +1 where the deviation means more need than the city,
        −1 less need, 0 for neutral indicators, equal or missing values.
    """

    year: int
    values: pd.DataFrame
    suppressed: pd.DataFrame
    deviation: pd.DataFrame
    need: pd.DataFrame

    @property
    def areas(self) -> list[str]:
        """Planning areas in column order (without the city)."""
        return [c for c in self.values.columns if c != CITY_ID]


def comparison(results: Results, year: int, indicator_ids: list[str] | None = None) -> Comparison:
    """Compare the planning areas with the city for one year.

    Parameters
    ----------
    results
        :class:`sqe_geo.pipeline.Results`.
    year
        The year.
    indicator_ids
        Indicators to compare (all of the catalog by default), in this order.
    """
    ids = list(indicator_ids) if indicator_ids is not None else results.catalog.ids
    areas = results.values["planning_area"].xs(year, level="year")
    city = results.values["city"].xs(year, level="year")
    # xs of a level of a DataFrame's index is a DataFrame (the stubs say DataFrame | Series)
    mask_areas = cast(pd.DataFrame, results.suppressed["planning_area"].xs(year, level="year"))
    mask_city = cast(pd.DataFrame, results.suppressed["city"].xs(year, level="year"))
    values = pd.concat([areas[ids], city[ids]]).T.astype(float)
    suppressed = (
        pd.concat([mask_areas.reindex(columns=ids), mask_city.reindex(columns=ids)])
        .T.fillna(False)
        .astype(bool)
    )
    values = values.mask(suppressed)
    area_cols = [c for c in values.columns if c != CITY_ID]
    deviation = values[area_cols].sub(values[CITY_ID], axis=0)
    # A count of one area against the whole city's count says nothing: no deviation.
    counts = [i for i in ids if results.catalog[i].is_count]
    deviation.loc[counts] = np.nan
    direction = pd.Series(
        [
            {"higher_is_worse": 1, "higher_is_better": -1}.get(results.catalog[i].direction, 0)
            for i in ids
        ],
        index=ids,
    )
    sign = cast(pd.DataFrame, np.sign(deviation))  # a DataFrame (__array_ufunc__)
    need = sign.mul(direction, axis=0).fillna(0).astype(int)
    return Comparison(year, values, suppressed, deviation, need)


def sort_areas(comp: Comparison, by: str, *, descending: bool = True) -> Comparison:
    """Reorder the planning-area columns by one indicator's value (city stays last)."""
    row = cast(pd.Series, comp.values.loc[by, comp.areas])  # one indicator: one row
    order = row.sort_values(ascending=not descending, na_position="last")
    areas = list(order.index)
    cols = [*areas, CITY_ID]
    return Comparison(
        comp.year,
        comp.values[cols],
        comp.suppressed[cols],
        comp.deviation[areas],
        comp.need[areas],
    )


def display_table(results: Results, comp: Comparison, language: str = "de") -> pd.DataFrame:
    """The comparison as text: "label (unit)", formatted values, "." when withheld.

    Deviations from the city are added in parentheses, e.g. ``"21,9 (+3,2)"``.
    """
    rows = []
    for ind_id in comp.values.index:
        ind = results.catalog[ind_id]
        unit = f" ({ind.unit(language)})" if ind.unit(language) else ""
        row = {text("outputs.compare.indicator", language): ind.label(language) + unit}
        for col in comp.values.columns:
            label = _column(col, language)
            level: Level = "city" if col == CITY_ID else "planning_area"
            code = cast(str, results.status_of(level).at[(col, comp.year), ind_id])  # a code
            if code == BASE_YEAR:  # a change in its base year: nothing to compare with
                row[label] = status_label(code, language)
                continue
            if is_not_computed(code):  # a gap in the data: the reason, never a number
                row[label] = NOT_COMPUTED_MARK[as_language(language)]
                continue
            if comp.suppressed.loc[ind_id, col]:
                row[label] = WITHHELD_MARK
                continue
            value = comp.values.loc[ind_id, col]
            shown = format_number(value, ind.decimals, language)
            if col != CITY_ID and not pd.isna(value):
                dev = comp.deviation.loc[ind_id, col]
                if not pd.isna(dev):
                    sign = "+" if dev > 0 else ("±" if dev == 0 else "−")
                    shown += f" ({sign}{format_number(abs(dev), ind.decimals, language)})"
            row[label] = shown
        rows.append(row)
    return pd.DataFrame(rows)


def cell_styles(comp: Comparison, language: str = "de") -> pd.DataFrame:
    """CSS per cell of :func:`display_table` (worse than the city red, better blue)."""
    table_cols = [text("outputs.compare.indicator", language)]
    styles = pd.DataFrame("", index=range(len(comp.values)), columns=table_cols)
    for col in comp.values.columns:
        label = _column(col, language)
        if col == CITY_ID:
            styles[label] = "font-weight: bold"
            continue
        need = comp.need[col].to_numpy()
        styles[label] = np.where(
            need > 0,
            f"background-color: {WORSE_BG}",
            np.where(need < 0, f"background-color: {BETTER_BG}", ""),
        )
    return styles


def long_frame(results: Results, comp: Comparison, language: str = "de") -> pd.DataFrame:
    """Tidy rows for charts: indicator, label, area, value, city value, deviation, need."""
    rows = []
    for ind_id in comp.values.index:
        ind = results.catalog[ind_id]
        city = comp.values.loc[ind_id, CITY_ID]
        for area in comp.areas:
            rows.append(
                {
                    "indicator": ind_id,
                    "label": ind.label(language),
                    "unit": ind.unit(language),
                    "area": area,
                    "value": comp.values.loc[ind_id, area],
                    "city": city,
                    "deviation": comp.deviation.loc[ind_id, area],
                    "need": int(comp.need.loc[ind_id, area]),
                }
            )
    return pd.DataFrame(rows)


def comparison_csv_frame(results: Results, comp: Comparison, language: str = "de") -> pd.DataFrame:
    """Numeric table for CSV download: one row per indicator, a value column per area and
    the city, and a deviation column per area (withheld and not computed values empty).

    Each area and the city with any withheld, not-computed, partial or approximate value
    gets a status column beside its values, so the reason travels with the empty cell.
    """
    out = pd.DataFrame(
        {
            "indicator_id": comp.values.index,
            text("outputs.compare.indicator_column", language): [
                results.catalog[i].label(language) for i in comp.values.index
            ],
            text("outputs.compare.unit_column", language): [
                results.catalog[i].unit(language) for i in comp.values.index
            ],
        }
    )
    for col in comp.values.columns:
        out[_column(col, language)] = comp.values[col].to_numpy()
    withheld_text = text("outputs.compare.withheld", language)
    for col in comp.values.columns:
        level: Level = "city" if col == CITY_ID else "planning_area"
        codes = results.status_of(level).xs((col, comp.year))
        notes = [
            status_label(str(codes.get(ind_id, "")), language)
            if str(codes.get(ind_id, ""))
            else (withheld_text if comp.suppressed.loc[ind_id, col] else "")
            for ind_id in comp.values.index
        ]
        if any(notes):
            out[text("outputs.compare.status", language, label=_column(col, language))] = notes
    diff = text("outputs.compare.deviation", language)
    for area in comp.areas:
        out[f"{area}: {diff}"] = comp.deviation[area].to_numpy()
    return out
