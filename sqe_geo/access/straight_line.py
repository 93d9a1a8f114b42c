"""Straight-line fallback without a walking network: euclidean distance × detour factor.

The results are flagged as ``"Luftlinie × Umwegfaktor"`` in ``attrs["method"]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from scipy.spatial import cKDTree

from sqe_geo._errors import InputDataError
from sqe_geo.access.accessibility import METHOD_STRAIGHT_LINE
from sqe_geo.access.walking import Origins, ServiceLayer, Walking, as_origins, service_points
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport

__all__ = ["nearest_distances_straight"]


def _check_walking(walking: Walking, services: gpd.GeoDataFrame, layer: str) -> None:
    if walking.detour_factor < 1:
        raise InputDataError(
            Message("access.nearest.detour_below_one", factor=walking.detour_factor)
        )
    if services.crs is not None:
        crs = CRS.from_user_input(services.crs)
        if not crs.is_projected:
            raise InputDataError(
                Message("access.nearest.services_geographic", layer=layer, crs=crs.name)
            )


def nearest_distances_straight(
    origins: np.ndarray | Origins,
    services: gpd.GeoDataFrame,
    categories: Sequence[str] | None = None,
    *,
    walking: Walking | None = None,
    layer: ServiceLayer | None = None,
    report: QualityReport | None = None,
) -> pd.DataFrame:
    """Straight-line fallback: euclidean distance × detour factor to the nearest service.

    Parameters
    ----------
    origins
        ``(n, 2)`` origin coordinates, or :class:`~sqe_geo.access.walking.Origins` with ids.
    services
        Service points with a category column, in a metric CRS.
    categories
        Categories to compute (default: all present in ``services``).
    walking
        Detour factor (≥ 1) and cut-off; the snap distance is not used.
    layer
        Name and columns of the service layer.
    report
        Receives services without geometry and categories without services.

    Returns
    -------
    pandas.DataFrame
        Same output as :func:`~sqe_geo.access.accessibility.nearest_distances` with
        ``attrs["method"] == "Luftlinie × Umwegfaktor"`` and ``attrs["detour_factor"]``;
        origins whose estimated distance exceeds the cut-off or that lack coordinates are
        NaN.
    """
    walking = walking or Walking()
    layer = layer or ServiceLayer()
    _check_walking(walking, services, layer.name)
    points = as_origins(origins)
    s_xy, s_cat, _ = service_points(services, layer=layer, report=report)
    if s_xy.shape[0] == 0:
        raise InputDataError(Message("access.services.empty", layer=layer.name))
    if categories is None:
        categories = sorted(pd.unique(s_cat).tolist(), key=str)
    detour = walking.detour_factor
    finite = np.isfinite(points.xy).all(axis=1)
    out = np.full((points.xy.shape[0], len(categories)), np.nan)
    bound = np.inf if walking.cutoff_m is None else walking.cutoff_m / detour
    for k, cat in enumerate(categories):
        pts = s_xy[s_cat == cat]
        if pts.shape[0] == 0:
            if report is not None:
                report.add(
                    "category_without_services",
                    layer.name,
                    Message(
                        "access.nearest.category_without_services", category=cat, layer=layer.name
                    ),
                    items=[cat],
                )
            continue
        d, _ = cKDTree(pts).query(points.xy[finite], k=1, distance_upper_bound=bound)
        d = np.asarray(d) * detour  # an array: query() of 2-D points with k=1
        d[~np.isfinite(d)] = np.nan
        out[finite, k] = d
    result = pd.DataFrame(out, index=points.index, columns=list(categories))
    result.attrs["method"] = METHOD_STRAIGHT_LINE
    result.attrs["detour_factor"] = detour
    return result
