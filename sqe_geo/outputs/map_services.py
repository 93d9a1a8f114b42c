"""The service points of the maps: one toggleable layer per category, coloured by category."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sqe_geo._errors import missing_extra
from sqe_geo.i18n.messages import text

try:  # the core install has no map libraries: sqe-geo[app] does
    import folium
except ImportError as exc:
    raise missing_extra(exc.name) from None

from sqe_geo.outputs.map_data import points_geojson, to_web

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


def service_color(category: str, index: int) -> str:
    """The marker colour of a service category; unknown categories cycle through extra colours.

    Examples
    --------
    >>> service_color("food", 0), service_color("library", 1)
    ('#1b9e77', '#bcbd22')
    """
    return SERVICE_COLORS.get(category, _EXTRA_COLORS[index % len(_EXTRA_COLORS)])


def _synthetic_label(label: str, synthetic: pd.Series, language: str) -> str:
    """A category's label, marked when all or some of its services are synthetic."""
    if not synthetic.any():
        return label
    key = "services_synthetic" if synthetic.all() else "services_partly_synthetic"
    return text(f"outputs.map.{key}", language, label=label)


def add_service_layers(
    fmap: folium.Map, results: Results, language: str = "de", *, pane: str | None = None
) -> list[str]:
    """Add one hidden, toggleable layer of points per service category; return their names.

    ``pane``: a map pane for the points (e.g. above the quarters of a swapped layer).
    Synthetic services (the study's ``synthetic_column``) are marked in the layer's name
    ("synthetisch" / "teils synthetisch") and in each point's tooltip.
    """
    study = results.study
    if study.services is None or len(study.services) == 0:
        return []
    categories = study.config.services.categories if study.config.services else {}
    points = to_web(study.services)
    names = []
    for i, (key, sub) in enumerate(points.groupby("category", sort=False)):
        cat = categories.get(key)
        label = cat.label(language) if cat else str(key)
        color = service_color(str(key), i)
        synthetic = sub["synthetic"] if "synthetic" in sub else pd.Series(False, index=sub.index)
        marked = _synthetic_label(label, synthetic, language)
        name = text("outputs.map.services_layer", language, label=marked)
        group = folium.FeatureGroup(name=name, show=False)
        frame = sub[["name", "geometry"]].copy()
        frame["name"] = frame["name"].astype(str).replace("", label)
        frame.loc[synthetic.to_numpy(dtype=bool), "name"] = [
            text("outputs.map.synthetic_point", language, name=n)
            for n in frame.loc[synthetic.to_numpy(dtype=bool), "name"]
        ]
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
