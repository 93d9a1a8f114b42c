"""Walking accessibility of a study: from the study file to count columns per quarter.

This module maps the study configuration onto the engine (:mod:`sqe_geo.access.network`,
:mod:`sqe_geo.access.accessibility`, :mod:`sqe_geo.population.residents`):

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
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import platformdirs
import shapely

from sqe_geo.access.accessibility import (
    GROUPS,
    METHOD_STRAIGHT_LINE,
    access_leg_summary,
    cut_off_from_services,
    nearest_distances,
    nearest_distances_straight,
)
from sqe_geo.access.catchment import enhanced_two_step_fca
from sqe_geo.access.coverage import location_columns, more_key, quarter_counts, weighted_median
from sqe_geo.access.network import WalkingNetwork, load_or_build_network, points_xy, snap_points
from sqe_geo.config import AGE_GROUPS, StudyConfig
from sqe_geo.io.layers import read_vector
from sqe_geo.population.dasymetric import (
    allocate_dasymetric,
    fallback_quarters,
    reallocate_to_year,
)
from sqe_geo.population.points import origins_from_points
from sqe_geo.population.residents import origins_from_raster
from sqe_geo.population.zensus import zensus_to_origins
from sqe_geo.quality import QualityReport
from sqe_geo.stats.aggregate import CITY_ID, LEVELS, Level
from sqe_geo.stats.status import is_not_computed, quarter_status, status_label
from sqe_geo.study import Study

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
    #: Status code per ``(quarter_id, year)`` and category ("" computed; see
    #: :func:`sqe_geo.stats.status.quarter_status`).
    status: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Access legs of the residents' locations (see :func:`access_leg_summary`); empty
    #: without a network.
    access_legs: dict[str, float] = field(default_factory=dict)


def cache_folder() -> Path:
    """Where built walking graphs are cached: ``SQE_GEO_CACHE``, else the user's cache
    folder of the platform (``~/.cache/sqe-geo`` on Linux, from platformdirs)."""
    if "SQE_GEO_CACHE" in os.environ:
        return Path(os.environ["SQE_GEO_CACHE"])
    return Path(platformdirs.user_cache_dir("sqe-geo", appauthor=False))


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
    points = cast("npt.NDArray[np.object_]", points)[np.unique(inside)]  # arrays in: an array
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


def spread_unlocated(
    study: Study, base: gpd.GeoDataFrame, report: QualityReport
) -> tuple[gpd.GeoDataFrame, list[Hashable]]:
    """Add an even grid of origins to quarters that have no residents' location at all.

    Used when the study sets ``[accessibility] unlocated_residents = "even_grid"``; the
    quarters returned are flagged as an approximation wherever their figures appear.
    """
    quarters = study.quarters[["quarter_id", "name", "geometry"]]
    hit = shapely.STRtree(base.geometry.values).query(
        quarters.geometry.values, predicate="intersects"
    )[0]
    empty = quarters[~np.isin(np.arange(len(quarters)), hit)]
    if empty.empty:
        return base, []
    cells = _even_cells(empty)
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
        f"{len(spread)} quarter(s) have no residents' location inside; as the study asks "
        f'(unlocated_residents = "even_grid"), their residents are spread evenly over '
        f"{len(cells)} cells of {FALLBACK_CELL_M:g} m. Their accessibility figures are an "
        "approximation and flagged as such.",
        items=list(names),
    )
    merged = pd.concat([base, cells[[c for c in base.columns if c in cells.columns]]])
    return gpd.GeoDataFrame(merged.reset_index(drop=True), crs=base.crs), spread


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
    # further thresholds of a category count on the same distances under their own key
    aliases = {alias: alias.rsplit("_", 1)[0] for alias in _more_limits(config, categories)}
    limits.update(_more_limits(config, categories))
    base, weights = base_origins(study, report)
    approximated: list[Hashable] = []
    if config.population_grid is None:
        approximated = study.quarters["quarter_id"].tolist()
    elif acc.unlocated_residents == "even_grid":
        base, approximated = spread_unlocated(study, base, report)
    per_year = origins_per_year(study, base, weights, report)
    # origins sit at the same places every year: compute distances once for all of them
    every = pd.concat(list(per_year.values())).drop_duplicates("origin_id")
    xy = points_xy(every)
    ids = every["origin_id"].tolist()
    network = _network(study, report)
    cutoff = max(acc.cutoff_m, *limits.values())
    cut_off = pd.DataFrame(False, index=pd.Index(ids), columns=categories)
    legs: dict[str, float] = {}
    if network is not None:
        snap = snap_points(network, xy, max_snap_m=acc.max_snap_m)
        distances = nearest_distances(
            network, xy, services, categories, cutoff_m=cutoff, max_snap_m=acc.max_snap_m,
            id_column="service_id", origin_ids=ids, origin_snap=snap, report=report,
        )  # fmt: skip
        cut_off = cut_off_from_services(
            network, snap, services, categories, max_snap_m=acc.max_snap_m
        ).set_axis(pd.Index(ids))
        legs = access_leg_summary(snap)
        _report_access_legs(legs, report)
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
    frames: list[pd.DataFrame] = []
    medians: dict[Level, list[pd.DataFrame]] = {level: [] for level in LEVELS}
    by_year: dict[int, pd.DataFrame] = {}
    statuses = []
    for year, origins in per_year.items():
        year_distances = distances.loc[origins["origin_id"]]
        by_year[year] = year_distances
        e2sfca = _e2sfca(study, origins, network, capacity_cats)
        aliased = year_distances.assign(**{a: year_distances[c] for a, c in aliases.items()})
        counts = quarter_counts(
            origins, aliased.reset_index(drop=True), limits, e2sfca=e2sfca,
            services_quarter=in_quarter["quarter_id"], services_category=in_quarter["category"],
            quarter_ids=study.quarters["quarter_id"].tolist(),
        )  # fmt: skip
        status = quarter_status(
            origins, cut_off.loc[origins["origin_id"]].reset_index(drop=True),
            not_located=fallback_quarters(origins), approximated=approximated,
            max_unlocated_share=acc.max_unlocated_share,
            quarter_ids=study.quarters["quarter_id"].tolist(),
        )  # fmt: skip
        counts = _mask_not_computed(counts, status, aliases)
        failed = is_not_computed(status).reindex(origins["quarter_id"]).to_numpy()
        counts["year"] = year
        frames.append(counts.set_index("year", append=True))
        statuses.append(status.assign(year=year).set_index("year", append=True))
        keys: dict[Level, np.ndarray] = {
            "quarter": origins["quarter_id"].to_numpy(),
            "planning_area": origins["quarter_id"].map(quarter_area).to_numpy(),
            "city": np.full(len(origins), CITY_ID),
        }
        for level, by in keys.items():
            columns = {}
            for cat in categories:
                for group in MEDIAN_GROUPS:
                    if group in origins.columns:
                        # not-computed quarters are left out of every level's median
                        weight = np.where(
                            failed[:, categories.index(cat)], 0.0, origins[group].to_numpy()
                        )
                        columns[f"median_{cat}_{group}"] = weighted_median(
                            year_distances[cat].to_numpy(), weight, by=by
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
    all_status = pd.concat(statuses)
    _report_not_computed(all_status, study, report)
    return AccessibilityResult(
        counts=all_counts,
        level_values={level: pd.concat(parts) for level, parts in medians.items()},
        origins=per_year,
        distances=by_year,
        method=method,
        status=all_status,
        access_legs=legs,
    )


def _more_limits(config: StudyConfig, categories: list[str]) -> dict[str, float]:
    assert config.services is not None
    return {
        more_key(c, m): m
        for c in categories
        for m in config.services.categories[c].more_thresholds_m
    }


def _mask_not_computed(
    counts: pd.DataFrame, status: pd.DataFrame, aliases: dict[str, str] | None = None
) -> pd.DataFrame:
    """NaN for the location-dependent counts of not-computed quarters and categories."""
    counts = counts.copy()
    groups = [g for g in GROUPS if f"origins_{g}" in counts.columns]
    failed = is_not_computed(status).reindex(counts.index).fillna(False)
    keys = {cat: [cat] for cat in status.columns}
    for alias, cat in (aliases or {}).items():
        keys.setdefault(cat, []).append(alias)
    for cat in status.columns:
        rows = failed[cat].to_numpy(dtype=bool)
        if rows.any():
            columns = [
                c for key in keys[cat] for c in location_columns(key, groups) if c in counts.columns
            ]
            counts[columns] = counts[columns].astype(float)
            counts.loc[rows, columns] = np.nan
    return counts


def _report_not_computed(status: pd.DataFrame, study: Study, report: QualityReport) -> None:
    names = study.quarters.set_index("quarter_id")["name"].astype(str)
    failed: list[str] = []
    approximate: list[str] = []
    for index, row in status.iterrows():
        quarter, year = cast("tuple[str, int]", index)  # (quarter_id, year)
        for cat, code in row.items():
            if not code:
                continue
            item = f"{names.get(quarter, quarter)} ({year}, {cat}): {status_label(code, 'en')}"
            (failed if is_not_computed(code) else approximate).append(item)
    if failed:
        report.add(
            "accessibility_not_computed",
            "accessibility",
            f'{len(failed)} quarter/category figure(s) are not computed ("nicht berechnet", '
            "never 0 % or 100 %): the residents could not be located, or more than "
            f"{study.config.accessibility.max_unlocated_share:.0%} of the older residents lie "
            "beyond the snap distance or on a network island without the service. Planning "
            "areas and the city are computed from the other quarters and marked as partial.",
            items=failed,
        )
    if approximate:
        report.add(
            "accessibility_approximation",
            "accessibility",
            f"{len(approximate)} quarter/category figure(s) rest on residents spread evenly "
            "over the quarter (an approximation, flagged in every output).",
            severity="info",
            items=approximate,
        )


def _report_access_legs(legs: dict[str, float], report: QualityReport) -> None:
    if not legs.get("count"):
        return
    report.add(
        "access_legs",
        "network",
        f"Access legs (straight link from residents' locations to the walking network): "
        f"{legs['count']:,} locations, median {legs['median_m']:.0f} m, maximum "
        f"{legs['max_m']:.0f} m, {legs['over_100_m']:,} longer than 100 m.",
        severity="info",
        count=int(legs["over_100_m"]),
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
            bands=[(lo, w) for lo, w in e2.steps] if e2.decay == "step" else None,
            gaussian_sigma_m=e2.catchment_m / 2 if e2.decay == "gaussian" else None,
            catchment_m=e2.catchment_m,
            network=network,
            max_snap_m=acc.max_snap_m,
            detour_factor=acc.detour_factor,
        )
        out[cat] = result.to_numpy()
    return pd.DataFrame(out)
