"""A folium map of walking catchments: the bands around a facility, largest first.

The bands come from :func:`sqe_geo.catchments.study_catchments` (residents already
disclosed); darker means fewer minutes on foot. :func:`catchment_table` gives the same
figures as a table for the app and for reports.
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

__all__ = ["BAND_COLORS", "catchment_map", "catchment_table"]

#: Fill colours from the shortest to the longest band (ColorBrewer Purples, dark to light).
BAND_COLORS = ("#54278f", "#756bb1", "#9e9ac8", "#cbc9e2", "#f2f0f7")
_COUNTED = (
    ("residents_total", "total"),
    ("residents_older", "older"),
    ("residents_oldest_old", "oldest_old"),
)


def _style(color: str) -> dict[str, object]:
    return {"fillColor": color, "color": color, "weight": 1, "fillOpacity": 0.45}


def catchment_table(bands: gpd.GeoDataFrame, language: str = "de") -> pd.DataFrame:
    """The bands as a table: minutes, walking distance and the residents inside.

    Parameters
    ----------
    bands
        The catchments (:func:`sqe_geo.catchments.study_catchments`).
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        One row per band, labelled columns, numbers formatted ("fewer than 10" where a
        count is not given).
    """
    rows = []
    for _, band in bands.iterrows():
        row = {
            text("outputs.catchment.minutes", language): format_number(
                band["minutes"], 0, language
            ),
            text("outputs.catchment.distance", language): format_number(
                band["distance_m"], 0, language
            ),
        }
        for column, group in _COUNTED:
            row[text(f"outputs.catchment.{group}", language)] = count_text(band[column], language)
        rows.append(row)
    return pd.DataFrame(rows)


def catchment_map(
    bands: gpd.GeoDataFrame, point: tuple[float, float], name: str, language: str = "de"
) -> folium.Map:
    """The bands on a map with the facility as a marker.

    Parameters
    ----------
    bands
        The catchments (analysis CRS).
    point
        The facility's ``(x, y)`` in the bands' CRS.
    name
        The facility's name (marker tooltip).
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    folium.Map
    """
    web = to_web(bands)
    xmin, ymin, xmax, ymax = web.total_bounds
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
    fmap.fit_bounds([[ymin, xmin], [ymax, xmax]])
    order = web.sort_values("minutes", ascending=False)
    for rank, (_, band) in enumerate(order.iterrows()):
        color = BAND_COLORS[min(len(order) - 1 - rank, len(BAND_COLORS) - 1)]
        counts = {group: count_text(band[column], language) for column, group in _COUNTED}
        tip = text(
            "outputs.catchment.tooltip",
            language,
            minutes=format_number(band["minutes"], 0, language),
            metres=format_number(band["distance_m"], 0, language),
            **counts,
        )
        folium.GeoJson(
            band.geometry.__geo_interface__,
            name=text(
                "outputs.catchment.layer",
                language,
                minutes=format_number(band["minutes"], 0, language),
            ),
            style_function=lambda _f, c=color: _style(c),
            tooltip=tip,
        ).add_to(fmap)
    site = gpd.GeoSeries(gpd.points_from_xy([point[0]], [point[1]]), crs=bands.crs)
    lon, lat = site.to_crs(4326).iloc[0].coords[0]
    folium.Marker([lat, lon], tooltip=name).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap
