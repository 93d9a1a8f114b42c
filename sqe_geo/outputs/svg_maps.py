"""Small static maps: polygons as self-contained inline SVG.

:func:`svg_map` draws the quarters or planning areas without tiles or JavaScript: the
small multiples of the planning-area comparison and the outline map of the printable
quarter profile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from sqe_geo.outputs.classify import MISSING_COLOR, SUPPRESSED_COLOR
from sqe_geo.outputs.templating import render

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


@dataclass(frozen=True)
class SvgLayout:
    """How :func:`svg_map` draws: ids, height, outline colour and simplification.

    Attributes
    ----------
    id_column
        Column of the unit ids (keys of fills, labels, hatched and highlight).
    height
        Height in pixels; follows the aspect ratio when None.
    stroke
        Outline colour of the polygons.
    simplify_m
        Tolerance of the simplification that keeps the SVG small (0: none).
    """

    id_column: str = "unit_id"
    height: int | None = None
    stroke: str = "#555555"
    simplify_m: float = 20.0


@dataclass(frozen=True)
class _Shape:
    d: str
    fill: str
    tip: str | None


def svg_map(
    frame: gpd.GeoDataFrame,
    fills: Mapping[Any, str] | None = None,
    *,
    width: int = 240,
    title: str | None = None,
    highlight: object | None = None,
    labels: Mapping[Any, str] | None = None,
    hatched: AbstractSet[Any] | None = None,
    layout: SvgLayout | None = None,
) -> str:
    """Draw polygons as a self-contained inline SVG.

    Parameters
    ----------
    frame
        Polygons in a metric CRS (the analysis CRS).
    fills
        Unit id -> fill colour; units not listed are light grey.
    width
        Width in pixels.
    title
        Text for the SVG ``<title>`` (shown as tooltip and read by screen readers).
    highlight
        A unit drawn on top with a thick blue outline.
    labels
        Unit id -> tooltip text of that polygon.
    hatched
        Unit ids filled with a hatch pattern (withheld values).
    layout
        Id column, height, outline colour and simplification (see :class:`SvgLayout`).

    Returns
    -------
    str
        The ``<svg>`` element; texts are escaped by the template.
    """
    layout = layout or SvgLayout()
    fills = fills or {}
    labels = labels or {}
    hatched = hatched or set()
    simplify = layout.simplify_m
    geoms = frame.geometry.simplify(simplify) if simplify else frame.geometry
    minx, miny, maxx, maxy = frame.total_bounds
    span_x, span_y = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
    pad = 4
    height = layout.height if layout.height is not None else round(width * span_y / span_x)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - scale * span_x) / 2
    off_y = (height - scale * span_y) / 2

    def transform(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return off_x + (x - minx) * scale, height - off_y - (y - miny) * scale

    shapes = []
    top = None
    for uid, geom in zip(frame[layout.id_column], geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        d = _geometry_path(geom, transform)
        fill = "url(#sqe-hatch)" if uid in hatched else fills.get(uid, MISSING_COLOR)
        shapes.append(_Shape(d, fill, labels.get(uid)))
        if uid == highlight:
            top = d
    return render(
        "svg_map.svg.j2",
        width=width,
        height=height,
        title=title,
        hatched=bool(hatched),
        hatch_color=SUPPRESSED_COLOR,
        shapes=shapes,
        stroke=layout.stroke,
        top=top,
    )
