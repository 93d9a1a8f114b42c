"""Walking accessibility of a study: from the study file to count columns per quarter.

This module maps the study configuration onto the engine (:mod:`sqe_geo.network`,
:mod:`sqe_geo.accessibility`, :mod:`sqe_geo.population`):

1. *Residents' locations* (origins): the population raster or point layer of the study
   gives where people live. Each year's quarter counts are allocated onto those origins,
   weighted by the same age group of the raster, so every year keeps its published totals
   exactly. Without a raster, residents are spread evenly over 100 m cells of each quarter
   (reported).
2. *Distances*: one multi-source network search per category (origins do not move between
   years, so distances are computed once), or straight line × detour factor without a
   network (flagged as such in every output).
3. *Counts*: residents within each category's threshold, unreachable residents, distance
   sums, E2SFCA sums for capacity-bound categories, services per quarter — all additive,
   so planning areas and the city are sums. Medians are computed per level from origins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo.accessibility import (
    METHOD_STRAIGHT_LINE,
    nearest_distances,
    nearest_distances_straight,
)
from sqe_geo.aggregate import CITY_ID, Level
from sqe_geo.catchment import enhanced_two_step_fca
from sqe_geo.config import AGE_GROUPS, StudyConfig
from sqe_geo.coverage import quarter_counts, weighted_median
from sqe_geo.layers import read_vector
from sqe_geo.network import WalkingNetwork, load_or_build_network, points_xy
from sqe_geo.population import (
    allocate_dasymetric,
    origins_from_points,
    origins_from_raster,
    reallocate_to_year,
)
from sqe_geo.quality import QualityReport
from sqe_geo.study import Study
from sqe_geo.zensus import zensus_to_origins

#: Cell size of the even spread used when a study has no residents' locations.
FALLBACK_CELL_M = 100.0
#: Age groups whose median distance is published.
MEDIAN_GROUPS = ("older", "oldest_old")
_RASTER_SUFFIXES = {".tif", ".tiff", ".vrt"}


@dataclass
class AccessibilityResult:
    """Count columns per quarter and what the app needs to show origins."""

    counts: pd.DataFrame
    level_values: dict[Level, pd.DataFrame]
    origins: dict[int, gpd.GeoDataFrame] = field(default_factory=dict)
    distances: dict[int, pd.DataFrame] = field(default_factory=dict)
    method: str = ""


def cache_folder() -> Path:
    """Where built walking graphs are cached (``SQE_GEO_CACHE`` or the user cache)."""
    if "SQE_GEO_CACHE" in os.environ:
        return Path(os.environ["SQE_GEO_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sqe-geo"


def thresholds_m(config: StudyConfig, categories: list[str]) -> dict[str, float]:
    """Coverage threshold per category in metres (minutes converted at walking speed)."""
    assert config.services is not None
    speed = config.accessibility.walking_speed_mps
    out = {}
    for key in categories:
        cat = config.services.categories[key]
        if cat.threshold_min is not None:
            out[key] = cat.threshold_min * 60.0 * speed
        else:
            out[key] = cat.threshold_m if cat.threshold_m is not None else 1000.0
    return out


def _even_cells(quarters: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    xmin, ymin, xmax, ymax = quarters.total_bounds
    xs = np.arange(xmin + FALLBACK_CELL_M / 2, xmax, FALLBACK_CELL_M)
    ys = np.arange(ymin + FALLBACK_CELL_M / 2, ymax, FALLBACK_CELL_M)
    gx, gy = np.meshgrid(xs, ys)
    points = shapely.points(gx.ravel(), gy.ravel())
    inside = shapely.STRtree(quarters.geometry.values).query(points, predicate="within")[0]
    points = points[np.unique(inside)]
    return gpd.GeoDataFrame(
        {"origin_id": [f"e{i}" for i in range(len(points))]}, geometry=points, crs=quarters.crs
    )


def base_origins(study: Study, report: QualityReport) -> tuple[gpd.GeoDataFrame, str | None]:
    """Residents' locations of the study and the column family used as weights."""
    grid = study.config.population_grid
    quarters = study.quarters[["quarter_id", "geometry"]]
    if grid is None:
        report.add(
            "residents_spread_evenly",
            "population",
            "The study names no residents' locations (population_grid); residents are spread "
            f"evenly over {FALLBACK_CELL_M:g} m cells of each quarter. Accessibility figures "
            "are rough.",
        )
        return _even_cells(study.quarters), None
    path = Path(grid.path)
    if study.grid_cells is not None:
        origins = zensus_to_origins(study.grid_cells, quarters, report=report)
        return origins, "zensus"
    if path.suffix.lower() in _RASTER_SUFFIXES:
        mapping = dict(grid.bands) if grid.bands else None
        return origins_from_raster(path, quarters, band_groups=mapping, report=report), "raster"
    points = read_vector(
        path,
        target_crs=study.config.analysis_crs,
        what="population_grid",
        layer=grid.layer,
        crs=grid.crs,
        x_column=grid.x_column,
        y_column=grid.y_column,
        report=report,
    )
    if grid.bands:
        origins = origins_from_points(
            points, quarters, count_columns=dict(grid.bands), report=report
        )
        return origins, "points"
    origins = points.assign(origin_id=[f"a{i}" for i in range(len(points))])
    return origins[["origin_id", "geometry"]], None


def origins_per_year(
    study: Study, base: gpd.GeoDataFrame, weights: str | None, report: QualityReport
) -> dict[int, gpd.GeoDataFrame]:
    """Allocate each year's quarter counts onto the same origins (totals preserved)."""
    out: dict[int, gpd.GeoDataFrame] = {}
    quarters = study.quarters[["quarter_id", "geometry"]]
    groups = ["total", *[g for g in AGE_GROUPS if g in study.demographics.columns]]
    for year in study.years:
        counts = (
            study.demographics[study.demographics["year"] == year]
            .set_index("quarter_id")[groups]
            .fillna(0.0)
        )
        if weights is None:
            out[year] = allocate_dasymetric(counts, quarters, base, report=report)
        else:
            out[year] = reallocate_to_year(counts, quarters, base, by_group=True, report=report)
    return out


def _network(study: Study, report: QualityReport) -> WalkingNetwork | None:
    nc = study.config.network
    if nc is None:
        return None
    return load_or_build_network(
        nc.path,
        cache_folder(),
        crs=study.config.analysis_crs,
        source_crs=nc.crs,
        report=report,
    )


def accessibility_counts(study: Study, report: QualityReport) -> AccessibilityResult:
    """Accessibility count columns per ``(quarter_id, year)`` and medians per level.

    Parameters
    ----------
    study
        A loaded study with services.
    report
        Receives unreachable origins, unsnapped services, the distance method, …

    Returns
    -------
    AccessibilityResult
        ``counts`` indexed by ``(quarter_id, year)``; ``level_values`` with the median
        distance columns ``median_{cat}_{group}`` per level; origins and distances per year.
    """
    config = study.config
    acc = config.accessibility
    services = study.services
    assert services is not None and config.services is not None
    categories = [c for c in config.services.categories if c in set(services["category"])]
    limits = thresholds_m(config, categories)
    base, weights = base_origins(study, report)
    per_year = origins_per_year(study, base, weights, report)
    # origins sit at the same places every year: compute distances once for all of them
    every = pd.concat(list(per_year.values())).drop_duplicates("origin_id")
    xy = points_xy(every)
    ids = every["origin_id"].tolist()
    network = _network(study, report)
    cutoff = max(acc.cutoff_m, *limits.values())
    if network is not None:
        distances = nearest_distances(
            network, xy, services, categories, cutoff_m=cutoff, max_snap_m=acc.max_snap_m,
            id_column="service_id", origin_ids=ids, report=report,
        )  # fmt: skip
    else:
        distances = nearest_distances_straight(
            xy, services, categories, detour_factor=acc.detour_factor, cutoff_m=cutoff,
            id_column="service_id", origin_ids=ids, report=report,
        )  # fmt: skip
        report.add(
            "straight_line_distances",
            "network",
            f"The study has no walking network: distances are {METHOD_STRAIGHT_LINE} "
            f"({acc.detour_factor:g}).",
        )
    method = str(distances.attrs.get("method", ""))
    capacity_cats = [c for c in categories if config.services.categories[c].capacity]
    in_quarter = services.sjoin(
        study.quarters[["quarter_id", "geometry"]], predicate="within", how="left"
    )
    in_quarter = in_quarter[~in_quarter.index.duplicated()]
    quarter_area = study.quarters.set_index("quarter_id")["planning_area"]
    frames, medians = [], {level: [] for level in ("quarter", "planning_area", "city")}
    by_year: dict[int, pd.DataFrame] = {}
    for year, origins in per_year.items():
        year_distances = distances.loc[origins["origin_id"]]
        by_year[year] = year_distances
        e2sfca = _e2sfca(study, origins, network, capacity_cats)
        counts = quarter_counts(
            origins, year_distances.reset_index(drop=True), limits, e2sfca=e2sfca,
            services_quarter=in_quarter["quarter_id"], services_category=in_quarter["category"],
            quarter_ids=study.quarters["quarter_id"].tolist(),
        )  # fmt: skip
        counts["year"] = year
        frames.append(counts.set_index("year", append=True))
        keys = {
            "quarter": origins["quarter_id"].to_numpy(),
            "planning_area": origins["quarter_id"].map(quarter_area).to_numpy(),
            "city": np.full(len(origins), CITY_ID),
        }
        for level, by in keys.items():
            columns = {}
            for cat in categories:
                for group in MEDIAN_GROUPS:
                    if group in origins.columns:
                        columns[f"median_{cat}_{group}"] = weighted_median(
                            year_distances[cat].to_numpy(), origins[group].to_numpy(), by=by
                        )
            table = pd.DataFrame(columns)
            table.index = pd.MultiIndex.from_product(
                [table.index.astype(str), [year]], names=["unit_id", "year"]
            )
            medians[level].append(table)
    report.add(
        "distance_method",
        "network",
        f"Distances: {method}; walking speed {acc.walking_speed_mps:g} m/s; maximum snap "
        f"distance {acc.max_snap_m:g} m; thresholds "
        + ", ".join(f"{k} {v:g} m" for k, v in limits.items()),
        severity="info",
    )
    all_counts = pd.concat(frames)
    all_counts.index = all_counts.index.set_names(["quarter_id", "year"])
    return AccessibilityResult(
        counts=all_counts,
        level_values={level: pd.concat(parts) for level, parts in medians.items()},
        origins=per_year,
        distances=by_year,
        method=method,
    )


def _e2sfca(
    study: Study,
    origins: gpd.GeoDataFrame,
    network: WalkingNetwork | None,
    categories: list[str],
) -> pd.DataFrame | None:
    if not categories:
        return None
    acc = study.config.accessibility
    e2 = acc.e2sfca
    services = study.services
    assert services is not None
    group = e2.population_group if e2.population_group in origins.columns else "total"
    out = {}
    for cat in categories:
        sub = services[services["category"] == cat]
        result = enhanced_two_step_fca(
            points_xy(origins),
            origins[group].to_numpy(dtype=float),
            points_xy(sub),
            sub["capacity"].fillna(0.0).to_numpy(dtype=float),
            bands=[tuple(b) for b in e2.steps] if e2.decay == "step" else None,
            gaussian_sigma_m=e2.catchment_m / 2 if e2.decay == "gaussian" else None,
            catchment_m=e2.catchment_m,
            network=network,
            max_snap_m=acc.max_snap_m,
            detour_factor=acc.detour_factor,
        )
        out[cat] = result.to_numpy()
    return pd.DataFrame(out)
