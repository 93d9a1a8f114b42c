"""Small static maps: polygons as self-contained inline SVG.

:func:`svg_map` draws the quarters or planning areas without tiles or JavaScript: the
small multiples of the planning-area comparison and the outline map of the printable
quarter profile.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from sqe_geo.outputs.classify import MISSING_COLOR, SUPPRESSED_COLOR

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
