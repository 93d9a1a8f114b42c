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

from collections.abc import Collection, Hashable
from dataclasses import dataclass, field, replace
from typing import cast

import geopandas as gpd
import pandas as pd

from sqe_geo.access.study_distances import origin_distances
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
from sqe_geo.quality import QualityReport
from sqe_geo.stats.aggregate import LEVELS, Level
from sqe_geo.stats.status import is_not_computed, status_label
from sqe_geo.study_access_years import AccessRun, AccessState, year_access


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
    #: What a scenario reuses (see :func:`update_accessibility`).
    state: AccessState | None = None
    #: The accessibility surface's gravity sums per quarter, when computed already (a
    #: scenario's: the base run's for unchanged categories); None: the pipeline computes them.
    surface: pd.DataFrame | None = None


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


def _limits(
    settings: AccessSettings, categories: list[str]
) -> tuple[dict[str, float], dict[str, str]]:
    """Thresholds per category and further-threshold key, and the keys' categories."""
    limits = category_thresholds(
        settings.services, settings.accessibility.walking_speed_mps, categories
    )
    # further thresholds of a category count on the same distances under their own key
    more = more_thresholds(settings.services, categories)
    limits.update(more)
    return limits, {alias: alias.rsplit("_", 1)[0] for alias in more}


def _walking(acc: AccessibilityConfig, limits: dict[str, float]) -> Walking:
    return Walking(
        cutoff_m=max(acc.cutoff_m, *limits.values()),
        max_snap_m=acc.max_snap_m,
        detour_factor=acc.detour_factor,
    )


def _services_in_quarters(data: AccessInputs) -> pd.DataFrame:
    in_quarter = data.services.sjoin(
        data.quarters[["quarter_id", "geometry"]], predicate="within", how="left"
    )
    unique = in_quarter[~in_quarter.index.duplicated()]
    return pd.DataFrame(unique[["quarter_id", "category"]])


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
    limits, aliases = _limits(settings, categories)
    per_year, approximated = _origins(data, settings, report)
    # origins sit at the same places every year: compute distances once for all of them
    every = pd.concat(list(per_year.values())).drop_duplicates("origin_id")
    network = study_network(settings.network, settings.analysis_crs, report)
    distances, cut_off, legs = origin_distances(
        network, every, data.services, categories, _walking(acc, limits), report
    )
    run = AccessRun(
        data, settings, categories, limits, aliases, network, cut_off, approximated,
        _services_in_quarters(data),
    )  # fmt: skip
    years = {
        year: year_access(run, year, origins, distances.loc[origins["origin_id"]])
        for year, origins in per_year.items()
    }
    method = str(distances.attrs.get("method", ""))
    _report_method(method, acc, limits, report)
    state = AccessState(run, distances, per_year, years, method, legs)
    result = _result(state)
    _report_not_computed(result.status, data.quarters, acc.max_unlocated_share, report)
    return result


def update_accessibility(
    state: AccessState, services: gpd.GeoDataFrame, changed: Collection[str]
) -> AccessibilityResult:
    """The accessibility of a run with other services, recomputing changed categories only.

    Parameters
    ----------
    state
        The state of the base run (:attr:`AccessibilityResult.state`).
    services
        The new services (same columns as the study's).
    changed
        Categories whose services differ from the base run: their distances, E2SFCA
        values and medians are recomputed; every other category is reused.

    Returns
    -------
    AccessibilityResult
        Like :func:`accessibility_counts`; the categories are those of the base run plus
        any category that has services only now.
    """
    base = state.run
    present = set(services["category"])
    categories = [
        c for c in base.settings.services.categories
        if c in base.categories or c in present
    ]  # fmt: skip
    todo = [c for c in categories if c in changed or c not in base.categories]
    limits, aliases = _limits(base.settings, categories)
    data = replace(base.data, services=services)
    distances, cut_off = state.distances, base.cut_off
    if todo:
        every = pd.concat(list(state.origins.values())).drop_duplicates("origin_id")
        walking = _walking(base.settings.accessibility, limits)
        fresh, fresh_cut, _ = origin_distances(
            base.network, every, services, todo, walking, QualityReport()
        )
        distances = state.distances.drop(columns=todo, errors="ignore").join(fresh)[categories]
        cut_off = base.cut_off.drop(columns=todo, errors="ignore").join(fresh_cut)[categories]
        # no facility left anywhere: nobody reaches one, which is a result, not a data gap
        cut_off[[c for c in todo if c not in present]] = False
        distances.attrs = dict(state.distances.attrs)
    run = AccessRun(
        data, base.settings, categories, limits, aliases, base.network, cut_off,
        base.approximated, _services_in_quarters(data),
    )  # fmt: skip
    years = {
        year: year_access(
            run,
            year,
            origins,
            distances.loc[origins["origin_id"]],
            reuse=state.years[year],
            changed=todo,
        )
        for year, origins in state.origins.items()
    }
    return _result(replace(state, run=run, distances=distances, years=years))


def _result(state: AccessState) -> AccessibilityResult:
    """The result of a run from its state."""
    counts = pd.concat([parts.counts for parts in state.years.values()])
    counts.index = counts.index.set_names(["quarter_id", "year"])
    medians: dict[Level, pd.DataFrame] = {
        level: pd.concat([parts.medians[level] for parts in state.years.values()])
        for level in LEVELS
    }
    return AccessibilityResult(
        counts=counts,
        level_values=medians,
        origins=state.origins,
        distances={
            year: state.distances.loc[origins["origin_id"]]
            for year, origins in state.origins.items()
        },
        method=state.method,
        status=pd.concat([parts.status for parts in state.years.values()]),
        access_legs=state.access_legs,
        state=state,
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
