"""Scenarios: what added, removed or moved facilities change, before and after.

:func:`run_scenario` applies a :class:`~sqe_geo.scenario_file.Scenario` to the services of a
base run, recomputes only the categories the scenario changes
(:func:`sqe_geo.study_access.update_accessibility`; every other category and the residents'
locations are reused), evaluates the catalog and applies disclosure control as in any run.
:class:`ScenarioResults` holds both runs and the comparison of every accessibility
indicator per quarter, planning area and city: before, after and the difference, each
published only where disclosure control publishes it.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.access.coverage import distance_class
from sqe_geo.catchments import disclose_area_counts
from sqe_geo.i18n.messages import Message
from sqe_geo.pipeline import run
from sqe_geo.results import Results
from sqe_geo.scenario_file import Scenario, apply_scenario
from sqe_geo.stats.aggregate import LEVELS, Level
from sqe_geo.stats.indicators import Indicator
from sqe_geo.study import Study
from sqe_geo.study_access import thresholds_m, update_accessibility
from sqe_geo.surface import surface_counts

__all__ = ["ScenarioResults", "run_scenario"]

#: Columns of a comparison table (besides the unit's id, name and year).
COMPARED = ("before", "after", "difference")


@dataclass
class ScenarioResults:
    """A scenario's effect on the accessibility indicators.

    Attributes
    ----------
    scenario
        The scenario.
    before, after
        The base run and the run with the scenario's services (both protected).
    changed
        The categories the scenario changes (recomputed); all others are the base's.
    comparison
        Level -> one row per unit, year and accessibility indicator: ``unit_id``, ``name``,
        ``year``, ``indicator``, ``category``, ``before``, ``after``, ``difference``
        (NaN where withheld or not computed on either side), ``status`` (of the after
        value), ``withheld_before``, ``withheld_after``.
    class_changes
        Residents' locations (latest year) whose walking distance class to a changed
        category changes: ``category``, ``quarter_id``, ``distance_before_m``,
        ``distance_after_m``, ``class_before``, ``class_after``, ``better``.
    moved_residents
        Per quarter and changed category: residents 65+ whose class improves or worsens,
        disclosed like catchment counts (multiples of 10, below 10 not given).
    seconds
        Time from the base run to the updated tables.
    """

    scenario: Scenario
    before: Results
    after: Results
    changed: list[str]
    comparison: dict[Level, pd.DataFrame]
    class_changes: gpd.GeoDataFrame
    moved_residents: pd.DataFrame
    seconds: float = 0.0

    def indicators(self) -> list[Indicator]:
        """The accessibility indicators compared, changed categories first."""
        return _access_indicators(self.after, self.changed)


def run_scenario(base: Results, scenario: Scenario) -> ScenarioResults:
    """Apply a scenario to a base run and compare.

    Parameters
    ----------
    base
        The results of the study without the scenario (:func:`sqe_geo.pipeline.run`, with
        accessibility).
    scenario
        The checked scenario (:func:`sqe_geo.scenario_file.read_scenario`).

    Returns
    -------
    ScenarioResults

    Raises
    ------
    InputDataError
        The base run has no accessibility results to change.
    """
    started = time.perf_counter()
    study = base.study
    if base.access is None or study.services is None:
        raise InputDataError(Message("scenario.no_accessibility"))
    services = apply_scenario(study.services, scenario)
    changed = scenario.categories
    access = update_accessibility(base.access, services, changed)
    changed_study = dataclasses.replace(study, services=services)
    access.surface = _surface_sums(base, changed_study, access.origins, access.counts, changed)
    after = run(changed_study, access=access)
    after.parameters["scenario"] = scenario.name
    _keep_unchanged(base, after, changed)
    comparison = {level: _comparison(base, after, level, changed) for level in LEVELS}
    class_changes = _class_changes(base, after, changed)
    moved = _moved_residents(class_changes, base)
    seconds = time.perf_counter() - started
    return ScenarioResults(
        scenario, base, after, changed, comparison, class_changes, moved, seconds
    )


def _surface_sums(
    base: Results,
    study: Study,
    origins: dict[int, gpd.GeoDataFrame],
    counts: pd.DataFrame,
    changed: list[str],
) -> pd.DataFrame:
    """Gravity sums of the surface: the changed categories anew, the others the base's."""
    fresh = surface_counts(study, origins, counts, categories=changed)
    prefixes = tuple(f"gravity_{cat}_" for cat in changed)
    kept = [
        c for c in base.counts["quarter"].columns
        if c.startswith("gravity_") and c.endswith("_wsum") and not c.startswith(prefixes)
    ]  # fmt: skip
    old = base.counts["quarter"][kept].copy()
    old.index = old.index.set_names(counts.index.names)
    return old.reindex(counts.index).join(fresh)


def _access_indicators(results: Results, first: list[str]) -> list[Indicator]:
    """Indicators that depend on services, those of ``first`` categories first."""
    access = [i for i in results.catalog if i.category is not None]
    rank = {c: k for k, c in enumerate(first)}
    return sorted(access, key=lambda i: rank.get(str(i.category), len(rank)))


def _keep_unchanged(base: Results, after: Results, changed: list[str]) -> None:
    """Cells that the scenario does not change are published exactly as in the base run.

    The after run's disclosure control may choose other secondary cells. For every
    indicator of an unchanged category (and every indicator without a category) the base
    values and masks are taken; where the after run withholds a count cell that the base
    run publishes, or the reverse, the after values of the changed categories in that unit
    and year are withheld too, so that the two publications together reveal nothing that
    either protects.
    """
    own = [i.id for i in after.catalog if i.category in changed]
    for level in LEVELS:
        after.values[level] = _take(base.values[level], after.values[level], own)
        after.suppressed[level] = _take(base.suppressed[level], after.suppressed[level], own)
        after.status[level] = _take(base.status_of(level), after.status_of(level), own)
        values, suppressed = after.values[level], after.suppressed[level]
        shared = _shared_counts(base, after, level, changed)
        if shared is None:
            continue
        was, now = shared
        differs = (was != now).any(axis=1)
        after.withheld[level][now.columns] = was | now  # a shared count: withheld if either
        if differs.any():
            columns = [i.id for i in after.catalog if i.category in changed]
            columns = [c for c in columns if c in values.columns]
            rows = differs.reindex(values.index, fill_value=False).to_numpy()
            grid = np.zeros(values.shape, dtype=bool)
            grid[np.ix_(rows, values.columns.get_indexer(pd.Index(columns)))] = True
            hide = pd.DataFrame(grid, index=values.index, columns=values.columns) & values.notna()
            after.suppressed[level] = suppressed | hide
            after.values[level] = values.mask(hide)


def _take(base: pd.DataFrame, after: pd.DataFrame, own: list[str]) -> pd.DataFrame:
    """``after``'s shape with the base's cells, except in the columns ``own``."""
    out = base.reindex(index=after.index, columns=after.columns)
    columns = [c for c in own if c in after.columns]
    out[columns] = after[columns]
    return out.astype(after.dtypes.to_dict())


def _shared_counts(
    base: Results, after: Results, level: Level, changed: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The withheld masks of both runs over the count cells they share (not of ``changed``)."""
    before, now = base.withheld.get(level), after.withheld.get(level)
    if before is None or now is None:
        return None
    columns = [
        c for c in before.columns
        if c in now.columns and not any(f"_{cat}_" in c for cat in changed)
    ]  # fmt: skip
    return (
        before[columns].reindex(now.index, fill_value=False).astype(bool),
        now[columns].astype(bool),
    )


def _comparison(base: Results, after: Results, level: Level, changed: list[str]) -> pd.DataFrame:
    """Before, after and difference per unit, year and accessibility indicator."""
    ids = [i.id for i in _access_indicators(after, changed)]
    before_v = base.values[level].reindex(columns=ids)
    after_v = after.values[level].reindex(index=before_v.index, columns=ids)
    status = after.status_of(level).reindex(index=before_v.index, columns=ids).fillna("")
    hidden_before = base.suppressed[level].reindex(index=before_v.index, columns=ids)
    hidden_after = after.suppressed[level].reindex(index=before_v.index, columns=ids)
    long = pd.DataFrame(
        {
            "before": before_v.stack(future_stack=True),
            "after": after_v.stack(future_stack=True),
            "status": status.stack(future_stack=True),
            "withheld_before": hidden_before.fillna(False).astype(bool).stack(future_stack=True),
            "withheld_after": hidden_after.fillna(False).astype(bool).stack(future_stack=True),
        }
    )
    long["difference"] = long["after"] - long["before"]
    long.index = long.index.set_names(["unit_id", "year", "indicator"])
    long = long.reset_index()
    category = {i.id: i.category for i in after.catalog}
    long["category"] = long["indicator"].map(category)
    names = base.units[level].set_index("unit_id")["name"]
    long.insert(1, "name", long["unit_id"].map(names))
    columns = ["unit_id", "name", "year", "indicator", "category", *COMPARED, "status"]
    columns += ["withheld_before", "withheld_after"]
    return long[columns]


def _class_changes(base: Results, after: Results, changed: list[str]) -> gpd.GeoDataFrame:
    """Residents' locations of the latest year whose distance class changes."""
    empty = gpd.GeoDataFrame(
        {
            "category": pd.Series(dtype=str),
            "quarter_id": pd.Series(dtype=str),
            "distance_before_m": pd.Series(dtype=float),
            "distance_after_m": pd.Series(dtype=float),
            "class_before": pd.Series(dtype=str),
            "class_after": pd.Series(dtype=str),
            "better": pd.Series(dtype=bool),
            "older": pd.Series(dtype=float),
        },
        geometry=gpd.GeoSeries([], crs=base.study.config.analysis_crs),
    )
    if not base.origins or not after.distances:
        return empty
    year = max(base.origins)
    origins = base.origins[year].reset_index(drop=True)
    parts = [empty]
    limits = thresholds_m(base.study.config, [c for c in changed if c in after.distances[year]])
    for category, limit in limits.items():
        before = _column(base.distances.get(year), category, len(origins))
        now = _column(after.distances.get(year), category, len(origins))
        c_before = np.array([distance_class(d, limit) for d in before], dtype=object)
        c_after = np.array([distance_class(d, limit) for d in now], dtype=object)
        moved = c_before != c_after
        if not moved.any():
            continue
        order = {"within": 0, "within_2x": 1, "farther": 2, "unreachable": 3}
        part = origins.loc[moved, ["quarter_id", "geometry"]].copy()
        part["category"] = category
        part["distance_before_m"] = before[moved]
        part["distance_after_m"] = now[moved]
        part["class_before"] = c_before[moved]
        part["class_after"] = c_after[moved]
        part["better"] = [
            order[b] > order[a] for a, b in zip(c_after[moved], c_before[moved], strict=True)
        ]
        part["older"] = (
            origins.loc[moved, "older"].to_numpy(dtype=float) if "older" in origins else np.nan
        )
        parts.append(gpd.GeoDataFrame(part, geometry="geometry", crs=origins.crs))
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out[list(empty.columns)], geometry="geometry", crs=origins.crs)


def _column(distances: pd.DataFrame | None, category: str, n: int) -> np.ndarray:
    if distances is None or category not in distances.columns:
        return np.full(n, np.nan)
    return distances[category].to_numpy(dtype=float)


def _moved_residents(changes: gpd.GeoDataFrame, base: Results) -> pd.DataFrame:
    """Residents 65+ per quarter and category whose class improves or worsens (disclosed)."""
    columns = ["quarter_id", "category", "better", "worse"]
    if changes.empty:
        return pd.DataFrame(columns=columns)
    sums = (
        changes.assign(
            better_n=changes["older"].where(changes["better"], 0.0),
            worse_n=changes["older"].where(~changes["better"].astype(bool), 0.0),
        )
        .groupby(["quarter_id", "category"], sort=False)[["better_n", "worse_n"]]
        .sum()
        .rename(columns={"better_n": "better", "worse_n": "worse"})
    )
    shown = disclose_area_counts(sums, base.study.config.disclosure.enabled)
    return shown.reset_index()[columns]
