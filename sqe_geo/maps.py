"""Folium maps and small static SVG maps of indicator results (no Streamlit here).

The choropleth classifies the quarters' values of one indicator with mapclassify
(quantiles, natural breaks after Fisher-Jenks, equal intervals; 3–7 classes) and colours
them so that *darker always means more need*: for ``higher_is_worse`` indicators high
values are dark, for ``higher_is_better`` indicators the ramp is reversed, and ``neutral``
indicators get a separate blue ramp that does not suggest good or bad. Values withheld by
disclosure control are hatched, missing values grey; the legend explains both.

:func:`svg_map` draws polygons as a static inline SVG (small multiples in the app, the
outline map of the printable quarter profile) without tiles or JavaScript.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import math
import warnings
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from sqe_geo._errors import missing_extra
from sqe_geo.formatting import format_number

try:  # the core install (pip install sqe-geo) has no map libraries: sqe-geo[app] does
    import folium
    import mapclassify

    # branca re-exports jinja2's Template without listing it in __all__
    from branca.element import MacroElement, Template  # type: ignore[attr-defined]
except ImportError as exc:
    raise missing_extra(exc.name) from None

from sqe_geo.indicators import Indicator
from sqe_geo.status import (
    APPROXIMATION,
    BASE_YEAR,
    NOT_COMPUTED_MARK,
    NOT_COMPUTED_REASONS,
    NOT_MEANINGFUL_MARK,
    PARTIAL,
    status_label,
)

if TYPE_CHECKING:
    from sqe_geo.pipeline import Results

Scheme = Literal["quantiles", "fisher_jenks", "equal_interval"]

#: Classification schemes: id -> mapclassify class.
SCHEMES: dict[str, type] = {
    "quantiles": mapclassify.Quantiles,
    "fisher_jenks": mapclassify.FisherJenks,
    "equal_interval": mapclassify.EqualInterval,
}
SCHEME_LABELS: dict[str, dict[str, str]] = {
    "de": {
        "quantiles": "Quantile (gleich viele Quartiere je Klasse)",
        "fisher_jenks": "Natürliche Brüche (Fisher-Jenks)",
        "equal_interval": "Gleiche Intervalle",
    },
    "en": {
        "quantiles": "Quantiles (equal count per class)",
        "fisher_jenks": "Natural breaks (Fisher-Jenks)",
        "equal_interval": "Equal intervals",
    },
}
MIN_CLASSES, MAX_CLASSES = 3, 7

# ColorBrewer sequential schemes (light -> dark), cynthiabrewer.org, Apache-2.0.
_ORRD = {
    3: ["#fee8c8", "#fdbb84", "#e34a33"],
    4: ["#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f"],
    5: ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"],
    6: ["#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"],
    7: ["#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000"],
}
_PUBU = {
    3: ["#ece7f2", "#a6bddb", "#2b8cbe"],
    4: ["#f1eef6", "#bdc9e1", "#74a9cf", "#0570b0"],
    5: ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"],
    6: ["#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d"],
    7: ["#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#034e7b"],
}
# Fewer than 3 distinct values: take the light and dark end of the 3-class ramp.
for _ramp in (_ORRD, _PUBU):
    _ramp[1] = [_ramp[3][2]]
    _ramp[2] = [_ramp[3][0], _ramp[3][2]]

#: Fill of quarters without a value (no data) and of withheld values (hatched).
MISSING_COLOR = "#d9d9d9"
SUPPRESSED_COLOR = "#9e9e9e"
#: Fill of quarters whose value could not be computed (a gap in the data; legend gives why).
NOT_COMPUTED_COLOR = "#b0b0b0"
OUTLINE_COLOR = "#555555"
AREA_OUTLINE_COLOR = "#1a1a1a"

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


def palette(direction: str, k: int) -> list[str]:
    """Class colours, one per class from the lowest to the highest value.

    ``higher_is_worse``: light -> dark (dark = high = more need); ``higher_is_better``:
    dark -> light (dark = low = more need); ``neutral``: a blue light -> dark ramp.
    """
    k = int(min(max(k, 1), MAX_CLASSES))
    if direction == "neutral":
        return list(_PUBU[k])
    colors = list(_ORRD[k])
    return colors[::-1] if direction == "higher_is_better" else colors


@dataclass
class Classification:
    """Class limits of one indicator's values and the class of every unit.

    Attributes
    ----------
    scheme
        ``"quantiles"``, ``"fisher_jenks"`` or ``"equal_interval"``.
    k
        Number of classes actually formed (fewer than asked when there are few distinct
        values).
    lower
        The smallest value (lower limit of the first class).
    bins
        Upper limit of every class (mapclassify's ``bins``).
    classes
        Class number (0 … k-1) per unit; ``<NA>`` for missing or withheld values.
    colors
        Fill colour per class.
    """

    scheme: str
    k: int
    lower: float
    bins: list[float]
    classes: pd.Series
    colors: list[str]

    def color_of(self, unit: object) -> str | None:
        """Fill colour of a unit, None when it has no class."""
        cls = self.classes.get(unit)
        if cls is None or pd.isna(cls):
            return None
        return self.colors[int(cls)]

    def limits(self) -> list[tuple[float, float]]:
        """(lower, upper) of every class."""
        lows = [self.lower, *self.bins[:-1]]
        return list(zip(lows, self.bins, strict=True))

    def legend_labels(self, decimals: int = 1, language: str = "de") -> list[str]:
        """Readable class limits such as ``"12,3 – 15,0"``."""
        return [
            f"{format_number(lo, decimals, language)} – {format_number(hi, decimals, language)}"
            for lo, hi in self.limits()
        ]


def classify(
    values: pd.Series,
    scheme: str = "quantiles",
    k: int = 5,
    *,
    direction: str = "higher_is_worse",
) -> Classification:
    """Classify values with mapclassify.

    Parameters
    ----------
    values
        Indicator values indexed by unit; NaN values get no class.
    scheme
        A key of :data:`SCHEMES`.
    k
        Number of classes, 3–7 (fewer when there are fewer distinct values).
    direction
        The indicator's direction; decides the colours.

    Returns
    -------
    Classification
        With ``bins`` equal to mapclassify's for the same values, scheme and k.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification scheme {scheme!r}; use one of {list(SCHEMES)}")
    k = int(min(max(k, MIN_CLASSES), MAX_CLASSES))
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    valid = numeric.dropna()
    classes = pd.Series(pd.NA, index=values.index, dtype="Int64")
    if valid.empty:
        return Classification(scheme, 0, math.nan, [], classes, [])
    distinct = int(valid.nunique())
    if distinct < 2:
        only = float(valid.iloc[0])
        classes[valid.index] = 0
        return Classification(scheme, 1, only, [only], classes, palette(direction, 1))
    k_used = min(k, distinct)
    with warnings.catch_warnings():
        # mapclassify warns when it has to form fewer classes than asked; k_used avoids
        # that mostly, and the Classification reports the number really formed.
        warnings.simplefilter("ignore", UserWarning)
        result = SCHEMES[scheme](valid.to_numpy(), k=k_used)
    bins = [float(b) for b in result.bins]
    classes[valid.index] = np.asarray(result.yb, dtype=int)
    return Classification(
        scheme, len(bins), float(valid.min()), bins, classes, palette(direction, len(bins))
    )


def ranks(values: pd.Series) -> pd.Series:
    """Rank 1 = highest value; missing values get no rank."""
    return (
        pd.to_numeric(values, errors="coerce").rank(ascending=False, method="min").astype("Int64")
    )


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
    (bool), ``status`` (reason code, ``""`` computed; see :mod:`sqe_geo.status`),
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
LEAFLET_DIR = Path(__file__).resolve().parent / "ui" / "static" / "leaflet"
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


# --- static SVG maps -------------------------------------------------------------------

#: Map coordinates (x, y arrays) -> SVG pixel coordinates.
_Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _ring_path(coords: np.ndarray, transform: _Transform) -> str:
    xs, ys = transform(coords[:, 0], coords[:, 1])
    points = " L".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return f"M{points} Z"


def _geometry_path(geom: BaseGeometry, transform: _Transform) -> str:
    parts = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        parts.append(_ring_path(np.asarray(poly.exterior.coords), transform))
        parts.extend(_ring_path(np.asarray(r.coords), transform) for r in poly.interiors)
    return " ".join(parts)


def svg_map(
    frame: gpd.GeoDataFrame,
    fills: Mapping[Any, str] | None = None,
    *,
    id_column: str = "unit_id",
    width: int = 240,
    height: int | None = None,
    title: str | None = None,
    highlight: object | None = None,
    stroke: str = "#555555",
    labels: Mapping[Any, str] | None = None,
    hatched: AbstractSet[Any] | None = None,
    simplify_m: float = 20.0,
) -> str:
    """Draw polygons as a self-contained inline SVG.

    Parameters
    ----------
    frame
        Polygons in a metric CRS (the analysis CRS).
    fills
        Unit id -> fill colour; units not listed are light grey.
    width, height
        Size in pixels; the height follows the aspect ratio when None.
    title
        Text for the SVG ``<title>`` (shown as tooltip and read by screen readers).
    highlight
        A unit drawn on top with a thick blue outline.
    labels
        Unit id -> tooltip text of that polygon.
    hatched
        Unit ids filled with a hatch pattern (withheld values).
    simplify_m
        Tolerance of the simplification that keeps the SVG small.
    """
    fills = fills or {}
    labels = labels or {}
    hatched = hatched or set()
    geoms = frame.geometry.simplify(simplify_m) if simplify_m else frame.geometry
    minx, miny, maxx, maxy = frame.total_bounds
    span_x, span_y = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
    pad = 4
    if height is None:
        height = round(width * span_y / span_x)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - scale * span_x) / 2
    off_y = (height - scale * span_y) / 2

    def transform(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return off_x + (x - minx) * scale, height - off_y - (y - miny) * scale

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    if title:
        out.append(f"<title>{html.escape(title)}</title>")
    if hatched:
        out.append(
            '<defs><pattern id="sqe-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
            f'<rect width="3" height="6" fill="{SUPPRESSED_COLOR}"/></pattern></defs>'
        )
    top = None
    for uid, geom in zip(frame[id_column], geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        d = _geometry_path(geom, transform)
        fill = "url(#sqe-hatch)" if uid in hatched else fills.get(uid, MISSING_COLOR)
        tip = f"<title>{html.escape(labels[uid])}</title>" if uid in labels else ""
        element = (
            f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="0.7" '
            f'fill-rule="evenodd">{tip}</path>'
        )
        if uid == highlight:
            top = f'<path d="{d}" fill="none" stroke="#0055ff" stroke-width="2.5"/>'
        out.append(element)
    if top:
        out.append(top)
    out.append("</svg>")
    return "".join(out)
