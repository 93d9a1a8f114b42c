"""Walking accessibility of a study: from its data and settings to count columns per quarter.

This module maps the study's data and configuration onto the engine
(:mod:`sqe_geo.access`); :mod:`sqe_geo.pipeline` passes the data
(:class:`~sqe_geo.access.study_inputs.AccessInputs`) and the configuration parts
(:class:`~sqe_geo.access.study_inputs.AccessSettings`), never the whole study:

1. *Residents' locations* (origins, :mod:`sqe_geo.access.study_origins`): the population
   raster or point layer of the study gives where people live. Each year's quarter counts
   are allocated onto those origins, weighted by the same age group of the raster, so every
   year keeps its published totals exactly. Without a raster, residents are spread evenly
   over 100 m cells of each quarter (reported).
2. *Distances*: one multi-source network search per category (origins do not move between
   years, so distances are computed once), or straight line × detour factor without a
   network (flagged as such in every output).
3. *Counts*: residents within each category's threshold, unreachable residents, distance
   sums, E2SFCA sums for capacity-bound categories, services per quarter — all additive,
   so planning areas and the city are sums. Medians are computed per level from origins.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo.access.accessibility import GROUPS
from sqe_geo.access.coverage import location_columns, quarter_counts, weighted_median
from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.study_distances import e2sfca_values, origin_distances
from sqe_geo.access.study_inputs import (
    AccessInputs,
    AccessSettings,
    category_thresholds,
    more_thresholds,
)
from sqe_geo.access.study_origins import (
    base_origins,
    origins_per_year,
    spread_unlocated,
    study_network,
)
from sqe_geo.access.walking import Walking
from sqe_geo.config import AccessibilityConfig, StudyConfig
from sqe_geo.i18n.messages import Message, current_language
from sqe_geo.population.dasymetric import fallback_quarters
from sqe_geo.quality import QualityReport
from sqe_geo.stats.aggregate import CITY_ID, LEVELS, Level
from sqe_geo.stats.status import is_not_computed, quarter_status, status_label

#: Age groups whose median distance is published.
MEDIAN_GROUPS = ("older", "oldest_old")


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


def thresholds_m(config: StudyConfig, categories: list[str]) -> dict[str, float]:
    """Coverage threshold per category in metres of a study configuration.

    Parameters
    ----------
    config
        The study configuration (with services).
    categories
        Category keys.

    Returns
    -------
    dict
        See :func:`category_thresholds`.
    """
    assert config.services is not None
    speed = config.accessibility.walking_speed_mps
    return category_thresholds(config.services, speed, categories)


@dataclass(frozen=True)
class _Run:
    """What every year of one accessibility run shares."""

    data: AccessInputs
    settings: AccessSettings
    categories: list[str]
    limits: dict[str, float]
    aliases: dict[str, str]
    network: WalkingNetwork | None
    cut_off: pd.DataFrame
    approximated: list[Hashable]
    services_in_quarters: pd.DataFrame


def accessibility_counts(
    data: AccessInputs, settings: AccessSettings, report: QualityReport
) -> AccessibilityResult:
    """Accessibility count columns per ``(quarter_id, year)`` and medians per level.

    Parameters
    ----------
    data
        Quarters, demographics, services and Zensus cells of the study.
    settings
        The accessibility, services, residents' locations and network configuration.
    report
        Receives unreachable origins, unsnapped services, the distance method, …

    Returns
    -------
    AccessibilityResult
        ``counts`` indexed by ``(quarter_id, year)``; ``level_values`` with the median
        distance columns ``median_{cat}_{group}`` per level; origins and distances per year.
    """
    acc = settings.accessibility
    present = set(data.services["category"])
    categories = [c for c in settings.services.categories if c in present]
    limits = category_thresholds(settings.services, acc.walking_speed_mps, categories)
    # further thresholds of a category count on the same distances under their own key
    more = more_thresholds(settings.services, categories)
    aliases = {alias: alias.rsplit("_", 1)[0] for alias in more}
    limits.update(more)
    per_year, approximated = _origins(data, settings, report)
    # origins sit at the same places every year: compute distances once for all of them
    every = pd.concat(list(per_year.values())).drop_duplicates("origin_id")
    network = study_network(settings.network, settings.analysis_crs, report)
    walking = Walking(
        cutoff_m=max(acc.cutoff_m, *limits.values()),
        max_snap_m=acc.max_snap_m,
        detour_factor=acc.detour_factor,
    )
    distances, cut_off, legs = origin_distances(
        network, every, data.services, categories, walking, report
    )
    in_quarter = data.services.sjoin(
        data.quarters[["quarter_id", "geometry"]], predicate="within", how="left"
    )
    in_quarter = in_quarter[~in_quarter.index.duplicated()]
    run = _Run(
        data, settings, categories, limits, aliases, network, cut_off, approximated,
        in_quarter[["quarter_id", "category"]],
    )  # fmt: skip
    frames, statuses, by_year = [], [], {}
    medians: dict[Level, list[pd.DataFrame]] = {level: [] for level in LEVELS}
    for year, origins in per_year.items():
        by_year[year] = distances.loc[origins["origin_id"]]
        counts, status, year_medians = _year(run, year, origins, by_year[year])
        frames.append(counts)
        statuses.append(status)
        for level, table in year_medians.items():
            medians[level].append(table)
    method = str(distances.attrs.get("method", ""))
    _report_method(method, acc, limits, report)
    all_counts = pd.concat(frames)
    all_counts.index = all_counts.index.set_names(["quarter_id", "year"])
    all_status = pd.concat(statuses)
    _report_not_computed(all_status, data.quarters, acc.max_unlocated_share, report)
    return AccessibilityResult(
        counts=all_counts,
        level_values={level: pd.concat(parts) for level, parts in medians.items()},
        origins=per_year,
        distances=by_year,
        method=method,
        status=all_status,
        access_legs=legs,
    )


def _origins(
    data: AccessInputs, settings: AccessSettings, report: QualityReport
) -> tuple[dict[int, gpd.GeoDataFrame], list[Hashable]]:
    """Origins per year and the quarters whose residents are spread evenly."""
    base, weights = base_origins(
        data.quarters, settings.population_grid, data.grid_cells, settings.analysis_crs, report
    )
    approximated: list[Hashable] = []
    if settings.population_grid is None:
        approximated = data.quarters["quarter_id"].tolist()
    elif settings.accessibility.unlocated_residents == "even_grid":
        base, approximated = spread_unlocated(data.quarters, base, report)
    return origins_per_year(data.quarters, data.demographics, base, weights, report), approximated


def _year(
    run: _Run, year: int, origins: gpd.GeoDataFrame, distances: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, dict[Level, pd.DataFrame]]:
    """Counts, status and medians per level of one year."""
    acc = run.settings.accessibility
    quarter_ids = run.data.quarters["quarter_id"].tolist()
    capacity = [c for c in run.categories if run.settings.services.categories[c].capacity]
    e2sfca = e2sfca_values(origins, run.data.services, capacity, run.network, acc)
    aliased = distances.assign(**{a: distances[c] for a, c in run.aliases.items()})
    counts = quarter_counts(
        origins, aliased.reset_index(drop=True), run.limits, e2sfca=e2sfca,
        services=run.services_in_quarters, quarter_ids=quarter_ids,
    )  # fmt: skip
    status = quarter_status(
        origins, run.cut_off.loc[origins["origin_id"]].reset_index(drop=True),
        not_located=fallback_quarters(origins), approximated=run.approximated,
        max_unlocated_share=acc.max_unlocated_share, quarter_ids=quarter_ids,
    )  # fmt: skip
    counts = mask_not_computed(counts, status, run.aliases)
    failed = is_not_computed(status).reindex(origins["quarter_id"]).to_numpy()
    counts["year"] = year
    quarter_area = run.data.quarters.set_index("quarter_id")["planning_area"]
    medians = _level_medians(origins, distances, failed, run.categories, quarter_area, year)
    return (
        counts.set_index("year", append=True),
        status.assign(year=year).set_index("year", append=True),
        medians,
    )


def _level_medians(
    origins: gpd.GeoDataFrame,
    distances: pd.DataFrame,
    failed: np.ndarray,
    categories: list[str],
    quarter_area: pd.Series,
    year: int,
) -> dict[Level, pd.DataFrame]:
    """Median distance columns of one year per level (quarter, planning area, city)."""
    keys: dict[Level, np.ndarray] = {
        "quarter": origins["quarter_id"].to_numpy(),
        "planning_area": origins["quarter_id"].map(quarter_area).to_numpy(),
        "city": np.full(len(origins), CITY_ID),
    }
    out: dict[Level, pd.DataFrame] = {}
    for level, by in keys.items():
        columns = {}
        for k, cat in enumerate(categories):
            for group in MEDIAN_GROUPS:
                if group in origins.columns:
                    # not-computed quarters are left out of every level's median
                    weight = np.where(failed[:, k], 0.0, origins[group].to_numpy())
                    columns[f"median_{cat}_{group}"] = weighted_median(
                        distances[cat].to_numpy(), weight, by=by
                    )
        table = pd.DataFrame(columns)
        table.index = pd.MultiIndex.from_product(
            [table.index.astype(str), [year]], names=["unit_id", "year"]
        )
        out[level] = table
    return out


def mask_not_computed(
    counts: pd.DataFrame, status: pd.DataFrame, aliases: dict[str, str] | None = None
) -> pd.DataFrame:
    """NaN for the location-dependent counts of not-computed quarters and categories.

    Parameters
    ----------
    counts
        Count columns per quarter (see :func:`~sqe_geo.access.coverage.quarter_counts`).
    status
        Status code per quarter and category.
    aliases
        Further threshold keys and the category they count.

    Returns
    -------
    pandas.DataFrame
        A copy of ``counts``.
    """
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


def _report_method(
    method: str, acc: AccessibilityConfig, limits: dict[str, float], report: QualityReport
) -> None:
    report.add(
        "distance_method",
        "network",
        Message(
            "access.study.distance_method",
            method=method,
            speed=f"{acc.walking_speed_mps:g}",
            max_snap=f"{acc.max_snap_m:g}",
            thresholds=", ".join(f"{k} {v:g} m" for k, v in limits.items()),
        ),
        severity="info",
    )


def _report_not_computed(
    status: pd.DataFrame, quarters: gpd.GeoDataFrame, max_share: float, report: QualityReport
) -> None:
    names = quarters.set_index("quarter_id")["name"].astype(str)
    language = current_language()  # items are text now, in the language of the run
    failed: list[str] = []
    approximate: list[str] = []
    for index, row in status.iterrows():
        quarter, year = cast("tuple[str, int]", index)  # (quarter_id, year)
        for cat, code in row.items():
            if not code:
                continue
            item = f"{names.get(quarter, quarter)} ({year}, {cat}): {status_label(code, language)}"
            (failed if is_not_computed(code) else approximate).append(item)
    if failed:
        report.add(
            "accessibility_not_computed",
            "accessibility",
            Message("access.study.not_computed", n=len(failed), share=f"{max_share:.0%}"),
            items=failed,
        )
    if approximate:
        report.add(
            "accessibility_approximation",
            "accessibility",
            Message("access.study.approximation", n=len(approximate)),
            severity="info",
            items=approximate,
        )
