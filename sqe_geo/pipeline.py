"""From a loaded study to indicator tables per level.

:func:`run` chains the steps of the data flow: counts per quarter (demographics, and
accessibility counts when the study has services), roll-up to planning areas and the city,
evaluation of the catalog from summed counts, and disclosure control. The result is a
:class:`~sqe_geo.results.Results` object that the CLI, the exports, the maps and the app all
read.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Hashable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from sqe_geo._version import __version__
from sqe_geo.access.coverage import more_key
from sqe_geo.i18n.messages import Message, text
from sqe_geo.quality import QualityReport
from sqe_geo.results import Results
from sqe_geo.stats.aggregate import CITY_ID, LEVELS, Level, roll_up
from sqe_geo.stats.evaluation import evaluate, paired_change_counts
from sqe_geo.stats.indicators import (
    CATALOG_FOLDER,
    Catalog,
    Category,
    Indicator,
    load_catalog,
    with_method,
)
from sqe_geo.stats.privacy import disclosure_control
from sqe_geo.stats.report_protection import protect_report
from sqe_geo.stats.status import is_not_computed, level_status, mark_base_year
from sqe_geo.study import Study
from sqe_geo.study_demographics import report_fractional
from sqe_geo.surface import surface_counts

__all__ = ["Results", "run", "study_categories"]

if TYPE_CHECKING:
    from sqe_geo.config import StudyConfig
    from sqe_geo.config_layers import ServicesConfig
    from sqe_geo.study_access import AccessibilityResult


def study_categories(
    config: ServicesConfig | None,
    services: gpd.GeoDataFrame | None,
    also: Collection[str] = (),
) -> list[Category]:
    """The service categories present in a study's services, for catalog expansion.

    Parameters
    ----------
    config
        The study's ``[services]`` section (categories and thresholds).
    services
        The loaded services (column ``category``).
    also
        Categories computed although no service is left (a scenario that closes every
        facility of a category: its residents reach none).

    Returns
    -------
    list of Category
        One entry per category that has services, in the order of the study file.
    """
    if config is None or services is None:
        return []
    present = set(services["category"]) | set(also)
    out = []
    for key, cat in config.categories.items():
        if key not in present:
            continue
        if cat.threshold_min is not None:
            threshold = f"{cat.threshold_min:g} min"
        else:
            metres = cat.threshold_m if cat.threshold_m is not None else 1000.0
            threshold = f"{metres:g} m"
        more = tuple((more_key(key, m), f"{m:g} m") for m in cat.more_thresholds_m)
        out.append(Category(key, cat.label_de, cat.label_en, threshold, cat.capacity, more))
    return out


def _units(quarters: pd.DataFrame, title: str) -> dict[Level, pd.DataFrame]:
    """The units of each level with their names (the city is named by the study's title)."""
    areas = list(dict.fromkeys(quarters["planning_area"]))
    return {
        "quarter": pd.DataFrame(
            {
                "unit_id": quarters["quarter_id"],
                "name": quarters["name"],
                "planning_area": quarters["planning_area"],
            }
        ),
        "planning_area": pd.DataFrame({"unit_id": areas, "name": areas}),
        "city": pd.DataFrame({"unit_id": [CITY_ID], "name": [title or CITY_ID]}),
    }


def run(
    study: Study,
    *,
    catalog: Catalog | None = None,
    accessibility: bool = True,
    access: AccessibilityResult | None = None,
) -> Results:
    """Compute all indicators of a study at every level.

    Parameters
    ----------
    study
        A loaded study (:func:`sqe_geo.study.load_study`).
    catalog
        The indicator catalog (the shipped one, plus the study's ``indicator_folders``, by
        default).
    accessibility
        Compute accessibility indicators when the study has services.
    access
        Accessibility counts computed already (a scenario's, see
        :func:`sqe_geo.study_access.update_accessibility`); computed from the study when None.

    Returns
    -------
    Results
        Counts, values, suppression masks and the data-quality report.
    """
    started = time.perf_counter()
    config = study.config
    report = QualityReport(list(study.report.findings))
    base_year = config.base_year or min(study.years)
    if catalog is None:
        catalog = load_catalog([CATALOG_FOLDER, *config.indicator_folders])
    computed = access.state.run.categories if access is not None and access.state else []
    catalog = catalog.expand(
        config.age_groups.labels(),
        study_categories(config.services, study.services, computed),
        base_year=base_year,
    )
    quarter_counts = study.demographics.set_index(["quarter_id", "year"])
    origins: dict[int, gpd.GeoDataFrame] = {}
    distances: dict[int, pd.DataFrame] = {}
    per_level_values: dict[Level, pd.DataFrame] = {}
    access_status = pd.DataFrame()
    access_parameters: dict[str, str | Message] = {}
    acc = access if access is not None else _accessibility(study, report) if accessibility else None
    if acc is not None:
        quarter_counts = quarter_counts.join(acc.counts, how="left")
        # the accessibility surface's gravity sums per quarter (a scenario brings its own)
        surface = acc.surface
        quarter_counts = quarter_counts.join(
            surface if surface is not None else surface_counts(study, acc.origins, acc.counts)
        )
        origins, distances, per_level_values = acc.origins, acc.distances, acc.level_values
        access_status = acc.status
        access_parameters = _access_parameters(acc, config.accessibility.detour_factor)
    counts = roll_up(quarter_counts, study.quarters)
    area_of = study.quarters.set_index("quarter_id")["planning_area"]
    unpaired = _add_paired_changes(counts, quarter_counts, area_of, config.base_year, catalog)
    _report_unpaired(unpaired, report)
    report_fractional(study.demographics, report)
    for level, extra in per_level_values.items():
        counts[level] = counts[level].join(extra, how="left")
    available, missing = catalog.available(counts["quarter"].columns)
    available = _name_straight_line(
        available, access_parameters, config.accessibility.detour_factor
    )
    _report_unavailable(missing, report)
    speed = config.accessibility.walking_speed_mps
    values = {
        level: evaluate(
            available, counts[level], base_year=config.base_year, walking_speed_mps=speed
        )
        for level in LEVELS
    }
    status = _status(available, access_status, values, unpaired, study.quarters, base_year)
    protected = disclosure_control(
        counts,
        values,
        available,
        study.quarters,
        config.disclosure,
        base_year=base_year,
        age_ranges=config.age_groups.ranges(),
    )
    values, suppressed = protected.values, protected.suppressed
    protect_report(report, protected.withheld)
    parameters = {**_run_parameters(config, base_year, started), **access_parameters}
    return Results(
        study=study,
        catalog=available,
        counts=counts,
        values=values,
        suppressed=suppressed,
        units=_units(study.quarters, config.title),
        report=report,
        parameters=parameters,
        origins=origins,
        distances=distances,
        status=status,
        withheld=protected.withheld,
        access=acc.state if acc is not None else None,
    )


def _accessibility(study: Study, report: QualityReport) -> AccessibilityResult | None:
    """Accessibility counts of the study's services (None without services)."""
    if study.services is None:
        return None
    from sqe_geo.access.study_inputs import AccessInputs, AccessSettings
    from sqe_geo.study_access import accessibility_counts

    data = AccessInputs(study.quarters, study.demographics, study.services, study.grid_cells)
    return accessibility_counts(data, AccessSettings.from_config(study.config), report)


def _status(
    catalog: Catalog,
    access_status: pd.DataFrame,
    values: dict[Level, pd.DataFrame],
    unpaired: list[tuple[str, int, str]],
    quarters: pd.DataFrame,
    base_year: int,
) -> dict[Level, pd.DataFrame]:
    """Status codes of every cell; values of not-computed cells are blanked (in place)."""
    status = level_status(
        catalog,
        access_status,
        quarters.set_index("quarter_id")["planning_area"],
        {level: v.index for level, v in values.items()},
        CITY_ID,
    )
    _mark_unpaired(status, values, unpaired, catalog, quarters)
    change_ids = [i.id for i in catalog if i.kind in ("change_abs", "change_pct")]
    mark_base_year(status, values, change_ids, base_year)
    for level in LEVELS:  # a not-computed cell has no number, whatever its counts say
        values[level] = values[level].mask(is_not_computed(status[level]))
    return status


def _run_parameters(
    config: StudyConfig, base_year: int, started: float
) -> dict[str, str | Message]:
    """Provenance and parameters of the run for metadata sheets (keys are ids)."""
    disclosure = config.disclosure
    return {
        "study": config.name,
        "title": config.title,
        "sqe-geo version": __version__,
        "computed at (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "run time (s)": f"{time.perf_counter() - started:.1f}",
        "analysis CRS": config.analysis_crs,
        "base year": str(base_year),
        "age groups": ", ".join(f"{k} = {v}" for k, v in config.age_groups.labels().items()),
        "disclosure control": (
            Message(
                "stats.run.disclosure_on",
                min_count=disclosure.min_count,
                min_denominator=disclosure.min_denominator,
            )
            if disclosure.enabled
            else Message("stats.run.disclosure_off")
        ),
    }


def _add_paired_changes(
    counts: dict[Level, pd.DataFrame],
    quarter_counts: pd.DataFrame,
    area_of: pd.Series,
    base_year: int | None,
    catalog: Catalog,
) -> list[tuple[str, int, str]]:
    """Change indicators compare the same quarters in both years at every level.

    Adds the paired sums to ``counts`` and returns the ``(quarter, year, column)`` values
    left out because they have no counterpart.
    """
    columns = {i.inputs["value"] for i in catalog if i.kind in ("change_abs", "change_pct")}
    columns &= set(quarter_counts.columns)
    paired, dropped = paired_change_counts(
        quarter_counts,
        area_of,
        CITY_ID,
        base_year=base_year,
        columns=sorted(columns),
    )
    for level, table in paired.items():
        counts[level] = counts[level].join(table, how="left")
    return dropped


def _report_unpaired(dropped: list[tuple[str, int, str]], report: QualityReport) -> None:
    """Say which quarter values the change indicators leave out (never silent)."""
    if dropped:
        report.add(
            "change_unpaired_quarters",
            "demographics",
            Message("stats.run.change_unpaired", n=len(dropped)),
            items=[f"{q} ({y}): {column}" for q, y, column in dropped],
        )


def _mark_unpaired(
    status: dict[Level, pd.DataFrame],
    values: dict[Level, pd.DataFrame],
    dropped: list[tuple[str, int, str]],
    catalog: Catalog,
    quarters: pd.DataFrame,
) -> None:
    """A change of a planning area or the city without some of its quarters is partial."""
    from sqe_geo.stats.status import PARTIAL

    area_of = quarters.set_index("quarter_id")["planning_area"]
    changes = [i for i in catalog if i.kind in ("change_abs", "change_pct")]
    for quarter, year, column in dropped:
        for ind in (i for i in changes if i.inputs["value"] == column):
            units: tuple[tuple[Level, Hashable], ...] = (
                ("planning_area", area_of.get(quarter)),
                ("city", CITY_ID),
            )
            for level, unit in units:
                table, key = status[level], (unit, year)
                if key not in table.index or table.at[key, ind.id] != "":
                    continue
                # pandas-stubs: .at's scalar type is wider than what notna() declares
                cell = values[level].at[key, ind.id]
                if pd.notna(cell):  # type: ignore[arg-type]  # no value: nothing to qualify
                    table.at[key, ind.id] = PARTIAL


def _name_straight_line(
    catalog: Catalog, access: dict[str, str | Message], detour_factor: float
) -> Catalog:
    """Straight line × detour factor instead of the network: every label says so."""
    from sqe_geo.access.accessibility import METHOD_STRAIGHT_LINE
    from sqe_geo.stats.status import depends_on_location

    if not str(access.get("distance method", "")).startswith(METHOD_STRAIGHT_LINE):
        return catalog
    factor = f"{detour_factor:g}"
    return with_method(
        catalog,
        [i.id for i in catalog if i.category is not None and depends_on_location(i)],
        text("stats.run.straight_line", "de", factor=factor.replace(".", ",")),
        text("stats.run.straight_line", "en", factor=factor),
    )


def _access_parameters(acc: AccessibilityResult, detour_factor: float) -> dict[str, str | Message]:
    """How distances were measured, and the access legs, for metadata, legends and labels."""
    from sqe_geo.access.accessibility import METHOD_STRAIGHT_LINE

    method = acc.method
    if method == METHOD_STRAIGHT_LINE:
        method = f"{method} ({detour_factor:g})"
    out: dict[str, str | Message] = {"distance method": method}
    legs = acc.access_legs
    if legs.get("count"):
        out["access legs (to the network)"] = Message(
            "stats.run.access_legs",
            count=f"{legs['count']:,}",
            median=f"{legs['median_m']:.0f}",
            max=f"{legs['max_m']:.0f}",
            over=f"{legs['over_100_m']:,}",
        )
    return out


def _report_unavailable(missing: list[Indicator], report: QualityReport) -> None:
    if missing:
        report.add(
            "indicator_unavailable",
            "indicators",
            Message("stats.run.unavailable", n=len(missing)),
            severity="info",
            items=[
                text("stats.run.needs", id=i.id, inputs=", ".join(i.inputs.values()))
                for i in missing
            ],
        )
