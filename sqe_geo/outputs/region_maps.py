"""A folium map of planning areas (current or proposed), one colour per area.

The areas come from :func:`sqe_geo.regions_compare.compare_areas` (dissolved quarters, counts
already disclosed); the app shows the current areas and a proposal side by side.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from sqe_geo._errors import missing_extra
from sqe_geo.catchments import count_text
from sqe_geo.i18n.formatting import format_number
from sqe_geo.i18n.messages import text
from sqe_geo.outputs.map_data import to_web

try:  # the core install has no map libraries: sqe-geo[app] does
    import folium
except ImportError as exc:
    raise missing_extra(exc.name) from None

__all__ = ["AREA_COLORS", "areas_map"]

#: Qualitative colours of the areas (ColorBrewer Set2, then Pastel1), repeated beyond 16.
AREA_COLORS = (
    "#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494", "#b3b3b3",
    "#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc", "#e5d8bd", "#fddaec",
)  # fmt: skip


def areas_map(geometry: gpd.GeoDataFrame, areas: pd.DataFrame, language: str = "de") -> folium.Map:
    """The areas of one division on a map, with name, quarters and need as tooltip.

    Parameters
    ----------
    geometry
        ``planning_area`` and polygons (any CRS).
    areas
        The comparison rows of the same division (``planning_area``, ``quarters``,
        ``need``, ``polsby_popper``).
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    folium.Map
    """
    web = to_web(geometry).merge(areas, on="planning_area", how="left")
    xmin, ymin, xmax, ymax = web.total_bounds
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
    fmap.fit_bounds([[ymin, xmin], [ymax, xmax]])
    for n, (_, area) in enumerate(web.iterrows()):
        color = AREA_COLORS[n % len(AREA_COLORS)]
        tip = text(
            "regions.map_tooltip",
            language,
            area=area["planning_area"],
            quarters=int(area["quarters"]),
            need=count_text(area["need"], language),
            pp=format_number(area["polsby_popper"], 2, language),
        )
        folium.GeoJson(
            area.geometry.__geo_interface__,
            style_function=lambda _f, c=color: {
                "fillColor": c,
                "color": "#333333",
                "weight": 1.5,
                "fillOpacity": 0.6,
            },
            tooltip=tip,
        ).add_to(fmap)
    return fmap
