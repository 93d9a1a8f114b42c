"""Accessibility surface: walking time to the nearest facility and a gravity score per point.

For any set of points (the centres of 100 m cells, residents' locations) and the facilities
of one category:

* **nearest** — minutes to the nearest facility over the walking network: one multi-source
  search per category (:func:`~sqe_geo.access.accessibility.nearest_distances`); NaN beyond
  the cut-off, off the network or on an island without the category, never 0;
* **gravity** — ``G_i = Σ_j S_j · w(d_ij)`` over the facilities within the decay's reach,
  with ``S_j`` the facility's capacity (or 1) and ``w`` a Gaussian, exponential or
  cumulative (1 within the reach) decay of the walking distance. The facility → point
  pairs come from one bounded search per facility
  (:func:`~sqe_geo.access.catchment.fca_distances`); the score equals PySAL ``access``'s
  ``weighted_catchment`` (tested). Unlike E2SFCA there is no competition between
  residents: the score says how much supply is near, not how much of it is left.

Without a network the distances are straight line × detour factor (flagged by ``method``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.access.accessibility import METHOD_NETWORK, nearest_distances
from sqe_geo.access.catchment import Decay, decay_weights, fca_distances
from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.snapping import SnapResult, points_xy, snap_points
from sqe_geo.access.straight_line import nearest_distances_straight
from sqe_geo.access.walking import Origins, ServiceLayer, Walking
from sqe_geo.i18n.messages import Message

__all__ = ["DecayKind", "SurfaceDecay", "accessibility_surface", "gravity_scores"]

DecayKind = Literal["gaussian", "exponential", "cumulative"]
#: Distance blocks of the bounded searches (facilities × points): 2 million cells (16 MB)
#: were 2-3 times faster than the default 8 million on the demo (3,623 benches × 6,602
#: locations), whose blocks no longer fit in the cache.
_BATCH_CELLS = 2_000_000


@dataclass(frozen=True)
class SurfaceDecay:
    """Decay of the gravity score, in metres of walking.

    Attributes
    ----------
    kind
        ``"gaussian"`` ``exp(-d² / (2 scale²))``, ``"exponential"`` ``exp(-d / scale)`` or
        ``"cumulative"`` (weight 1 up to ``reach_m``).
    reach_m
        Facilities farther than this do not count (the bounded search's limit).
    scale_m
        σ of the Gaussian, scale of the exponential (ignored by ``"cumulative"``).
    """

    kind: DecayKind = "gaussian"
    reach_m: float = 720.0
    scale_m: float = 240.0

    def as_decay(self) -> Decay:
        """The same decay as a floating-catchment :class:`~sqe_geo.access.catchment.Decay`.

        Raises
        ------
        InputDataError
            A reach or scale that is not positive.
        """
        if not self.reach_m > 0 or (self.kind != "cumulative" and not self.scale_m > 0):
            raise InputDataError(
                Message("access.surface.bad_decay", reach=self.reach_m, scale=self.scale_m)
            )
        if self.kind == "cumulative":
            return Decay(bands=[(self.reach_m, 1.0)], catchment_m=self.reach_m)
        if self.kind == "gaussian":
            return Decay(bands=None, gaussian_sigma_m=self.scale_m, catchment_m=self.reach_m)
        return Decay(bands=None, exponential_m=self.scale_m, catchment_m=self.reach_m)


def gravity_scores(
    points_xy_: np.ndarray,
    services_xy: np.ndarray,
    supply: np.ndarray,
    decay: SurfaceDecay,
    *,
    network: WalkingNetwork | None = None,
    walking: Walking | None = None,
    point_snap: SnapResult | None = None,
) -> np.ndarray:
    """Gravity score ``Σ_j S_j · w(d_ij)`` per point over the facilities within reach.

    Parameters
    ----------
    points_xy_
        ``(n, 2)`` point coordinates in the network CRS.
    services_xy, supply
        ``(m, 2)`` facility coordinates and ``(m,)`` weights (capacity, or ones).
    decay
        The decay and its reach.
    network
        Walking network; ``None`` uses straight line × detour factor.
    walking
        Maximum snap distance and detour factor.
    point_snap
        A precomputed snap of the points.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` scores: 0 where no facility is within reach, NaN where the point is not on
        the network.
    """
    supply = np.asarray(supply, dtype=float)
    if supply.shape != (np.asarray(services_xy).reshape(-1, 2).shape[0],) or not (
        np.isfinite(supply).all() and (supply >= 0).all()
    ):
        raise InputDataError(Message("access.surface.bad_supply", n=supply.size))
    fca = decay.as_decay()
    dist, reachable, _ = fca_distances(
        points_xy_,
        services_xy,
        catchment_m=fca.catchment(),
        network=network,
        walking=walking,
        origin_snap=point_snap,
        batch_cells=_BATCH_CELLS,
    )
    weight = decay_weights(
        dist.data,
        bands=fca.bands,
        gaussian_sigma_m=fca.gaussian_sigma_m,
        exponential_m=fca.exponential_m,
    )
    n = np.asarray(points_xy_).reshape(-1, 2).shape[0]
    score = np.bincount(dist.col, weights=supply[dist.row] * weight, minlength=n).astype(float)
    score[~reachable] = np.nan
    return score


def accessibility_surface(
    points: np.ndarray,
    services: gpd.GeoDataFrame,
    categories: Sequence[str],
    *,
    decay: SurfaceDecay,
    network: WalkingNetwork | None = None,
    walking: Walking | None = None,
    speed_mps: float = 0.8,
    capacity: Sequence[str] = (),
) -> pd.DataFrame:
    """Minutes to the nearest facility and the gravity score per point and category.

    Parameters
    ----------
    points
        ``(n, 2)`` coordinates in the network CRS (cell centres).
    services
        Facilities with ``category`` (and ``capacity`` for the categories in ``capacity``).
    categories
        Categories to compute; one without facilities gives NaN minutes and score 0.
    decay
        Decay of the gravity score.
    network
        Walking network; ``None`` uses straight line × detour factor.
    walking
        Cut-off of the nearest search, maximum snap distance and detour factor.
    speed_mps
        Walking speed that turns metres into minutes.
    capacity
        Categories whose facilities weigh by their ``capacity`` (missing capacity: 0).

    Returns
    -------
    pandas.DataFrame
        ``n`` rows, columns ``minutes_{cat}`` and ``score_{cat}``; ``attrs["method"]``.
    """
    walking = walking or Walking()
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    snap = None if network is None else snap_points(network, xy, max_snap_m=walking.max_snap_m)
    present = services[services["category"].isin(list(categories))]
    if len(present):
        origins = Origins(xy, None, snap)
        layer = ServiceLayer(name="services")
        if network is None:
            metres = nearest_distances_straight(
                origins, present, list(categories), walking=walking, layer=layer
            )
        else:
            metres = nearest_distances(
                network, origins, present, list(categories), walking=walking, layer=layer
            )
    else:
        metres = pd.DataFrame(np.nan, index=pd.RangeIndex(len(xy)), columns=list(categories))
    out: dict[str, np.ndarray] = {}
    for cat in categories:
        out[f"minutes_{cat}"] = metres[cat].to_numpy(dtype=float) / speed_mps / 60.0
        sub = present[present["category"] == cat]
        weights = (
            sub["capacity"].fillna(0.0).to_numpy(dtype=float)
            if cat in capacity
            else np.ones(len(sub))
        )
        out[f"score_{cat}"] = gravity_scores(
            xy, points_xy(sub), weights, decay, network=network, walking=walking, point_snap=snap
        )
    result = pd.DataFrame(out)
    result.attrs["method"] = metres.attrs.get("method", METHOD_NETWORK)
    return result
