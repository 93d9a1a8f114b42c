"""One year of a study's accessibility: counts, status and medians from the distances.

:mod:`sqe_geo.study_access` computes the distances of all residents' locations once and
calls :func:`year_access` for every year. A scenario (:mod:`sqe_geo.scenario`) calls it
again with the parts of the base run (:class:`YearParts`) and the categories that
changed: only those are recomputed.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo.access.accessibility import GROUPS
from sqe_geo.access.coverage import location_columns, quarter_counts, weighted_median
from sqe_geo.access.network import WalkingNetwork
from sqe_geo.access.study_distances import e2sfca_values
from sqe_geo.access.study_inputs import AccessInputs, AccessSettings
from sqe_geo.population.dasymetric import fallback_quarters
from sqe_geo.stats.aggregate import CITY_ID, Level
from sqe_geo.stats.status import is_not_computed, quarter_status

__all__ = [
    "MEDIAN_GROUPS",
    "AccessRun",
    "AccessState",
    "YearParts",
    "mask_not_computed",
    "year_access",
]

#: Age groups whose median distance is published.
MEDIAN_GROUPS = ("older", "oldest_old")


@dataclass(frozen=True)
class AccessRun:
    """What every year of one accessibility run shares.

    Attributes
    ----------
    data, settings
        The study's data and accessibility configuration.
    categories
        The categories computed, in the order of the study file.
    limits
        Coverage threshold in metres per category and further-threshold key.
    aliases
        Further-threshold key -> its category.
    network
        The walking network (None: straight line × detour factor).
    cut_off
        Origins × categories: the origin is beyond the snap distance or on an island
        without that category (indexed by ``origin_id``).
    approximated
        Quarters whose residents were spread evenly.
    services_in_quarters
        ``quarter_id`` and ``category`` of every service.
    """

    data: AccessInputs
    settings: AccessSettings
    categories: list[str]
    limits: dict[str, float]
    aliases: dict[str, str]
    network: WalkingNetwork | None
    cut_off: pd.DataFrame
    approximated: list[Hashable]
    services_in_quarters: pd.DataFrame


@dataclass(frozen=True)
class YearParts:
    """The results of one year: counts and status per quarter, medians per level.

    Attributes
    ----------
    counts
        Count columns indexed by ``(quarter_id, year)``.
    status
        Status code per ``(quarter_id, year)`` and category.
    medians
        Level -> median distance columns ``median_{cat}_{group}``, index ``(unit_id, year)``.
    e2sfca
        Origins × capacity-bound categories E2SFCA values (positional), or None.
    """

    counts: pd.DataFrame
    status: pd.DataFrame
    medians: dict[Level, pd.DataFrame]
    e2sfca: pd.DataFrame | None = None


@dataclass(frozen=True)
class AccessState:
    """Everything an accessibility run computed that a scenario may reuse.

    Attributes
    ----------
    run
        The shared inputs of the run.
    distances
        Distances of every residents' location (index ``origin_id``) × category.
    origins
        Residents' locations per year.
    years
        The parts of each year.
    method
        How distances were measured.
    access_legs
        Summary of the access legs to the network (empty without a network).
    """

    run: AccessRun
    distances: pd.DataFrame
    origins: dict[int, gpd.GeoDataFrame]
    years: dict[int, YearParts]
    method: str = ""
    access_legs: dict[str, float] = field(default_factory=dict)


def year_access(
    run: AccessRun,
    year: int,
    origins: gpd.GeoDataFrame,
    distances: pd.DataFrame,
    *,
    reuse: YearParts | None = None,
    changed: Collection[str] = (),
) -> YearParts:
    """Counts, status and medians of one year.

    Parameters
    ----------
    run
        The shared inputs of the run.
    year
        The year.
    origins
        The year's residents' locations with resident counts.
    distances
        Their distances (row-aligned with ``origins``) per category.
    reuse
        The same year of a base run: E2SFCA values and medians of categories not in
        ``changed`` are taken from it instead of being recomputed.
    changed
        The categories whose services differ from ``reuse``.

    Returns
    -------
    YearParts
    """
    acc = run.settings.accessibility
    quarter_ids = run.data.quarters["quarter_id"].tolist()
    capacity = [c for c in run.categories if run.settings.services.categories[c].capacity]
    e2sfca = _e2sfca(run, origins, capacity, reuse, changed)
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
    todo = run.categories if reuse is None else [c for c in run.categories if c in changed]
    medians = _level_medians(
        origins, distances, failed[:, [run.categories.index(c) for c in todo]], todo,
        quarter_area, year,
    )  # fmt: skip
    if reuse is not None:
        medians = {
            level: _replace_columns(reuse.medians[level], table) for level, table in medians.items()
        }
    return YearParts(
        counts.set_index("year", append=True),
        status.assign(year=year).set_index("year", append=True),
        medians,
        e2sfca,
    )


def _e2sfca(
    run: AccessRun,
    origins: gpd.GeoDataFrame,
    capacity: list[str],
    reuse: YearParts | None,
    changed: Collection[str],
) -> pd.DataFrame | None:
    """E2SFCA values of the capacity-bound categories (reused where unchanged)."""
    acc = run.settings.accessibility
    if reuse is None or reuse.e2sfca is None:
        return e2sfca_values(origins, run.data.services, capacity, run.network, acc)
    todo = [c for c in capacity if c in changed or c not in reuse.e2sfca.columns]
    fresh = e2sfca_values(origins, run.data.services, todo, run.network, acc)
    kept = reuse.e2sfca[[c for c in capacity if c not in todo]]
    if fresh is None:
        return kept if len(kept.columns) else None
    return pd.concat([kept, fresh], axis=1)[capacity]


def _replace_columns(base: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """``base`` with the columns of ``fresh`` replaced or added."""
    out = base.copy()
    for column in fresh.columns:
        out[column] = fresh[column]
    return out


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
