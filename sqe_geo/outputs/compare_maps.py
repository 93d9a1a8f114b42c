"""Small multiple maps of the planning-area comparison, and the page to download them.

One small SVG map per indicator: the planning areas in three equal-interval classes (darker
= more need), withheld values hatched, a tooltip per area and a caption with the city's
value. :func:`small_maps_html` puts them on one self-contained HTML page (template
``small_maps.html.j2``, autoescaped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import pandas as pd
from markupsafe import Markup

from sqe_geo.i18n.formatting import format_number
from sqe_geo.i18n.messages import text
from sqe_geo.outputs.classify import classify
from sqe_geo.outputs.compare import Comparison
from sqe_geo.outputs.svg_maps import svg_map
from sqe_geo.outputs.templating import render
from sqe_geo.stats.aggregate import CITY_ID

if TYPE_CHECKING:
    import geopandas as gpd

    from sqe_geo.results import Results


@dataclass(frozen=True)
class SmallMap:
    """One indicator's small map.

    Attributes
    ----------
    indicator_id
        The indicator.
    svg
        The map as an inline ``<svg>`` element.
    caption
        Label and the city's value, e.g. "Anteil 65+ – Stadt: 21,9 %".
    """

    indicator_id: str
    svg: str
    caption: str


def small_map(
    results: Results,
    comp: Comparison,
    indicator_id: str,
    language: str = "de",
    *,
    areas: gpd.GeoDataFrame | None = None,
) -> SmallMap:
    """The small map of one indicator of a comparison.

    Parameters
    ----------
    results
        :class:`sqe_geo.pipeline.Results`.
    comp
        The comparison (:func:`sqe_geo.outputs.compare.comparison`).
    indicator_id
        The indicator.
    language
        ``"de"`` or ``"en"``.
    areas
        The planning areas of the comparison's year (looked up when None).

    Returns
    -------
    SmallMap
        SVG and caption.
    """
    ind = results.catalog[indicator_id]
    if areas is None:
        areas = results.planning_areas_geo(comp.year)
    values = cast("pd.Series[float]", comp.values.loc[indicator_id, comp.areas])
    cls = classify(values, "equal_interval", 3, direction=ind.direction)
    fills = {a: color for a in comp.areas if (color := cls.color_of(a))}
    hatched = {a for a in comp.areas if comp.suppressed.loc[indicator_id, a]}
    unit = ind.unit(language)
    tips = {
        a: text(
            "outputs.compare.tip",
            language,
            area=a,
            value=format_number(values[a], ind.decimals, language),
            unit=unit,
        )
        for a in comp.areas
    }
    svg = svg_map(areas, fills, width=260, title=ind.label(language), labels=tips, hatched=hatched)
    city = format_number(comp.values.loc[indicator_id, CITY_ID], ind.decimals, language)
    caption = text(
        "outputs.compare.caption", language, label=ind.label(language), value=city, unit=unit
    )
    return SmallMap(indicator_id, svg, caption)


def small_maps_html(maps: Sequence[SmallMap], year: int, language: str = "de") -> str:
    """The small maps on one self-contained HTML page (for download).

    Parameters
    ----------
    maps
        The maps (:func:`small_map`), in page order.
    year
        The year of the comparison (in the page title).
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    str
        The HTML document.
    """
    title = f"{text('outputs.compare.small_multiples', language)} {year}"
    return render(
        "small_maps.html.j2",
        language=language,
        title=title,
        maps=[{"svg": Markup(m.svg), "caption": m.caption} for m in maps],
    )
