"""Folium maps of indicator results (no Streamlit here).

The choropleth colours the quarters by the classes of :mod:`sqe_geo.outputs.classify` (darker
always means more need). Values withheld by disclosure control are hatched, missing values
grey, not-computed values grey with their reason; the legend explains each. The quarters as
data are :mod:`sqe_geo.outputs.map_data`, the legend :mod:`sqe_geo.outputs.map_legend`, the
service points :mod:`sqe_geo.outputs.map_services`, the map furniture
:mod:`sqe_geo.outputs.map_elements`. Static SVG maps are in :mod:`sqe_geo.outputs.svg_maps`.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqe_geo._errors import missing_extra
from sqe_geo.i18n.messages import text

try:  # the core install (pip install sqe-geo) has no map libraries: sqe-geo[app] does
    import folium
except ImportError as exc:
    raise missing_extra(exc.name) from None

from sqe_geo.outputs.classify import (
    AREA_OUTLINE_COLOR,
    MISSING_COLOR,
    NOT_COMPUTED_COLOR,
    OUTLINE_COLOR,
    classify,
)
from sqe_geo.outputs.map_data import distance_method, quarter_layer, to_web
from sqe_geo.outputs.map_elements import HatchPattern, LegendLayer, MapTitle, MetricScale
from sqe_geo.outputs.map_legend import LegendMarks, legend_html
from sqe_geo.outputs.map_services import add_service_layers
from sqe_geo.stats.status import APPROXIMATION, NOT_COMPUTED_REASONS

if TYPE_CHECKING:
    from sqe_geo.results import Results

#: Vendored Leaflet (BSD-2), embedded so maps work without a CDN (intranet, offline).
LEAFLET_DIR = Path(__file__).resolve().parent / "static" / "leaflet"
#: Fill of withheld quarters: an SVG pattern that :class:`HatchPattern` defines.
HATCH_FILL = "url(#sqe-hatch)"


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@functools.cache
def _leaflet_assets() -> tuple[str, str] | None:
    """(JS, CSS) of the vendored Leaflet as data: URLs (images inlined), None if absent."""
    js, css = LEAFLET_DIR / "leaflet.js", LEAFLET_DIR / "leaflet.css"
    if not (js.is_file() and css.is_file()):
        return None
    style = css.read_text(encoding="utf-8")
    for image in sorted((LEAFLET_DIR / "images").glob("*.png")):
        style = style.replace(
            f"url(images/{image.name})", f"url({_data_url('image/png', image.read_bytes())})"
        )
    return (
        _data_url("text/javascript", js.read_bytes()),
        _data_url("text/css", style.encode("utf-8")),
    )


def use_local_assets(fmap: folium.Map) -> bool:
    """Load Leaflet from the vendored copy instead of CDNs; drop unused libraries.

    Folium's default page pulls Leaflet, jQuery, Bootstrap and icon fonts from CDNs; the
    choropleth needs only Leaflet. Returns False (CDN kept) when the copy is missing.
    """
    assets = _leaflet_assets()
    if assets is None:
        return False
    fmap.default_js = [("leaflet", assets[0])]
    fmap.default_css = [("leaflet_css", assets[1])]
    return True


def map_title(results: Results, indicator_id: str, year: int, language: str = "de") -> str:
    """Title of an exported map: indicator, year, study and the demo/schematic flags."""
    ind = results.catalog[indicator_id]
    config = results.study.config
    parts = [f"{ind.label(language)} ({year})"]
    if config.title:
        parts.append(config.title)
    if config.demo:
        parts.append(text("outputs.map.demo", language))
    if config.schematic_boundaries:
        parts.append(text("outputs.map.schematic", language))
    return " · ".join(parts)


#: Panes above the quarters: planning-area outlines, then service points.
AREAS_PANE, SERVICES_PANE = "sqe_areas", "sqe_services"


def choropleth_base(
    results: Results,
    *,
    language: str = "de",
    services: bool = True,
    tiles: str | None = "OpenStreetMap",
    height: str | int = "100%",
    local_assets: bool = True,
    title: str | None = None,
) -> folium.Map:
    """The parts of the choropleth that do not depend on indicator or year.

    Tiles, view on the study area, planning-area outlines (in a pane above the quarters),
    the toggleable service layers (in a pane above the outlines), scale bar, the hatch
    pattern, an optional title and the layer control. :func:`choropleth_layers` adds the
    quarters and the legend.
    """
    minx, miny, maxx, maxy = to_web(results.study.quarters[["geometry"]]).total_bounds
    fmap = folium.Map(
        tiles=tiles, control_scale=False, height=height, zoom_snap=0.25, zoom_delta=0.5
    )
    if local_assets:
        use_local_assets(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.map.CustomPane(AREAS_PANE, z_index=450, pointer_events=False).add_to(fmap)
    folium.map.CustomPane(SERVICES_PANE, z_index=460, pointer_events=True).add_to(fmap)
    year = results.years[-1]  # the outlines are the same in every year
    areas = to_web(results.planning_areas_geo(year)[["unit_id", "geometry"]])
    folium.GeoJson(
        areas.to_json(),
        name=text("outputs.map.areas", language),
        style_function=lambda _f: {
            "color": AREA_OUTLINE_COLOR,
            "weight": 2.5,
            "fill": False,
            "fillOpacity": 0,
        },
        interactive=False,
        pane=AREAS_PANE,
    ).add_to(fmap)
    if services:
        add_service_layers(fmap, results, language, pane=SERVICES_PANE)
    HatchPattern().add_to(fmap)
    MetricScale().add_to(fmap)
    if title:
        MapTitle(title).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


def choropleth_layers(
    results: Results,
    indicator_id: str,
    year: int,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    language: str = "de",
    highlight: str | None = None,
) -> folium.FeatureGroup:
    """The classified quarters (tooltip, hatched when withheld, grey when missing) and the
    legend of one indicator and year, as one feature group (see :func:`choropleth`)."""
    ind = results.catalog[indicator_id]
    layer = quarter_layer(results, indicator_id, year, language)
    classification = classify(
        layer.set_index("unit_id")["value"], scheme, k, direction=ind.direction
    )
    fills = {uid: classification.color_of(uid) or MISSING_COLOR for uid in layer["unit_id"]}
    suppressed_ids = set(layer.loc[layer["suppressed"], "unit_id"])
    failed = layer["status"].isin(NOT_COMPUTED_REASONS)
    for uid in layer.loc[failed, "unit_id"]:
        fills[uid] = NOT_COMPUTED_COLOR
    approximate_ids = set(layer.loc[layer["status"] == APPROXIMATION, "unit_id"])

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        uid = feature["properties"]["unit_id"]
        base: dict[str, Any] = {
            "color": OUTLINE_COLOR,
            "weight": 3.5 if uid == highlight else 0.8,
            "fillOpacity": 0.8,
            "fillColor": fills.get(uid, MISSING_COLOR),
        }
        if uid == highlight:
            base["color"] = "#0055ff"
        if uid in suppressed_ids and fills.get(uid) != NOT_COMPUTED_COLOR:
            base["fillColor"] = HATCH_FILL
            base["fillOpacity"] = 1.0
        if uid in approximate_ids:
            base["dashArray"] = "6 4"
            base["weight"] = max(base["weight"], 2.0)
        return base

    data = layer[["unit_id", "name", "planning_area", "value_text", "rank_text", "geometry"]]
    name = text("outputs.map.quarters", language)
    group = folium.FeatureGroup(name=name, overlay=True, control=False)
    folium.GeoJson(
        data.to_json(),
        name=name,
        style_function=style,
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "planning_area", "value_text", "rank_text"],
            aliases=[
                text("outputs.map.quarter", language),
                text("outputs.map.planning_area", language),
                ind.label(language),
                text("outputs.map.rank", language),
            ],
            sticky=True,
        ),
    ).add_to(group)
    LegendLayer(
        legend_html(
            ind,
            classification,
            language,
            year=year,
            marks=LegendMarks(
                suppressed=bool(suppressed_ids - set(layer.loc[failed, "unit_id"])),
                missing=bool((layer["value"].isna() & ~layer["suppressed"] & ~failed).any()),
                not_computed=tuple(sorted(set(layer.loc[failed, "status"]))),
                approximation=bool(approximate_ids),
                method=distance_method(results) if ind.theme == "accessibility" else "",
            ),
        )
    ).add_to(group)
    return group


@dataclass(frozen=True)
class BaseMap:
    """The parts of a choropleth besides the quarters (see :func:`choropleth_base`).

    Attributes
    ----------
    services
        Add the service layers (hidden by default, switch them on in the layer control).
    tiles
        Base map tiles (None for none, e.g. offline).
    height
        Height of the map (CSS).
    local_assets
        Embed the vendored Leaflet instead of loading it from CDNs (see
        :func:`use_local_assets`).
    title
        A title box at the top (for standalone maps; see :func:`map_title`).
    """

    services: bool = True
    tiles: str | None = "OpenStreetMap"
    height: str | int = "100%"
    local_assets: bool = True
    title: str | None = None


def choropleth(
    results: Results,
    indicator_id: str,
    year: int,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    language: str = "de",
    highlight: str | None = None,
    base: BaseMap | None = None,
) -> folium.Map:
    """A folium choropleth of the quarters for one indicator and year.

    Layers: the classified quarters (hatched when withheld, grey when missing) with a
    tooltip (name, planning area, value, rank); planning-area outlines; one toggleable
    layer of service points per category; a layer control and a legend. It is
    :func:`choropleth_base` with :func:`choropleth_layers` added (the app keeps the base
    and swaps the layers).

    Parameters
    ----------
    results
        :class:`sqe_geo.pipeline.Results`.
    indicator_id, year
        What to map.
    scheme, k
        Classification (see :func:`classify`).
    language
        ``"de"`` or ``"en"``.
    highlight
        A quarter id drawn with a thick outline.
    base
        Services, tiles, height, local assets and title of the map (see :class:`BaseMap`).
    """
    base = base or BaseMap()
    fmap = choropleth_base(
        results,
        language=language,
        services=base.services,
        tiles=base.tiles,
        height=base.height,
        local_assets=base.local_assets,
        title=base.title,
    )
    choropleth_layers(
        results, indicator_id, year, scheme=scheme, k=k, language=language, highlight=highlight
    ).add_to(fmap)
    return fmap


def map_html(fmap: folium.Map) -> bytes:
    """A folium map as a standalone HTML document (UTF-8 bytes)."""
    return fmap.get_root().render().encode("utf-8")
