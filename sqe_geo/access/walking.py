"""Parameter groups of the accessibility engine and the validation of service layers.

:class:`Walking` holds how people walk (cut-off, snap distance, detour factor),
:class:`ServiceLayer` names the service layer and its columns, :class:`Origins` bundles the
residents' locations with their ids and their snap onto the network.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from sqe_geo._errors import InputDataError
from sqe_geo.access.snapping import SnapResult, points_xy
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport

__all__ = ["Origins", "ServiceLayer", "Walking", "as_origins", "service_points"]


@dataclass(frozen=True)
class Walking:
    """How far and how people walk.

    Attributes
    ----------
    cutoff_m
        Search limit in metres (``None``: unlimited); farther services count as not reached.
    max_snap_m
        Maximum straight access leg from a point to the network; farther points are
        unreachable.
    detour_factor
        Straight-line fallback: network distance ≈ straight line × this factor (≥ 1).
    """

    cutoff_m: float | None = 2000.0
    max_snap_m: float = 300.0
    detour_factor: float = 1.3


@dataclass(frozen=True)
class ServiceLayer:
    """The service layer's name in messages and its columns.

    Attributes
    ----------
    name
        Name of the layer in messages and findings.
    category_column
        Column of the service category.
    id_column
        Column of unique service ids (``None``: the index, which must be unique).
    """

    name: str = "services"
    category_column: str = "category"
    id_column: str | None = None


@dataclass(frozen=True)
class Origins:
    """Residents' locations (origins) with their ids and, optionally, their snap.

    Attributes
    ----------
    xy
        ``(n, 2)`` coordinates in the network CRS.
    ids
        Ids of the origins: the index of results and the items of findings (default:
        positions ``0..n-1``).
    snap
        A precomputed :func:`~sqe_geo.access.snapping.snap_points` result of ``xy``.
    """

    xy: np.ndarray
    ids: Sequence[Hashable] | None = None
    snap: SnapResult | None = None

    @property
    def index(self) -> pd.Index:
        """The ids as an index (positions when no ids are given)."""
        if self.ids is None:
            return pd.RangeIndex(self.xy.shape[0])
        index: pd.Index = pd.Index(self.ids)
        return index


def as_origins(origins: np.ndarray | Origins) -> Origins:
    """``origins`` as :class:`Origins` with ``(n, 2)`` float coordinates.

    Parameters
    ----------
    origins
        Coordinates (``(n, 2)``) or :class:`Origins`.

    Returns
    -------
    Origins
    """
    if isinstance(origins, Origins):
        xy = np.asarray(origins.xy, dtype=float).reshape(-1, 2)
        return Origins(xy, origins.ids, origins.snap)
    return Origins(np.asarray(origins, dtype=float).reshape(-1, 2))


def _check_crs(services: gpd.GeoDataFrame, crs: object | None, layer: str) -> None:
    if crs is None:
        return
    if services.crs is None:
        raise InputDataError(Message("access.services.no_crs", layer=layer))
    if CRS.from_user_input(services.crs) != CRS.from_user_input(crs):
        raise InputDataError(
            Message(
                "access.services.other_crs",
                layer=layer,
                crs=CRS.from_user_input(services.crs).name,
                network_crs=CRS.from_user_input(crs).name,
            )
        )


def _service_ids(services: gpd.GeoDataFrame, layer: ServiceLayer) -> pd.Index:
    ids: pd.Index = (
        services.index if layer.id_column is None else pd.Index(services[layer.id_column])
    )
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique()
        listed = ", ".join(map(str, dup[:10]))
        if layer.id_column is None:
            message = Message("access.services.duplicate_index", layer=layer.name, ids=listed)
        else:
            message = Message(
                "access.services.duplicate_ids",
                layer=layer.name,
                column=layer.id_column,
                ids=listed,
            )
        raise InputDataError(message)
    return ids


def service_points(
    services: gpd.GeoDataFrame,
    *,
    crs: object | None = None,
    layer: ServiceLayer | None = None,
    report: QualityReport | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a service layer and return ``(xy, category, ids)`` arrays.

    Non-point geometries (e.g. playground areas) are represented by a point on their
    surface (reported as info); services without geometry are dropped and reported.

    Parameters
    ----------
    services
        The service layer.
    crs
        The network CRS the services must be in (``None``: not checked).
    layer
        Name and columns of the layer.
    report
        Receives non-point services and services without geometry.

    Returns
    -------
    tuple of numpy.ndarray
        ``(n, 2)`` coordinates, ``(n,)`` categories and ``(n,)`` ids of the kept services.

    Raises
    ------
    InputDataError
        Missing category column, CRS differing from ``crs``, or duplicate service ids.
    """
    layer = layer or ServiceLayer()
    name = layer.name
    if layer.category_column not in services.columns:
        raise InputDataError(
            Message(
                "access.services.no_category_column",
                layer=name,
                column=layer.category_column,
                found=str(list(services.columns)),
            )
        )
    _check_crs(services, crs, name)
    ids = _service_ids(services, layer)
    xy = points_xy(services)
    types = services.geom_type.to_numpy()
    missing = ~np.isfinite(xy).all(axis=1)
    if report is not None:
        areal = (~missing) & (types != "Point")
        if areal.any():
            report.add(
                "service_not_point",
                name,
                Message("access.services.not_point", n=int(areal.sum()), layer=name),
                severity="info",
                items=ids[areal],
            )
        if missing.any():
            report.add(
                "service_without_geometry",
                name,
                Message("access.services.no_geometry", n=int(missing.sum()), layer=name),
                items=ids[missing],
            )
    keep = ~missing
    category = services[layer.category_column].to_numpy(dtype=object)
    return xy[keep], category[keep], np.asarray(ids)[keep]
