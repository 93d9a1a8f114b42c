"""Plausibility of coordinates: can they be in the CRS they are labelled with?

:func:`check_extent` catches the usual mix-ups before a layer is reprojected: metres
labelled as degrees, degrees labelled as a metric CRS, longitude and latitude swapped, a
wrong UTM zone, and an ``analysis_crs`` whose area of use does not contain the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message

if TYPE_CHECKING:
    from pyproj._crs import AreaOfUse  # what CRS.area_of_use returns

__all__ = ["AREA_MARGIN_DEG", "check_extent"]


def _describe(crs: CRS) -> str:
    code = crs.to_authority()
    return f"{code[0]}:{code[1]}" if code else crs.name


#: Degrees a layer may reach beyond a CRS's area of use (UTM zones are used beyond their
#: nominal six degrees, e.g. EPSG:25832 for all of Germany, EPSG:25833 for a neighbour zone).
AREA_MARGIN_DEG = 6.0


def _fits(
    bounds: tuple[float, float, float, float],
    area: AreaOfUse,
    margin: float = AREA_MARGIN_DEG,
    *,
    overlap: bool = False,
) -> bool:
    """Whether lon/lat ``bounds`` lie within (or, with ``overlap``, touch) an area of use."""
    west, south, east, north = (
        area.west - margin,
        area.south - margin,
        area.east + margin,
        area.north + margin,
    )
    x0, y0, x1, y1 = bounds
    if overlap:
        lat = y0 <= north and south <= y1
        return lat and (west > east or (x0 <= east and west <= x1))
    if west > east:  # areas across the antimeridian: only check the latitudes
        return south <= y0 and y1 <= north
    return west <= x0 and x1 <= east and south <= y0 and y1 <= north


def check_extent(frame: gpd.GeoDataFrame, analysis: CRS, *, what: str, source: str) -> None:
    """Refuse coordinates that cannot be in the CRS they are labelled with.

    Catches the usual mix-ups with the likely cause: metres labelled as degrees, degrees
    labelled as a metric CRS, longitude and latitude swapped, a wrong UTM zone, and an
    ``analysis_crs`` whose area of use does not contain the data.
    """
    geoms = frame.geometry.values
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0 or frame.crs is None:
        return
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    if not np.all(np.isfinite([x0, y0, x1, y1])):
        raise InputDataError(Message("io.extent.not_finite", what=what, source=source))
    crs = CRS.from_user_input(frame.crs)
    label = _describe(crs)
    where = Message(
        "io.extent.where", what=what, source=source, label=label, x0=x0, y0=y0, x1=x1, y1=y1
    )
    degrees_like = -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    if crs.is_geographic and not degrees_like:
        raise InputDataError(Message("io.extent.metres_as_degrees", where=where))
    if crs.is_projected and degrees_like and max(x1 - x0, y1 - y0) < 10:
        raise InputDataError(Message("io.extent.degrees_as_metres", where=where))
    try:
        to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        bounds = to_lonlat.transform_bounds(x0, y0, x1, y1)
    except Exception:  # a CRS pyproj cannot transform: nothing to compare
        return
    if not np.all(np.isfinite(bounds)):
        bounds = (x0, y0, x1, y1) if crs.is_geographic else bounds
    if not np.all(np.isfinite(bounds)):
        raise InputDataError(Message("io.extent.not_transformable", where=where))
    swapped = (bounds[1], bounds[0], bounds[3], bounds[2])
    lonlat = f"(lon {bounds[0]:.3f} … {bounds[2]:.3f}, lat {bounds[1]:.3f} … {bounds[3]:.3f})"
    for name, area, key in (
        (label, crs.area_of_use, "label"),
        (_describe(analysis), analysis.area_of_use, "analysis_crs"),
    ):
        # the file's own CRS must contain its data; the analysis CRS must at least reach it
        # (a regional layer may extend beyond the analysis CRS's zone)
        partial = key == "analysis_crs"
        if area is None or _fits(bounds, area, overlap=partial):
            continue
        if crs.is_geographic and _fits(swapped, area, overlap=partial):
            raise InputDataError(
                Message("io.extent.swapped", where=where, lonlat=lonlat, name=name)
            )
        area_name = area.name if len(area.name) <= 60 else area.name[:59] + "…"
        if key == "analysis_crs":
            raise InputDataError(
                Message(
                    "io.extent.outside_analysis",
                    where=where,
                    lonlat=lonlat,
                    name=name,
                    area=area_name,
                    label=label,
                )
            )
        raise InputDataError(
            Message(
                "io.extent.outside_label", where=where, lonlat=lonlat, name=name, area=area_name
            )
        )
