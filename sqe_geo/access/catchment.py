"""Floating catchments: 2SFCA and E2SFCA accessibility of capacity-bound services.

For each service j, ``R_j = S_j / Σ_i P_i·w(d_ij)`` over the origins within its catchment;
for each origin i, ``A_i = Σ_j R_j·w(d_ij)``. Distances are many-to-many network distances
limited to the catchment (one bounded search per service, in batches: capacity services
such as care homes are few), or straight line × detour factor without a network. The
decay ``w`` is a step function (bands) or Gaussian. Results equal PySAL ``access``
(tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from sqe_geo._errors import InputDataError
from sqe_geo.access.accessibility import METHOD_NETWORK, METHOD_STRAIGHT_LINE
from sqe_geo.access.graph_search import (
    augment_graph,
    distances_at_origins,
    same_edge_direct,
    snap_origins,
    source_edges,
)
from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.snapping import SnapResult, snap_points
from sqe_geo.access.walking import Walking
from sqe_geo.i18n.messages import Message

#: Default E2SFCA step bands in metres: Luo & Qi's 10/20/30-minute weights (1, 0.68, 0.22)
#: at about 50 m per minute of slow walking.
DEFAULT_E2SFCA_BANDS: tuple[tuple[float, float], ...] = (
    (500.0, 1.0),
    (1000.0, 0.68),
    (1500.0, 0.22),
)


@dataclass(frozen=True)
class Decay:
    """Distance decay and catchment of a floating catchment.

    Attributes
    ----------
    bands
        Step decay ``[(upper_m, weight), ...]``; ``None`` uses ``gaussian_sigma_m``.
    gaussian_sigma_m
        Gaussian decay width in metres (needs ``catchment_m``).
    exponential_m
        Exponential decay scale ``exp(-d / scale)`` in metres, used when ``bands`` and
        ``gaussian_sigma_m`` are None (needs ``catchment_m``).
    catchment_m
        Maximum distance; default: the last band's upper bound.
    """

    bands: Sequence[tuple[float, float]] | None = DEFAULT_E2SFCA_BANDS
    gaussian_sigma_m: float | None = None
    catchment_m: float | None = None
    exponential_m: float | None = None

    def catchment(self) -> float:
        """The catchment in metres (``catchment_m``, else the last band's upper bound).

        Raises
        ------
        InputDataError
            Neither a catchment nor bands are given.
        """
        if self.catchment_m is not None:
            return self.catchment_m
        if self.bands is None:
            raise InputDataError(Message("access.fca.gaussian_needs_catchment"))
        return max(b[0] for b in self.bands)


def decay_weights(
    distance_m: np.ndarray,
    *,
    bands: Sequence[tuple[float, float]] | None = None,
    gaussian_sigma_m: float | None = None,
    exponential_m: float | None = None,
) -> np.ndarray:
    """Distance-decay weights.

    Parameters
    ----------
    distance_m
        Distances in metres.
    bands
        Step bands ``[(upper_m, weight), ...]``: the weight of the first band whose upper
        bound is ≥ the distance (bounds inclusive, as in PySAL ``access.weights.step_fn``);
        0 beyond the last band.
    gaussian_sigma_m
        Gaussian decay ``exp(-d² / (2 σ²))`` (w(0) = 1), used when ``bands`` is None.
    exponential_m
        Exponential decay ``exp(-d / scale)`` (w(0) = 1), used when neither ``bands`` nor
        ``gaussian_sigma_m`` is given. None given: weight 1 (classic 2SFCA).

    Returns
    -------
    numpy.ndarray
        Weights of the same shape as ``distance_m``.
    """
    d = np.asarray(distance_m, dtype=float)
    if bands is not None:
        table = np.asarray(sorted(bands), dtype=float).reshape(-1, 2)
        if (table[:, 1] < 0).any():
            raise InputDataError(Message("access.fca.negative_band_weight"))
        pos = np.searchsorted(table[:, 0], d, side="left")
        weight = np.append(table[:, 1], 0.0)
        banded: np.ndarray = weight[np.minimum(pos, table.shape[0])]
        return banded
    if gaussian_sigma_m is not None:
        if gaussian_sigma_m <= 0:
            raise InputDataError(Message("access.fca.sigma_not_positive", sigma=gaussian_sigma_m))
        gaussian: np.ndarray = np.exp(-(d * d) / (2.0 * gaussian_sigma_m**2))
        return gaussian
    if exponential_m is not None:
        if exponential_m <= 0:
            raise InputDataError(Message("access.fca.scale_not_positive", scale=exponential_m))
        exponential: np.ndarray = np.exp(-d / exponential_m)
        return exponential
    return np.ones_like(d)


def _straight_fca_distances(
    origins_xy: np.ndarray, services_xy: np.ndarray, catchment_m: float, detour_factor: float
) -> tuple[sparse.coo_matrix, np.ndarray, str]:
    o_ok = np.isfinite(origins_xy).all(axis=1)
    s_ok = np.flatnonzero(np.isfinite(services_xy).all(axis=1))
    o_idx = np.flatnonzero(o_ok)
    pairs = cKDTree(services_xy[s_ok]).sparse_distance_matrix(
        cKDTree(origins_xy[o_idx]), catchment_m / detour_factor, output_type="ndarray"
    )
    coo = sparse.coo_matrix(
        (pairs["v"] * detour_factor, (s_ok[pairs["i"]], o_idx[pairs["j"]])),
        shape=(services_xy.shape[0], origins_xy.shape[0]),
    )
    return coo, o_ok, METHOD_STRAIGHT_LINE


def fca_distances(
    origins_xy: np.ndarray,
    services_xy: np.ndarray,
    *,
    catchment_m: float,
    network: WalkingNetwork | None = None,
    walking: Walking | None = None,
    origin_snap: SnapResult | None = None,
    batch_cells: int = 8_000_000,
) -> tuple[sparse.coo_matrix, np.ndarray, str]:
    """Service-to-origin distances within a catchment.

    Parameters
    ----------
    origins_xy, services_xy
        ``(n, 2)`` origin and ``(m, 2)`` service coordinates.
    catchment_m
        Maximum distance in metres.
    network
        Walking network; ``None`` uses straight line × detour factor.
    walking
        Maximum snap distance and detour factor (its cut-off is not used).
    origin_snap
        A precomputed snap of the origins.
    batch_cells
        Size of the distance blocks computed at once (services × nodes).

    Returns
    -------
    distances
        ``(n_services, n_origins)`` COO matrix of distances ≤ ``catchment_m`` (explicit
        entries, zeros included; absent = outside the catchment or unreachable).
    reachable
        ``(n_origins,)`` bool: the origin is on the network (always True for finite
        coordinates with the straight-line fallback).
    method
        ``"Netzdistanz"`` or ``"Luftlinie × Umwegfaktor"``.
    """
    walking = walking or Walking()
    origins_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    services_xy = np.asarray(services_xy, dtype=float).reshape(-1, 2)
    n_o, n_s = origins_xy.shape[0], services_xy.shape[0]
    if network is None:
        return _straight_fca_distances(origins_xy, services_xy, catchment_m, walking.detour_factor)
    o_snap = snap_origins(network, origins_xy, origin_snap, walking.max_snap_m)
    s_snap = snap_points(network, services_xy, max_snap_m=walking.max_snap_m)
    o_sel = np.flatnonzero(o_snap.snapped)
    s_all = np.flatnonzero(s_snap.snapped)
    rows, cols, vals = [], [], []
    batch = max(1, int(batch_cells // max(network.n_nodes, o_sel.size, 1)))
    for start in range(0, s_all.size, batch):  # a few batches of services, not origins
        s_sel = s_all[start : start + batch]
        srcs = [source_edges(network, s_snap, s_sel[k : k + 1]) for k in range(s_sel.size)]
        graph = augment_graph(network.graph, srcs)
        dist_nodes = dijkstra(
            graph,
            directed=True,
            indices=network.n_nodes + np.arange(s_sel.size),
            limit=catchment_m,
        )
        d = distances_at_origins(network, dist_nodes, o_snap, o_sel)  # (batch, n_sel)
        o_pos, s_pos, direct = same_edge_direct(o_snap, o_sel, s_snap, s_sel)
        if o_pos.size:
            np.minimum.at(d, (s_pos, o_pos), direct)
        r, c = np.nonzero(d <= catchment_m)
        rows.append(s_sel[r])
        cols.append(o_sel[c])
        vals.append(d[r, c])
    coo = sparse.coo_matrix(
        (
            np.concatenate([*vals, np.empty(0)]),
            (
                np.concatenate([*rows, np.empty(0, dtype=np.int64)]),
                np.concatenate([*cols, np.empty(0, dtype=np.int64)]),
            ),
        ),
        shape=(n_s, n_o),
    )
    return coo, o_snap.snapped.copy(), METHOD_NETWORK


def _fca(
    dist: sparse.coo_matrix,
    reachable: np.ndarray,
    demand: np.ndarray,
    supply: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    j, i = dist.row, dist.col
    weighted_demand = np.bincount(j, weights=demand[i] * weight, minlength=supply.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weighted_demand > 0, supply / weighted_demand, 0.0)
    access = np.bincount(i, weights=ratio[j] * weight, minlength=demand.size)
    access[~reachable] = np.nan
    return access


def _check_fca_inputs(
    origins_xy: np.ndarray, demand: np.ndarray, services_xy: np.ndarray, supply: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    origins_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    services_xy = np.asarray(services_xy, dtype=float).reshape(-1, 2)
    demand = np.asarray(demand, dtype=float)
    supply = np.asarray(supply, dtype=float)
    if demand.shape != (origins_xy.shape[0],):
        raise InputDataError(
            Message("access.fca.demand_length", n=demand.size, m=origins_xy.shape[0])
        )
    if supply.shape != (services_xy.shape[0],):
        raise InputDataError(
            Message("access.fca.supply_length", n=supply.size, m=services_xy.shape[0])
        )
    if not (np.isfinite(demand).all() and np.isfinite(supply).all()):
        raise InputDataError(Message("access.fca.not_finite"))
    if (demand < 0).any() or (supply < 0).any():
        raise InputDataError(Message("access.fca.negative"))
    return origins_xy, demand, services_xy, supply


def enhanced_two_step_fca(
    origins_xy: np.ndarray,
    demand: np.ndarray,
    services_xy: np.ndarray,
    supply: np.ndarray,
    *,
    decay: Decay | None = None,
    network: WalkingNetwork | None = None,
    walking: Walking | None = None,
    origin_snap: SnapResult | None = None,
) -> pd.Series:
    """Enhanced two-step floating catchment (E2SFCA) accessibility per origin.

    ``R_j = S_j / Σ_i P_i·w(d_ij)`` over origins within the catchment of service ``j``,
    ``A_i = Σ_j R_j·w(d_ij)``.

    Parameters
    ----------
    origins_xy, demand
        ``(n, 2)`` origin coordinates and ``(n,)`` residents (P_i) of the target group.
    services_xy, supply
        ``(m, 2)`` service coordinates and ``(m,)`` capacities (S_j, e.g. care places).
    decay
        Step bands or Gaussian width and the catchment (default: :class:`Decay`, the
        bands :data:`DEFAULT_E2SFCA_BANDS`).
    network
        Walking network; ``None`` uses straight line × detour factor.
    walking
        Maximum snap distance and detour factor.
    origin_snap
        A precomputed snap of the origins.

    Returns
    -------
    pandas.Series
        A_i per origin (capacity per resident; multiply by 1000 for "per 1,000"); 0 where no
        service is within the catchment, NaN where the origin is not on the network.
        ``attrs["method"]`` names the distance method.
    """
    decay = decay or Decay()
    catchment_m = decay.catchment()
    o_xy, demand, s_xy, supply = _check_fca_inputs(origins_xy, demand, services_xy, supply)
    dist, reachable, method = fca_distances(
        o_xy,
        s_xy,
        catchment_m=catchment_m,
        network=network,
        walking=walking,
        origin_snap=origin_snap,
    )
    weight = decay_weights(
        dist.data,
        bands=decay.bands,
        gaussian_sigma_m=decay.gaussian_sigma_m,
        exponential_m=decay.exponential_m,
    )
    result = pd.Series(_fca(dist, reachable, demand, supply, weight), name="e2sfca")
    result.attrs["method"] = method
    return result


def two_step_fca(
    origins_xy: np.ndarray,
    demand: np.ndarray,
    services_xy: np.ndarray,
    supply: np.ndarray,
    *,
    catchment_m: float,
    network: WalkingNetwork | None = None,
    walking: Walking | None = None,
    origin_snap: SnapResult | None = None,
) -> pd.Series:
    """Classic two-step floating catchment (2SFCA): weight 1 within ``catchment_m``.

    Same inputs and output as :func:`enhanced_two_step_fca`: it is E2SFCA with one step.

    Parameters
    ----------
    origins_xy, demand, services_xy, supply
        See :func:`enhanced_two_step_fca`.
    catchment_m
        The catchment in metres.
    network, walking, origin_snap
        See :func:`enhanced_two_step_fca`.

    Returns
    -------
    pandas.Series
        A_i per origin, named ``"2sfca"``.
    """
    result = enhanced_two_step_fca(
        origins_xy,
        demand,
        services_xy,
        supply,
        decay=Decay(bands=[(catchment_m, 1.0)], catchment_m=catchment_m),
        network=network,
        walking=walking,
        origin_snap=origin_snap,
    )
    return result.rename("2sfca")
