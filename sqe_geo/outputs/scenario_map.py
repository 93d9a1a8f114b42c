"""Folium maps of the Szenarien page: differences, changed facilities, proposed sites.

:func:`difference_map` colours quarters by the published difference of one indicator
(green where the scenario improves it, red where it worsens, grey where a value is
withheld or not computed), marks the facilities the scenario adds, removes or moves, and
shows the residents' locations whose walking distance class changes — as places only,
never with their residents. :func:`sites_map` shows proposed sites of a location search.
"""

from __future__ import annotations

import math

import geopandas as gpd

from sqe_geo._errors import missing_extra
from sqe_geo.i18n.formatting import format_number
from sqe_geo.i18n.messages import text
from sqe_geo.outputs.map_data import to_web

try:  # the core install has no map libraries: sqe-geo[app] does
    import folium
except ImportError as exc:
    raise missing_extra(exc.name) from None

__all__ = ["ACTION_COLORS", "difference_color", "difference_map", "sites_map"]

#: Better (dark, light), no change, worse (light, dark), no value.
_BETTER = ("#1a9641", "#a6d96a")
_SAME = "#f7f7f7"
_WORSE = ("#fdae61", "#d7191c")
_NO_VALUE = "#bdbdbd"
#: Marker colours of the changes.
ACTION_COLORS = {"add": "#1a9641", "remove": "#d7191c", "move": "#2b83ba"}


def difference_color(difference: float, largest: float, higher_is_better: bool) -> str:
    """Fill colour of one quarter's difference.

    Parameters
    ----------
    difference
        After minus before (NaN: withheld or not computed).
    largest
        The largest absolute difference on the map (the darker class is its upper half).
    higher_is_better
        The indicator's direction.

    Returns
    -------
    str
        A hex colour.

    Examples
    --------
    >>> difference_color(2.0, 4.0, True), difference_color(-3.0, 4.0, True)
    ('#a6d96a', '#d7191c')
    """
    if difference is None or not math.isfinite(difference):
        return _NO_VALUE
    if difference == 0 or largest <= 0:
        return _SAME
    gain = difference if higher_is_better else -difference
    dark = abs(difference) > largest / 2
    if gain > 0:
        return _BETTER[0] if dark else _BETTER[1]
    return _WORSE[1] if dark else _WORSE[0]


def _base(frame: gpd.GeoDataFrame) -> folium.Map:
    web = to_web(frame)
    xmin, ymin, xmax, ymax = web.total_bounds
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
    fmap.fit_bounds([[ymin, xmin], [ymax, xmax]])
    return fmap


def difference_map(
    quarters: gpd.GeoDataFrame,
    column: str,
    *,
    decimals: int,
    higher_is_better: bool,
    changes: gpd.GeoDataFrame,
    locations: gpd.GeoDataFrame,
    language: str = "de",
) -> folium.Map:
    """The difference of one indicator per quarter with the scenario's changes.

    Parameters
    ----------
    quarters
        Quarter polygons with ``name`` and the difference column (published values only).
    column
        The indicator id (column of ``quarters``).
    decimals
        Decimals of the indicator.
    higher_is_better
        The indicator's direction.
    changes
        The facilities added, removed or moved (``action``, ``name``).
    locations
        Residents' locations whose distance class changes (``better``), no counts.
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    folium.Map
    """
    fmap = _base(quarters)
    web = to_web(quarters)
    values = web[column].astype(float)
    largest = float(values.abs().max()) if values.notna().any() else 0.0
    layer = folium.FeatureGroup(name=text("outputs.scenario_map.quarters", language))
    for (_, row), value in zip(web.iterrows(), values, strict=True):
        color = difference_color(value, largest, higher_is_better)
        shown = (
            format_number(value, decimals, language)
            if math.isfinite(value)
            else text("outputs.scenario_map.no_value", language)
        )
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, c=color: {
                "fillColor": c,
                "color": "#555555",
                "weight": 1,
                "fillOpacity": 0.6,
            },
            tooltip=f"{row['name']}: {shown}",
        ).add_to(layer)
    layer.add_to(fmap)
    _locations(locations, language).add_to(fmap)
    _changes(changes, language).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


def _locations(locations: gpd.GeoDataFrame, language: str) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=text("outputs.scenario_map.locations", language))
    if locations.empty:
        return group
    web = to_web(locations)
    for _, row in web.iterrows():
        better = bool(row["better"])
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=3,
            color=_BETTER[0] if better else _WORSE[1],
            fill=True,
            fill_opacity=0.8,
            weight=0,
            tooltip=text(
                "outputs.scenario_map.better" if better else "outputs.scenario_map.worse",
                language,
            ),
        ).add_to(group)
    return group


def _changes(changes: gpd.GeoDataFrame, language: str) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=text("outputs.scenario_map.changes", language))
    if changes.empty:
        return group
    web = to_web(changes)
    for _, row in web.iterrows():
        action = str(row["action"])
        label = text(f"scenario.output.action_{action}", language)
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=9,
            color="#222222",
            weight=2,
            fill=True,
            fill_color=ACTION_COLORS.get(action, "#777777"),
            fill_opacity=0.95,
            tooltip=f"{row['name']} ({label})",
        ).add_to(group)
    return group


def sites_map(sites: gpd.GeoDataFrame, area: gpd.GeoDataFrame, language: str = "de") -> folium.Map:
    """Proposed sites of a location search over the searched area.

    Parameters
    ----------
    sites
        The sites (``rank``, ``gain`` disclosed).
    area
        The searched quarters or planning area (polygons), or the whole city.
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    folium.Map
    """
    fmap = _base(area)
    folium.GeoJson(
        to_web(area).geometry.union_all().__geo_interface__,
        style_function=lambda _f: {"fillOpacity": 0.05, "color": "#2b83ba", "weight": 2},
    ).add_to(fmap)
    if not sites.empty:
        for _, row in to_web(sites).iterrows():
            gain = row["gain"]
            shown = (
                format_number(gain, 0, language)
                if isinstance(gain, int | float) and math.isfinite(gain)
                else text("outputs.scenario_map.under_10", language)
            )
            folium.Marker(
                [row.geometry.y, row.geometry.x],
                tooltip=text("outputs.scenario_map.site", language, rank=row["rank"], gain=shown),
                icon=folium.DivIcon(
                    html=f'<div class="sqe-site">{int(row["rank"])}</div>',
                    icon_size=(24, 24),
                    icon_anchor=(12, 12),
                ),
            ).add_to(fmap)
    return fmap
