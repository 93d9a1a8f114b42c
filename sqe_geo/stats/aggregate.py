"""Roll-up of additive counts from quarters to planning areas and the city.

Only counts are summed; every ratio at a higher level is evaluated afterwards from the
summed counts (:mod:`sqe_geo.stats.indicators`). Totals are conserved: the city's count equals
the sum over planning areas equals the sum over quarters.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from sqe_geo.i18n.messages import LANGUAGES, text

Level = Literal["quarter", "planning_area", "city"]
LEVELS: tuple[Level, ...] = ("quarter", "planning_area", "city")

#: Unit id of the whole city.
CITY_ID = "Stadt"

#: The name of each level per language (catalog keys ``stats.level.<level>``).
LEVEL_LABELS: dict[str, dict[Level, str]] = {
    language: {level: text(f"stats.level.{level}", language) for level in LEVELS}
    for language in LANGUAGES
}


def roll_up(quarter_counts: pd.DataFrame, quarters: pd.DataFrame) -> dict[Level, pd.DataFrame]:
    """Sum quarter counts to planning areas and the city.

    Parameters
    ----------
    quarter_counts
        Index ``(quarter_id, year)``; additive count columns.
    quarters
        Table with ``quarter_id``, ``name`` and ``planning_area``.

    Returns
    -------
    dict
        ``{"quarter": ..., "planning_area": ..., "city": ...}``, each indexed by
        ``(unit_id, year)`` with the same count columns. A sum over units where every
        value is missing stays missing (NaN), it does not become 0.
    """
    counts = quarter_counts.copy()
    counts.index = counts.index.set_names(["unit_id", "year"])
    area_of = quarters.set_index("quarter_id")["planning_area"]
    units = counts.index.get_level_values("unit_id")
    unknown = sorted(set(units) - set(area_of.index))
    if unknown:
        raise ValueError(f"counts for quarters that are not in the study: {unknown}")
    years = counts.index.get_level_values("year")
    # pandas-stubs: Index.map takes a Series too
    area_ids = units.map(area_of)  # type: ignore[arg-type]
    by_area = counts.groupby([area_ids.rename("unit_id"), years], sort=False).sum(min_count=1)
    city = counts.groupby(years).sum(min_count=1)
    city.index = pd.MultiIndex.from_product([[CITY_ID], city.index], names=["unit_id", "year"])
    order = list(dict.fromkeys(quarters["planning_area"]))
    by_area = by_area.reindex(sorted(by_area.index, key=lambda k: (order.index(k[0]), k[1])))
    return {"quarter": counts.sort_index(), "planning_area": by_area, "city": city}
