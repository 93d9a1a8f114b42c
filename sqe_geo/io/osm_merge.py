"""Merging OSM objects that are one place (a stop's platform, stop position and station).

OpenStreetMap maps many places several times: a tram stop as platform, stop position and
station; a shop as a node and as its building. :func:`merge_same_place` keeps one service
per place so that counts of nearby services are not inflated.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from sqe_geo.i18n.messages import Message
from sqe_geo.io.osm_presets import DEFAULT_MERGE_M
from sqe_geo.quality import QualityReport

__all__ = ["merge_same_place"]


def merge_same_place(
    services: gpd.GeoDataFrame,
    merge_m: Mapping[str, float],
    *,
    report: QualityReport | None = None,
    layer: str = "services",
    source: str = "",
) -> gpd.GeoDataFrame:
    """Merge OSM objects of one category that are one place into one service.

    Objects of the same category within ``merge_m[category]`` metres of each other (chains
    of such neighbours included) whose names agree, or that have no name, are one place: a
    stop's platform, stop position and station, or a shop mapped as a node and as a
    building. The first object (nodes before ways before relations) is kept, with the
    first non-empty name and the largest capacity; ``merged_ids`` lists the others.

    Returns
    -------
    geopandas.GeoDataFrame
        The services, one row per place, in the input's order and CRS.
    """
    if services.empty:
        return services.assign(merged_ids="")
    metric = (
        services.to_crs(services.estimate_utm_crs()) if services.crs.is_geographic else services
    )
    xy = np.column_stack([metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy()])
    category = services["category"].to_numpy(dtype=object)
    names = services["name"].fillna("").astype(str).str.strip().str.casefold().to_numpy()
    links = [np.empty((0, 2), dtype=np.int64)]
    for cat in pd.unique(category):
        distance = float(merge_m.get(cat, DEFAULT_MERGE_M))
        rows = np.flatnonzero(category == cat)
        if distance <= 0 or rows.size < 2:
            continue
        pairs = cKDTree(xy[rows]).query_pairs(distance, output_type="ndarray")
        if pairs.size:
            links.append(rows[pairs])
    pairs = np.concatenate(links)
    a, b = names[pairs[:, 0]], names[pairs[:, 1]]
    pairs = pairs[(a == "") | (b == "") | (a == b)]  # two named places side by side stay two
    graph = sparse.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(services),) * 2
    )
    _, group = connected_components(graph, directed=False)
    order = {"node": 0, "way": 1, "relation": 2}
    rank = services["osm_type"].map(order).fillna(3).to_numpy() if "osm_type" in services else 0
    frame = services.assign(_group=group, _rank=rank, _pos=np.arange(len(services)))
    frame = frame.sort_values(["_group", "_rank", "_pos"], kind="stable")
    keep = ~frame["_group"].duplicated()
    grouped = frame.groupby("_group", sort=False)
    first_name = grouped["name"].agg(lambda v: next((x for x in v if str(x).strip()), ""))
    others = grouped["service_id"].agg(lambda v: ";".join(list(v)[1:]))
    out = frame.loc[keep].copy()
    out["name"] = out["_group"].map(first_name).to_numpy()
    if "capacity" in out:
        out["capacity"] = out["_group"].map(grouped["capacity"].max()).to_numpy()
    out["merged_ids"] = out["_group"].map(others).to_numpy()
    out = out.sort_values("_pos").drop(columns=["_group", "_rank", "_pos"])
    merged = len(services) - len(out)
    if merged and report is not None:
        per_cat = (services["category"].value_counts() - out["category"].value_counts()).fillna(0)
        report.add(
            "osm_same_place_merged",
            layer,
            Message("io.osm.same_place_merged", source=source, n=merged, remaining=len(out)),
            severity="info",
            items=[f"{c}: {int(n)}" for c, n in per_cat.items() if n],
            count=merged,
        )
    return gpd.GeoDataFrame(out.reset_index(drop=True), crs=services.crs)
