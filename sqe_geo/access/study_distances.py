"""Distances and floating catchments of a study's residents' locations."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from sqe_geo.access.accessibility import (
    METHOD_STRAIGHT_LINE,
    access_leg_summary,
    cut_off_from_services,
    nearest_distances,
)
from sqe_geo.access.catchment import Decay, enhanced_two_step_fca
from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.snapping import points_xy, snap_points
from sqe_geo.access.straight_line import nearest_distances_straight
from sqe_geo.access.walking import Origins, ServiceLayer, Walking
from sqe_geo.config import AccessibilityConfig
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport

__all__ = ["e2sfca_values", "origin_distances"]


def origin_distances(
    network: WalkingNetwork | None,
    every: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    categories: list[str],
    walking: Walking,
    report: QualityReport,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Distances of all origins, which are cut off from a category, and the access legs.

    Parameters
    ----------
    network
        The walking network; ``None``: straight line × detour factor.
    every
        All residents' locations (``origin_id`` and point geometry).
    services
        The services (``service_id``, ``category``).
    categories
        Categories to compute.
    walking
        Cut-off, snap distance and detour factor.
    report
        Receives unsnapped points, the straight-line note and the access legs.

    Returns
    -------
    tuple
        Distances (origins × categories, indexed by ``origin_id``), cut-off flags of the
        same shape, and the access-leg summary (empty without a network).
    """
    xy = points_xy(every)
    ids = every["origin_id"].tolist()
    layer = ServiceLayer(id_column="service_id")
    if network is None:
        distances = nearest_distances_straight(
            Origins(xy, ids), services, categories, walking=walking, layer=layer, report=report
        )
        report.add(
            "straight_line_distances",
            "network",
            Message(
                "access.study.straight_line",
                method=METHOD_STRAIGHT_LINE,
                factor=f"{walking.detour_factor:g}",
            ),
        )
        cut_off = pd.DataFrame(False, index=pd.Index(ids), columns=categories)
        return distances, cut_off, {}
    snap = snap_points(network, xy, max_snap_m=walking.max_snap_m)
    distances = nearest_distances(
        network, Origins(xy, ids, snap), services, categories,
        walking=walking, layer=layer, report=report,
    )  # fmt: skip
    cut_off = cut_off_from_services(
        network, snap, services, categories, max_snap_m=walking.max_snap_m
    ).set_axis(pd.Index(ids))
    legs = access_leg_summary(snap)
    _report_access_legs(legs, report)
    return distances, cut_off, legs


def _report_access_legs(legs: dict[str, float], report: QualityReport) -> None:
    if not legs.get("count"):
        return
    report.add(
        "access_legs",
        "network",
        Message(
            "access.study.access_legs",
            count=f"{legs['count']:,}",
            median=f"{legs['median_m']:.0f}",
            max=f"{legs['max_m']:.0f}",
            over=f"{legs['over_100_m']:,}",
        ),
        severity="info",
        count=int(legs["over_100_m"]),
    )


def e2sfca_values(
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    categories: list[str],
    network: WalkingNetwork | None,
    acc: AccessibilityConfig,
) -> pd.DataFrame | None:
    """E2SFCA accessibility A_i per origin of the capacity-bound categories.

    Parameters
    ----------
    origins
        Residents' locations with resident counts.
    services
        The services (``category``, ``capacity``).
    categories
        The capacity-bound categories (none: ``None``).
    network
        The walking network; ``None``: straight line × detour factor.
    acc
        The ``[accessibility]`` section (E2SFCA settings, snap distance, detour factor).

    Returns
    -------
    pandas.DataFrame or None
        Origins × categories, positional index.
    """
    if not categories:
        return None
    e2 = acc.e2sfca
    group = e2.population_group if e2.population_group in origins.columns else "total"
    decay = Decay(
        bands=[(lo, w) for lo, w in e2.steps] if e2.decay == "step" else None,
        gaussian_sigma_m=e2.catchment_m / 2 if e2.decay == "gaussian" else None,
        catchment_m=e2.catchment_m,
    )
    walking = Walking(max_snap_m=acc.max_snap_m, detour_factor=acc.detour_factor)
    out = {}
    for cat in categories:
        sub = services[services["category"] == cat]
        result = enhanced_two_step_fca(
            points_xy(origins),
            origins[group].to_numpy(dtype=float),
            points_xy(sub),
            sub["capacity"].fillna(0.0).to_numpy(dtype=float),
            decay=decay,
            network=network,
            walking=walking,
        )
        out[cat] = result.to_numpy()
    return pd.DataFrame(out)
