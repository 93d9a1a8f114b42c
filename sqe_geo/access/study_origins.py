"""Residents' locations (origins) of a study and where its walking graph comes from.

The population raster, point layer or Zensus grid of a study gives where people live.
Each year's quarter counts are allocated onto those origins, weighted by the same age group,
so every year keeps its published totals exactly. Without residents' locations, residents
are spread evenly over 100 m cells of each quarter (reported).
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import platformdirs
import shapely

from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.network_cache import load_or_build_network
from sqe_geo.config import AGE_GROUPS
from sqe_geo.config_layers import NetworkConfig, PopulationGridConfig
from sqe_geo.i18n.messages import Message
from sqe_geo.io.layers import read_vector
from sqe_geo.population.dasymetric import allocate_dasymetric, reallocate_to_year
from sqe_geo.population.points import origins_from_points
from sqe_geo.population.residents import origins_from_raster
from sqe_geo.population.zensus import zensus_to_origins
from sqe_geo.quality import QualityReport

__all__ = [
    "FALLBACK_CELL_M",
    "base_origins",
    "cache_folder",
    "even_cells",
    "origins_per_year",
    "spread_unlocated",
    "study_network",
]

#: Cell size of the even spread used when a study has no residents' locations.
FALLBACK_CELL_M = 100.0
_RASTER_SUFFIXES = {".tif", ".tiff", ".vrt"}


def cache_folder() -> Path:
    """Where built walking graphs are cached.

    Returns
    -------
    pathlib.Path
        ``SQE_GEO_CACHE``, else the user's cache folder of the platform
        (``~/.cache/sqe-geo`` on Linux, from platformdirs).
    """
    if "SQE_GEO_CACHE" in os.environ:
        return Path(os.environ["SQE_GEO_CACHE"])
    return Path(platformdirs.user_cache_dir("sqe-geo", appauthor=False))


def study_network(
    network: NetworkConfig | None, analysis_crs: str, report: QualityReport
) -> WalkingNetwork | None:
    """The walking graph of a study's ``[network]`` (from the cache when up to date).

    Parameters
    ----------
    network
        The study's network section; ``None``: no network.
    analysis_crs
        The metric CRS of the analysis.
    report
        Receives the findings of the build.

    Returns
    -------
    WalkingNetwork or None
    """
    if network is None:
        return None
    return load_or_build_network(
        network.source(),
        cache_folder(),
        crs=analysis_crs,
        source_crs=network.crs,
        report=report,
    )


def even_cells(quarters: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Centres of a regular grid of :data:`FALLBACK_CELL_M` cells inside the quarters.

    Parameters
    ----------
    quarters
        Quarter polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        ``origin_id`` (``e0``, ``e1`` …) and point geometry.
    """
    xmin, ymin, xmax, ymax = quarters.total_bounds
    xs = np.arange(xmin + FALLBACK_CELL_M / 2, xmax, FALLBACK_CELL_M)
    ys = np.arange(ymin + FALLBACK_CELL_M / 2, ymax, FALLBACK_CELL_M)
    gx, gy = np.meshgrid(xs, ys)
    points = shapely.points(gx.ravel(), gy.ravel())
    inside = shapely.STRtree(quarters.geometry.values).query(points, predicate="within")[0]
    points = cast("npt.NDArray[np.object_]", points)[np.unique(inside)]  # arrays in: an array
    return gpd.GeoDataFrame(
        {"origin_id": [f"e{i}" for i in range(len(points))]}, geometry=points, crs=quarters.crs
    )


def base_origins(
    quarters: gpd.GeoDataFrame,
    grid: PopulationGridConfig | None,
    grid_cells: gpd.GeoDataFrame | None,
    analysis_crs: str,
    report: QualityReport,
) -> tuple[gpd.GeoDataFrame, str | None]:
    """Residents' locations of the study and the column family used as weights.

    Parameters
    ----------
    quarters
        Quarters with ``quarter_id`` and geometry, in the analysis CRS.
    grid
        The study's ``population_grid`` section (``None``: no residents' locations).
    grid_cells
        Zensus grid cells already read by the study, if any.
    analysis_crs
        The metric CRS of the analysis.
    report
        Receives how the residents were located.

    Returns
    -------
    tuple
        The origins and the weight family (``"zensus"``, ``"raster"``, ``"points"`` or
        ``None`` for an even spread).
    """
    frame = quarters[["quarter_id", "geometry"]]
    if grid is None:
        report.add(
            "residents_spread_evenly",
            "population",
            Message("access.study.spread_evenly", cell=f"{FALLBACK_CELL_M:g}"),
        )
        return even_cells(quarters), None
    path = Path(grid.path)
    if grid_cells is not None:
        return zensus_to_origins(grid_cells, frame, report=report), "zensus"
    if path.suffix.lower() in _RASTER_SUFFIXES:
        mapping = dict(grid.bands) if grid.bands else None
        return origins_from_raster(path, frame, band_groups=mapping, report=report), "raster"
    points = read_vector(
        path,
        target_crs=analysis_crs,
        what="population_grid",
        layer=grid.layer,
        crs=grid.crs,
        x_column=grid.x_column,
        y_column=grid.y_column,
        report=report,
    )
    if grid.bands:
        origins = origins_from_points(points, frame, count_columns=dict(grid.bands), report=report)
        return origins, "points"
    origins = points.assign(origin_id=[f"a{i}" for i in range(len(points))])
    return origins[["origin_id", "geometry"]], None


def spread_unlocated(
    quarters: gpd.GeoDataFrame, base: gpd.GeoDataFrame, report: QualityReport
) -> tuple[gpd.GeoDataFrame, list[Hashable]]:
    """Add an even grid of origins to quarters that have no residents' location at all.

    Used when the study sets ``[accessibility] unlocated_residents = "even_grid"``; the
    quarters returned are flagged as an approximation wherever their figures appear.

    Parameters
    ----------
    quarters
        Quarters with ``quarter_id``, ``name`` and geometry.
    base
        The residents' locations.
    report
        Receives the quarters spread evenly.

    Returns
    -------
    tuple
        The origins with the added cells and the ids of the quarters spread evenly.
    """
    quarters = quarters[["quarter_id", "name", "geometry"]]
    hit = shapely.STRtree(base.geometry.values).query(
        quarters.geometry.values, predicate="intersects"
    )[0]
    empty = quarters[~np.isin(np.arange(len(quarters)), hit)]
    if empty.empty:
        return base, []
    cells = even_cells(empty)
    if cells.empty:
        return base, []
    cells["origin_id"] = "grid" + cells["origin_id"].str[1:]
    inside = cells.sjoin(empty[["quarter_id", "geometry"]], predicate="within", how="left")
    inside = inside[~inside.index.duplicated()]
    if "quarter_id" in base.columns:
        cells["quarter_id"] = inside["quarter_id"].to_numpy()
    for column in ("total", *AGE_GROUPS):
        if column in base.columns:
            cells[column] = 1.0
    spread = sorted(set(inside["quarter_id"].dropna()))
    names = empty.set_index("quarter_id").loc[spread, "name"].astype(str)
    report.add(
        "residents_spread_even_grid",
        "population",
        Message(
            "access.study.spread_even_grid",
            n=len(spread),
            cells=len(cells),
            cell=f"{FALLBACK_CELL_M:g}",
        ),
        items=list(names),
    )
    merged = pd.concat([base, cells[[c for c in base.columns if c in cells.columns]]])
    return gpd.GeoDataFrame(merged.reset_index(drop=True), crs=base.crs), spread


def origins_per_year(
    quarters: gpd.GeoDataFrame,
    demographics: pd.DataFrame,
    base: gpd.GeoDataFrame,
    weights: str | None,
    report: QualityReport,
) -> dict[int, gpd.GeoDataFrame]:
    """Allocate each year's quarter counts onto the same origins (totals preserved).

    Parameters
    ----------
    quarters
        Quarters with ``quarter_id`` and geometry.
    demographics
        Counts per ``quarter_id`` and ``year`` (``total`` and the age groups).
    base
        The residents' locations.
    weights
        The weight family of ``base`` (``None``: spread by area).
    report
        Receives what the allocation could not place.

    Returns
    -------
    dict
        Origins with resident counts per year, ascending.
    """
    out: dict[int, gpd.GeoDataFrame] = {}
    frame = quarters[["quarter_id", "geometry"]]
    groups = ["total", *[g for g in AGE_GROUPS if g in demographics.columns]]
    for year in sorted(int(y) for y in demographics["year"].unique()):
        counts = (
            demographics[demographics["year"] == year].set_index("quarter_id")[groups].fillna(0.0)
        )
        if weights is None:
            out[year] = allocate_dasymetric(counts, frame, base, report=report)
        else:
            out[year] = reallocate_to_year(counts, frame, base, by_group=True, report=report)
    return out
