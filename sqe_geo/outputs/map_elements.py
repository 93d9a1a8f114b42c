"""The parts of a folium map that folium lacks: legends, title box, scale bar, hatch pattern.

Each is a small branca :class:`MacroElement` with its own Jinja2 macro. :class:`Legend` is a
fixed box, :class:`LegendLayer` a legend that comes and goes with the layer group it belongs
to; their bodies are rendered by :mod:`sqe_geo.outputs.map_legend`.
"""

from __future__ import annotations

import html
import json

from sqe_geo._errors import missing_extra

try:  # the core install (pip install sqe-geo) has no map libraries: sqe-geo[app] does
    # branca re-exports jinja2's Template without listing it in __all__
    from branca.element import MacroElement, Template  # type: ignore[attr-defined]
except ImportError as exc:
    raise missing_extra(exc.name) from None

from sqe_geo.outputs.classify import SUPPRESSED_COLOR

__all__ = ["HatchPattern", "Legend", "LegendLayer", "MapTitle", "MetricScale"]

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
