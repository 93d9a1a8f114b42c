"""Residents' locations of one quarter coloured by the walk to the nearest service.

For a quarter and a service category, :func:`origins_map` draws every residents' location
(grid cell or address point) as a circle coloured by its walking distance class relative to
the category's threshold (within, within twice, farther, unreachable), with the services
of the category around and a legend. Resident counts below the study's disclosure minimum
are shown as "< 3".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import missing_extra
from sqe_geo.i18n.formatting import format_number
from sqe_geo.i18n.messages import text

try:  # the core install has no map libraries: sqe-geo[app] does
    import folium
except ImportError as exc:
    raise missing_extra(exc.name) from None

from sqe_geo.access.coverage import distance_class
from sqe_geo.outputs.classify import OUTLINE_COLOR
from sqe_geo.outputs.map_data import points_geojson, to_web
from sqe_geo.outputs.map_elements import Legend, MetricScale
from sqe_geo.outputs.map_services import service_color
from sqe_geo.outputs.maps import use_local_assets
from sqe_geo.outputs.templating import render
from sqe_geo.stats.privacy import SUPPRESSED_MARK

if TYPE_CHECKING:
    from sqe_geo.results import Results

#: Distance classes of residents' locations relative to a category's threshold.
DISTANCE_CLASSES = ("within", "within_2x", "farther", "unreachable")
#: Fill of the distance classes (ColorBrewer RdYlBu ends: readable with colour-vision
#: deficiencies); unreachable locations are hollow black rings, not a colour.
DISTANCE_COLORS = {"within": "#2c7bb6", "within_2x": "#fdae61", "farther": "#d7191c"}
UNREACHABLE_STYLE = {
    "color": "#000000",
    "weight": 2,
    "fillColor": "#ffffff",
    "fillOpacity": 0.0,
    "dashArray": "2 2",
}
#: Quarter outline of the origins map.
QUARTER_OUTLINE_COLOR = "#0055ff"


def _text(key: str, language: str, /, **params: object) -> str:
    # errors (ValueError, KeyError) use text() without a language: the reader's language
    return text(f"outputs.origins.{key}", language, **params)


#: Classes of residents per location shown while disclosure control is on (lower bounds).
COUNT_CLASSES = (10, 50, 100)


def disclosed_count(value: float, min_count: int | None, language: str = "de") -> str:
    """A resident count of one location for display.

    With disclosure control on (``min_count`` given) a location shows a class, never a
    number: ``"0"``, ``"unter 10"``, ``"10 bis unter 50"``, ``"50 bis unter 100"``, ``"100
    und mehr"``. The locations are a finer geography than the quarters, so exact counts
    per location would let the quarter's withheld counts be summed up again (the classes
    are at least 10 wide, well beyond the protection level of 3). Without disclosure
    control the rounded number.

    Examples
    --------
    >>> disclosed_count(2, 3), disclosed_count(42, 3, "en"), disclosed_count(42, None)
    ('unter 10', '10 to under 50', '42')
    """
    number = float(value) if value is not None and not pd.isna(value) else 0.0
    if min_count is None:
        return format_number(number, 0, language)
    if number <= 0:
        return "0"
    bounds = [b for b in COUNT_CLASSES if b > number]
    if not bounds:
        return _text("count_above", language, lower=COUNT_CLASSES[-1])
    upper = bounds[0]
    lower = max([b for b in COUNT_CLASSES if b <= number], default=None)
    if lower is None:
        return _text("count_under", language, upper=upper)
    return _text("count_between", language, lower=lower, upper=upper)


def _withheld_quarter(results: Results, quarter_id: str, category: str, year: int) -> bool:
    """Whether disclosure control withholds any count of the category in the quarter."""
    withheld = getattr(results, "withheld", {}).get("quarter")
    if withheld is None or (str(quarter_id), year) not in withheld.index:
        return False
    columns = [c for c in withheld.columns if f"_{category}_" in c]
    return bool(withheld.loc[(str(quarter_id), year), columns].any()) if columns else False


def _category_threshold(results: Results, category: str) -> float:
    from sqe_geo.study_access import thresholds_m

    return thresholds_m(results.study.config, [category])[category]


def _metres_minutes(metres: float, speed_mps: float, language: str) -> str:
    minutes = metres / speed_mps / 60.0
    return f"{format_number(metres, 0, language)} m ({format_number(minutes, 0, language)} min)"


def origin_layer(
    results: Results, quarter_id: str, category: str, year: int, language: str = "de"
) -> gpd.GeoDataFrame:
    """Residents' locations of one quarter with their walking distance to a category.

    Columns: ``origin_id``, ``distance_m`` (NaN = unreachable), ``distance_class`` (see
    :func:`distance_class`), ``older`` (residents 65+, unrounded), and the tooltip texts
    ``distance_text``, ``older_text`` (disclosure-safe: never 1 or 2 when disclosure control
    is on) and ``class_text``; EPSG:4326.
    """
    if year not in results.origins or year not in results.distances:
        raise ValueError(text("outputs.origins.no_origins", year=year))
    distances = results.distances[year]
    if category not in distances.columns:
        raise ValueError(
            text("outputs.origins.no_distances", category=category, known=list(distances.columns))
        )
    origins = results.origins[year]
    origins = origins[origins["quarter_id"].astype(str) == str(quarter_id)]
    config = results.study.config
    speed = config.accessibility.walking_speed_mps
    threshold = _category_threshold(results, category)
    labels = _class_labels(results, threshold, language)
    metres = distances[category].reindex(origins["origin_id"]).to_numpy(dtype=float)
    older = (
        origins["older"].to_numpy(dtype=float)
        if "older" in origins.columns
        else np.full(len(origins), np.nan)
    )
    min_count = config.disclosure.min_count if config.disclosure.enabled else None
    classes = [distance_class(m, threshold) for m in metres]
    if config.disclosure.enabled and _withheld_quarter(results, quarter_id, category, year):
        # The quarter's counts for this category are withheld: no location tells its
        # residents (not even as a class, nor by the size of its dot).
        older = np.full(len(origins), np.nan)
    out = gpd.GeoDataFrame(
        {
            "origin_id": origins["origin_id"].astype(str).to_numpy(),
            "distance_m": metres,
            "distance_class": classes,
            "older": older,
            "distance_text": [
                _metres_minutes(m, speed, language) if math.isfinite(m) else _text("none", language)
                for m in metres
            ],
            "older_text": [
                (SUPPRESSED_MARK if min_count is not None else "–")
                if pd.isna(v)
                else disclosed_count(v, min_count, language)
                for v in older
            ],
            "class_text": [labels[c] for c in classes],
        },
        geometry=origins.geometry.to_numpy(),
        crs=origins.crs,
    )
    return to_web(out)


def _class_labels(results: Results, threshold: float, language: str) -> dict[str, str]:
    speed = results.study.config.accessibility.walking_speed_mps
    cutoff = max(results.study.config.accessibility.cutoff_m, threshold)
    t1 = _metres_minutes(threshold, speed, language)
    t2 = _metres_minutes(2 * threshold, speed, language)
    return {
        "within": _text("within", language, t=t1),
        "within_2x": _text("within_2x", language, t=t1, t2=t2),
        "farther": _text("farther", language, t2=t2),
        "unreachable": _text(
            "unreachable", language, cutoff=f"{format_number(cutoff, 0, language)} m"
        ),
    }


def _origin_style(distance_cls: str, has_older: bool) -> dict[str, Any]:
    radius = 4.5 if has_older else 3
    if distance_cls == "unreachable":
        return {**UNREACHABLE_STYLE, "radius": radius + 0.5}
    return {
        "color": "#333333",
        "weight": 0.6,
        "fillColor": DISTANCE_COLORS[distance_cls],
        "fillOpacity": 0.9 if has_older else 0.5,
        "radius": radius,
    }


def origins_legend_html(results: Results, category: str, year: int, language: str = "de") -> str:
    """Legend of the origins map: the distance classes, unreachable, services, notes.

    Parameters
    ----------
    results
        :class:`sqe_geo.pipeline.Results` computed with accessibility.
    category, year
        The service category and year of the map.
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    str
        HTML of the legend's body (texts escaped).
    """
    from sqe_geo.outputs.report_html import category_label

    config = results.study.config
    label = category_label(results, category, language)
    labels = _class_labels(results, _category_threshold(results, category), language)
    classes = [(cls, _legend_dot(cls), labels[cls]) for cls in DISTANCE_CLASSES]
    notes = [_text("points", language)]
    if config.network is not None:
        speed = format_number(config.accessibility.walking_speed_mps, 1, language)
        notes.append(_text("network", language, speed=speed))
    else:
        factor = format_number(config.accessibility.detour_factor, 1, language)
        notes.append(_text("straight", language, factor=factor))
    if config.disclosure.enabled:
        notes.append(_text("disclosure", language))
    return render(
        "origins_legend.html.j2",
        title=_text("title", language, label=label, year=year),
        classes=classes,
        service_color=service_color(category, 0),
        service=_text("services", language, label=label),
        notes=notes,
    )


def _legend_dot(cls: str) -> str:
    if cls == "unreachable":
        return "border:2px dashed #000;background:#fff;width:9px;height:9px"
    return f"background:{DISTANCE_COLORS[cls]};border:1px solid #333"


def origins_map(
    results: Results,
    quarter_id: str,
    category: str,
    year: int,
    language: str = "de",
    *,
    tiles: str | None = "OpenStreetMap",
    height: str | int = "100%",
    local_assets: bool = True,
) -> folium.Map:
    """A folium map of one quarter's residents' locations coloured by walking distance.

    Layers: the quarter outline (neighbouring quarters thin), the residents' locations as
    small circles coloured by the distance class to the nearest service of the category
    (see :func:`distance_class`; unreachable locations are hollow dashed black rings), with
    a tooltip (walking distance in m and minutes, residents 65+ — disclosure-safe, class);
    the category's services in and around the quarter (within twice the threshold) with
    their names; a legend.

    Parameters
    ----------
    results
        :class:`sqe_geo.pipeline.Results` computed with accessibility.
    quarter_id, category, year
        What to show.
    language
        ``"de"`` or ``"en"``.
    tiles, height, local_assets
        As for :func:`choropleth`.
    """
    from sqe_geo.outputs.report_html import category_label

    points = origin_layer(results, quarter_id, category, year, language)
    quarters = results.study.quarters
    quarter = quarters[quarters["quarter_id"].astype(str) == str(quarter_id)]
    if quarter.empty:
        raise KeyError(text("outputs.unknown_quarter", quarter=quarter_id))
    threshold = _category_threshold(results, category)
    label = category_label(results, category, language)
    outline = to_web(quarter[["quarter_id", "name", "geometry"]])
    minx, miny, maxx, maxy = outline.total_bounds
    fmap = folium.Map(
        tiles=tiles, control_scale=False, height=height, zoom_snap=0.25, zoom_delta=0.5
    )
    if local_assets:
        use_local_assets(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding=(10, 10))

    around = quarter.geometry.buffer(2 * threshold).union_all()
    others = quarters[
        quarters.intersects(around) & (quarters["quarter_id"].astype(str) != str(quarter_id))
    ]
    if len(others):
        folium.GeoJson(
            to_web(others[["quarter_id", "name", "geometry"]]).to_json(),
            name=_text("layer_others", language),
            style_function=lambda _f: {
                "color": OUTLINE_COLOR, "weight": 0.8, "fill": False, "dashArray": "4 3",
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(fmap)  # fmt: skip
    folium.GeoJson(
        outline.to_json(),
        name=_text("quarter", language),
        style_function=lambda _f: {
            "color": QUARTER_OUTLINE_COLOR, "weight": 3, "fillOpacity": 0.04,
        },
        interactive=False,
    ).add_to(fmap)  # fmt: skip

    styles = {
        (cls, has): _origin_style(cls, has) for cls in DISTANCE_CLASSES for has in (True, False)
    }
    frame = points[["origin_id", "distance_class", "distance_text", "older_text", "class_text"]]
    frame = frame.assign(
        has_older=(points["older"].fillna(0) > 0).to_numpy(), geometry=points.geometry
    )
    # draw unreachable rings last, so they stay visible on top
    frame = frame.iloc[np.argsort(frame["distance_class"] == "unreachable", kind="stable")]
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=points.crs)
    if len(frame):
        columns = [c for c in frame.columns if c != "geometry"]
        folium.GeoJson(
            points_geojson(frame, columns),
            name=_text("layer_origins", language),
            marker=folium.CircleMarker(radius=4, fill=True),
            style_function=lambda f: styles[
                (f["properties"]["distance_class"], bool(f["properties"]["has_older"]))
            ],
            tooltip=folium.GeoJsonTooltip(
                fields=["distance_text", "older_text", "class_text"],
                aliases=[_text(k, language) for k in ("distance", "older", "class")],
            ),
        ).add_to(fmap)

    services = results.study.services
    if services is not None and len(services):
        sub = services[services["category"] == category]
        sub = sub[sub.within(around)]
        if len(sub):
            names = sub["name"].astype(str).replace("", label).fillna(label)
            data = gpd.GeoDataFrame({"name": names}, geometry=sub.geometry)
            folium.GeoJson(
                points_geojson(data, ["name"]),
                name=_text("services", language, label=label),
                marker=folium.CircleMarker(
                    radius=6, weight=2, color="#ffffff", fill=True,
                    fill_color=service_color(category, 0), fill_opacity=1,
                ),
                tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
            ).add_to(fmap)  # fmt: skip
    MetricScale().add_to(fmap)
    Legend(origins_legend_html(results, category, year, language)).add_to(fmap)
    return fmap
