"""Folium maps of indicator results (no Streamlit here).

The choropleth colours the quarters by the classes of :mod:`sqe_geo.outputs.classify` (darker
always means more need). Values withheld by disclosure control are hatched, missing values
grey, not-computed values grey with their reason; the legend explains each. Static SVG maps
are in :mod:`sqe_geo.outputs.svg_maps`.
"""

from __future__ import annotations

import base64
import functools
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo._errors import missing_extra
from sqe_geo.i18n.formatting import format_number

try:  # the core install (pip install sqe-geo) has no map libraries: sqe-geo[app] does
    import folium

    # branca re-exports jinja2's Template without listing it in __all__
    from branca.element import MacroElement, Template  # type: ignore[attr-defined]
except ImportError as exc:
    raise missing_extra(exc.name) from None

from sqe_geo.outputs.classify import (
    AREA_OUTLINE_COLOR,
    MISSING_COLOR,
    NOT_COMPUTED_COLOR,
    OUTLINE_COLOR,
    SUPPRESSED_COLOR,
    Classification,
    classify,
    ranks,
)
from sqe_geo.stats.indicators import Indicator
from sqe_geo.stats.status import (
    APPROXIMATION,
    BASE_YEAR,
    NOT_COMPUTED_MARK,
    NOT_COMPUTED_REASONS,
    NOT_MEANINGFUL_MARK,
    PARTIAL,
    status_label,
)

if TYPE_CHECKING:
    from sqe_geo.results import Results

#: Marker colours of service categories (cycled for unknown categories).
SERVICE_COLORS = {
    # chosen to stand out on the orange-red and blue ramps of the choropleth
    "food": "#1b9e77",
    "pharmacy": "#7570b3",
    "gp": "#1f78b4",
    "transit_stop": "#252525",
    "meeting_place": "#e7298a",
    "care_home": "#66a61e",
    "bench": "#737373",
}
_EXTRA_COLORS = ["#17becf", "#bcbd22", "#e377c2", "#393b79", "#637939"]

TEXT: dict[str, dict[str, str]] = {
    "de": {
        "quarter": "Quartier",
        "planning_area": "Planungsraum",
        "value": "Wert",
        "rank": "Rang",
        "rank_of": "{rank} von {n} (1 = höchster Wert)",
        "suppressed": "zurückgehalten (Geheimhaltung)",
        "missing": "keine Daten",
        "areas": "Planungsräume (Grenzen)",
        "quarters": "Quartiere",
        "services": "Einrichtungen",
        "darker": "dunkler = mehr Handlungsbedarf",
        "darker_neutral": "dunkler = höherer Wert (keine Wertung)",
        "services_layer": "Einrichtungen: {label}",
        "method": "Entfernungen: {method}",
    },
    "en": {
        "quarter": "Quarter",
        "planning_area": "Planning area",
        "value": "Value",
        "rank": "Rank",
        "rank_of": "{rank} of {n} (1 = highest value)",
        "suppressed": "withheld (confidentiality)",
        "missing": "no data",
        "areas": "Planning areas (outlines)",
        "quarters": "Quarters",
        "services": "Services",
        "darker": "darker = more need",
        "darker_neutral": "darker = higher value (no judgement)",
        "services_layer": "Services: {label}",
        "method": "Distances: {method}",
    },
}


def to_web(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(4326) if frame.crs is not None and frame.crs.to_epsg() != 4326 else frame


def points_geojson(frame: gpd.GeoDataFrame, columns: list[str], digits: int = 6) -> dict[str, Any]:
    """Points as a GeoJSON FeatureCollection with the given property columns.

    Coordinates are rounded to ``digits`` decimals (6 decimals of a degree ≈ 0.1 m), which
    keeps maps with thousands of points small; faster than ``GeoDataFrame.to_json``.
    """
    web = to_web(frame)
    xs = np.round(shapely.get_x(web.geometry.values), digits).tolist()
    ys = np.round(shapely.get_y(web.geometry.values), digits).tolist()
    records = web[columns].to_dict("records") if columns else [{}] * len(web)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [x, y]},
            }
            for props, x, y in zip(records, xs, ys, strict=True)
        ],
    }


def value_text(
    value: object,
    ind: Indicator,
    language: str = "de",
    *,
    withheld: bool = False,
    status: str = "",
    marks: bool = False,
) -> str:
    """One value as the app and the maps show it, with the reason where it has none.

    A not-computed value shows "nicht berechnet (Grund)" (with ``marks``: "n. b."), a
    withheld one "zurückgehalten" (``marks``: "."); it has no number either way, and the
    not-computed reason wins. Partial and approximate values get their note appended.
    """
    text = TEXT.get(language, TEXT["en"])
    if status == BASE_YEAR:  # a change has nothing to compare with in its base year
        return NOT_MEANINGFUL_MARK if marks else status_label(status, language)
    if status in NOT_COMPUTED_REASONS:
        if marks:
            return NOT_COMPUTED_MARK.get(language, NOT_COMPUTED_MARK["en"])
        return status_label(status, language)
    if withheld:
        return "." if marks else text["suppressed"]
    number = format_number(value, ind.decimals, language)
    if not number:
        return "–" if marks else text["missing"]
    out = f"{number} {ind.unit(language)}".strip()
    if status in (PARTIAL, APPROXIMATION) and not marks:
        out += f" ({status_label(status, language)})"
    return out


def distance_method(results: Results) -> str:
    """The distance method of a run ("Luftlinie × Umwegfaktor (1,3)"), "" without one."""
    return str(getattr(results, "parameters", {}).get("distance method", ""))


def quarter_layer(
    results: Results, indicator_id: str, year: int, language: str = "de"
) -> gpd.GeoDataFrame:
    """Quarters in EPSG:4326 with the display columns of the map.

    Columns: ``unit_id``, ``name``, ``planning_area``, ``value`` (float), ``suppressed``
    (bool), ``status`` (reason code, ``""`` computed; see :mod:`sqe_geo.stats.status`),
    ``value_text`` (formatted with unit, or the reason it is empty), ``rank_text``.
    """
    ind: Indicator = results.catalog[indicator_id]
    geo = results.quarters_geo(year)
    mask = results.suppressed["quarter"]
    withheld = (
        mask[indicator_id].xs(year, level="year")
        if indicator_id in mask.columns
        else pd.Series(False, index=geo["unit_id"])
    )
    text = TEXT[language]
    out = gpd.GeoDataFrame(
        {
            "unit_id": geo["unit_id"].astype(str),
            "name": geo["name"].astype(str),
            "planning_area": geo["planning_area"].astype(str),
            "value": pd.to_numeric(geo[indicator_id], errors="coerce").astype(float)
            if indicator_id in geo.columns
            else np.nan,
        },
        geometry=geo.geometry.values,
        crs=geo.crs,
    )
    out["suppressed"] = out["unit_id"].map(withheld.to_dict()).fillna(False).astype(bool)
    status = results.status_of("quarter") if hasattr(results, "status_of") else None
    if status is not None and indicator_id in status.columns:
        codes = status[indicator_id].xs(year, level="year")
        codes.index = codes.index.astype(str)
        out["status"] = out["unit_id"].map(codes.to_dict()).fillna("").astype(str)
    else:
        out["status"] = ""
    out.loc[out["suppressed"] | out["status"].isin(NOT_COMPUTED_REASONS), "value"] = np.nan
    rank = ranks(out["value"])
    n = int(out["value"].notna().sum())
    out["value_text"] = [
        value_text(r.value, ind, language, withheld=r.suppressed, status=r.status)
        for r in out.itertuples()
    ]
    out["rank_text"] = [
        "–" if pd.isna(r) else text["rank_of"].format(rank=int(r), n=n) for r in rank
    ]
    return to_web(out)


_LEGEND_TEMPLATE = """
{% macro html(this, kwargs) %}
<div class="sqe-legend" style="position: absolute; z-index: 9999; bottom: 24px; left: 12px;
     background: rgba(255,255,255,0.93); padding: 8px 10px; border: 1px solid #999;
     border-radius: 4px; font: 12px/1.35 system-ui, sans-serif; max-width: 260px;">
{{ this.body }}
</div>
{% endmacro %}
"""


class Legend(MacroElement):
    """A static HTML legend in the lower left corner of a folium map."""

    def __init__(self, body: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: __init__ unannotated
        self._name = "SqeLegend"
        self.body = body
        self._template = Template(_LEGEND_TEMPLATE)


_HATCH_CSS = "background: repeating-linear-gradient(45deg, {c} 0 2px, #ffffff 2px 5px);"


def legend_html(
    ind: Indicator,
    classification: Classification,
    language: str = "de",
    *,
    year: int | None = None,
    has_suppressed: bool = True,
    has_missing: bool = True,
    not_computed: tuple[str, ...] | list[str] = (),
    has_approximation: bool = False,
    method: str = "",
) -> str:
    """The legend body: title with unit, one swatch per class, withheld and missing.

    ``not_computed`` lists the reasons of quarters without a value (one grey swatch each,
    "nicht berechnet (Grund)"); ``has_approximation`` adds the dashed outline of
    approximate values; ``method`` names how distances were measured (e.g. straight line
    × detour factor).
    """
    text = TEXT[language]
    unit = ind.unit(language)
    title = html.escape(ind.label(language))
    if year is not None:
        title += f" ({year})"
    rows = [f"<div style='font-weight:600;margin-bottom:2px'>{title}</div>"]
    if unit:
        rows.append(f"<div style='color:#444;margin-bottom:4px'>{html.escape(unit)}</div>")
    swatch = (
        "<span style='display:inline-block;width:18px;height:12px;margin-right:6px;"
        "vertical-align:middle;border:1px solid #777;{style}'></span>"
    )
    for color, label in zip(
        classification.colors,
        classification.legend_labels(ind.decimals, language),
        strict=True,
    ):
        rows.append(
            "<div class='sqe-legend-class'>"
            + swatch.format(style=f"background:{color}")
            + html.escape(label)
            + "</div>"
        )
    if has_suppressed:
        rows.append(
            "<div class='sqe-legend-suppressed'>"
            + swatch.format(style=_HATCH_CSS.format(c=SUPPRESSED_COLOR))
            + html.escape(text["suppressed"])
            + "</div>"
        )
    for reason in not_computed:
        rows.append(
            "<div class='sqe-legend-not-computed'>"
            + swatch.format(style=f"background:{NOT_COMPUTED_COLOR}")
            + html.escape(status_label(reason, language))
            + "</div>"
        )
    if has_approximation:
        rows.append(
            "<div class='sqe-legend-approximation'>"
            + swatch.format(style="background:#ffffff;border:2px dashed #333")
            + html.escape(status_label(APPROXIMATION, language))
            + "</div>"
        )
    if has_missing:
        rows.append(
            "<div class='sqe-legend-missing'>"
            + swatch.format(style=f"background:{MISSING_COLOR}")
            + html.escape(text["missing"])
            + "</div>"
        )
    if method:
        rows.append(
            "<div class='sqe-legend-method' style='color:#555;margin-top:4px'>"
            + html.escape(text["method"].format(method=method))
            + "</div>"
        )
    hint = text["darker_neutral"] if ind.direction == "neutral" else text["darker"]
    rows.append(f"<div style='color:#555;margin-top:4px;font-style:italic'>{hint}</div>")
    return "\n".join(rows)


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
    text = css.read_text(encoding="utf-8")
    for image in sorted((LEAFLET_DIR / "images").glob("*.png")):
        text = text.replace(
            f"url(images/{image.name})", f"url({_data_url('image/png', image.read_bytes())})"
        )
    return (
        _data_url("text/javascript", js.read_bytes()),
        _data_url("text/css", text.encode("utf-8")),
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


_HATCH_TEMPLATE = """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    function addPattern() {
        var svg = map.getPanes().overlayPane.querySelector("svg");
        if (!svg || svg.querySelector("#sqe-hatch")) { return; }
        var ns = "http://www.w3.org/2000/svg";
        var defs = document.createElementNS(ns, "defs");
        var pattern = document.createElementNS(ns, "pattern");
        pattern.setAttribute("id", "sqe-hatch");
        pattern.setAttribute("width", "8");
        pattern.setAttribute("height", "8");
        pattern.setAttribute("patternUnits", "userSpaceOnUse");
        pattern.setAttribute("patternTransform", "rotate(45)");
        var back = document.createElementNS(ns, "rect");
        back.setAttribute("width", "8"); back.setAttribute("height", "8");
        back.setAttribute("fill", "#ffffff");
        var stripe = document.createElementNS(ns, "rect");
        stripe.setAttribute("width", "3"); stripe.setAttribute("height", "8");
        stripe.setAttribute("fill", "{{ this.color }}");
        pattern.appendChild(back); pattern.appendChild(stripe);
        defs.appendChild(pattern);
        svg.insertBefore(defs, svg.firstChild);
    }
    addPattern();
    map.on("layeradd zoomend", addPattern);
})();
{% endmacro %}
"""


_TITLE_TEMPLATE = """
{% macro html(this, kwargs) %}
<div class="sqe-title" style="position: absolute; z-index: 9999; top: 10px; left: 60px;
     right: 60px; text-align: center; pointer-events: none;">
<span style="background: rgba(255,255,255,0.93); padding: 5px 10px; border: 1px solid #999;
     border-radius: 4px; font: 600 14px/1.35 system-ui, sans-serif;">{{ this.text }}</span>
</div>
{% endmacro %}
"""


class MapTitle(MacroElement):
    """A title box at the top of a standalone map."""

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: __init__ unannotated
        self._name = "SqeTitle"
        self.text = html.escape(text)
        self._template = Template(_TITLE_TEMPLATE)


def map_title(results: Results, indicator_id: str, year: int, language: str = "de") -> str:
    """Title of an exported map: indicator, year, study and the demo/schematic flags."""
    ind = results.catalog[indicator_id]
    config = results.study.config
    parts = [f"{ind.label(language)} ({year})"]
    if config.title:
        parts.append(config.title)
    if config.demo:
        parts.append("Demo-Daten" if language == "de" else "demo data")
    if config.schematic_boundaries:
        parts.append("schematische Grenzen" if language == "de" else "schematic boundaries")
    return " · ".join(parts)


class MetricScale(MacroElement):
    """A metric-only scale bar in the lower right corner."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false, position: 'bottomright'})"
        ".addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: __init__ unannotated
        self._name = "MetricScale"


class HatchPattern(MacroElement):
    """Defines the SVG hatch ``url(#sqe-hatch)`` in a map's vector layer (no plugin)."""

    def __init__(self, color: str = SUPPRESSED_COLOR) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: __init__ unannotated
        self._name = "SqeHatch"
        self.color = color
        self._template = Template(_HATCH_TEMPLATE)


def service_color(category: str, index: int) -> str:
    return SERVICE_COLORS.get(category, _EXTRA_COLORS[index % len(_EXTRA_COLORS)])


_LEGEND_LAYER_TEMPLATE = """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.layerGroup();
(function (layer) {
    var control = L.control({position: "bottomleft"});
    control.onAdd = function () {
        var div = L.DomUtil.create("div", "sqe-legend");
        div.style.cssText = {{ this.style_js }};
        div.innerHTML = {{ this.body_js }};
        return div;
    };
    layer.onAdd = function (map) { control.addTo(map); return this; };
    layer.onRemove = function (map) { control.remove(); return this; };
})({{ this.get_name() }});
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
_LEGEND_STYLE = (
    "background: rgba(255,255,255,0.93); padding: 8px 10px; border: 1px solid #999; "
    "border-radius: 4px; font: 12px/1.35 system-ui, sans-serif; max-width: 260px;"
)


def _js_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("</", "<\\/")


class LegendLayer(MacroElement):
    """A legend that comes and goes with the layer group it belongs to.

    Unlike :class:`Legend` it can live in a feature group that the app swaps on an
    existing map (a new indicator without reloading the map).
    """

    def __init__(self, body: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: __init__ unannotated
        self._name = "SqeLegendLayer"
        self.body_js = _js_string(body)
        self.style_js = _js_string(_LEGEND_STYLE)
        self._template = Template(_LEGEND_LAYER_TEMPLATE)


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
    text = TEXT[language]
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
        name=text["areas"],
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
    text = TEXT[language]
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
    group = folium.FeatureGroup(name=text["quarters"], overlay=True, control=False)
    folium.GeoJson(
        data.to_json(),
        name=text["quarters"],
        style_function=style,
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "planning_area", "value_text", "rank_text"],
            aliases=[
                text["quarter"],
                text["planning_area"],
                ind.label(language),
                text["rank"],
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
            has_suppressed=bool(suppressed_ids - set(layer.loc[failed, "unit_id"])),
            has_missing=bool((layer["value"].isna() & ~layer["suppressed"] & ~failed).any()),
            not_computed=sorted(set(layer.loc[failed, "status"])),
            has_approximation=bool(approximate_ids),
            method=distance_method(results) if ind.theme == "accessibility" else "",
        )
    ).add_to(group)
    return group


def choropleth(
    results: Results,
    indicator_id: str,
    year: int,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    language: str = "de",
    services: bool = True,
    highlight: str | None = None,
    tiles: str | None = "OpenStreetMap",
    height: str | int = "100%",
    local_assets: bool = True,
    title: str | None = None,
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
    services
        Add the service layers (hidden by default, switch them on in the layer control).
    highlight
        A quarter id drawn with a thick outline.
    tiles
        Base map tiles (None for none, e.g. offline).
    local_assets
        Embed the vendored Leaflet instead of loading it from CDNs (see
        :func:`use_local_assets`).
    title
        A title box at the top (for standalone maps; see :func:`map_title`).
    """
    fmap = choropleth_base(
        results,
        language=language,
        services=services,
        tiles=tiles,
        height=height,
        local_assets=local_assets,
        title=title,
    )
    choropleth_layers(
        results, indicator_id, year, scheme=scheme, k=k, language=language, highlight=highlight
    ).add_to(fmap)
    return fmap


def add_service_layers(
    fmap: folium.Map, results: Results, language: str = "de", *, pane: str | None = None
) -> list[str]:
    """Add one hidden, toggleable layer of points per service category; return their names.

    ``pane``: a map pane for the points (e.g. above the quarters of a swapped layer).
    """
    study = results.study
    if study.services is None or len(study.services) == 0:
        return []
    text = TEXT[language]
    categories = study.config.services.categories if study.config.services else {}
    points = to_web(study.services)
    names = []
    for i, (key, sub) in enumerate(points.groupby("category", sort=False)):
        cat = categories.get(key)
        label = (cat.label_en if language == "en" else cat.label_de) if cat else str(key)
        color = service_color(str(key), i)
        name = text["services_layer"].format(label=label)
        group = folium.FeatureGroup(name=name, show=False)
        frame = sub[["name", "geometry"]].copy()
        frame["name"] = frame["name"].astype(str).replace("", label)
        marker = folium.CircleMarker(
            radius=5, weight=1.5, color="#ffffff", fill=True, fill_color=color, fill_opacity=1
        )
        if pane:
            marker.options["pane"] = pane
        folium.GeoJson(
            points_geojson(frame, ["name"]),
            marker=marker,
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(group)
        group.add_to(fmap)
        names.append(name)
    return names


def map_html(fmap: folium.Map) -> bytes:
    """A folium map as a standalone HTML document (UTF-8 bytes)."""
    return fmap.get_root().render().encode("utf-8")
