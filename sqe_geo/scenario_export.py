"""Writing a scenario: the run with the scenario's services and the comparison, one set.

The folder holds the standard outputs of the run *after* the scenario (every table marked
with the scenario's name) plus the comparison files of
:func:`sqe_geo.outputs.scenario_tables.scenario_files`, published together or not at all,
with one manifest.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo.i18n.formatting import format_number
from sqe_geo.i18n.messages import text
from sqe_geo.outputs.export import write_outputs
from sqe_geo.outputs.notes import row_note
from sqe_geo.outputs.scenario_tables import ScenarioTables, scenario_files
from sqe_geo.scenario import ScenarioResults

__all__ = ["difference_layer", "scenario_tables", "write_scenario"]


def changes_layer(result: ScenarioResults) -> gpd.GeoDataFrame:
    """The facilities the scenario adds, removes or moves (analysis CRS).

    Parameters
    ----------
    result
        A scenario's results.

    Returns
    -------
    geopandas.GeoDataFrame
        ``action``, ``service_id``, ``category``, ``name``, ``capacity``; removed facilities
        at their old place, moved and added ones at their new place.
    """
    base = result.before.study.services
    assert base is not None  # a scenario needs services
    old = base.set_index(base["service_id"].astype(str)).geometry
    rows = []
    for change in result.scenario.changes:
        point = (
            old[change.service_id]
            if change.xy is None
            else gpd.points_from_xy([change.xy[0]], [change.xy[1]])[0]
        )
        rows.append(
            {
                "action": change.action,
                "service_id": change.service_id,
                "category": change.category,
                "name": change.name,
                "capacity": np.nan if change.capacity is None else change.capacity,
                "geometry": point,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=base.crs)


def difference_layer(result: ScenarioResults, year: int | None = None) -> gpd.GeoDataFrame:
    """Quarter polygons with the published differences of the changed categories.

    Parameters
    ----------
    result
        A scenario's results.
    year
        The year (default: the latest).

    Returns
    -------
    geopandas.GeoDataFrame
        ``unit_id``, ``name`` and one column per indicator id of a changed category (NaN
        where either value is withheld or not computed); analysis CRS.
    """
    year = max(result.before.years) if year is None else year
    table = result.comparison["quarter"]
    table = table[(table["year"] == year) & table["category"].isin(result.changed)]
    wide = table.pivot_table(
        index="unit_id", columns="indicator", values="difference", sort=False, dropna=False
    )
    geo = result.before.study.quarters.rename(columns={"quarter_id": "unit_id"})
    geo = geo[["unit_id", "name", "geometry"]].merge(
        wide, left_on="unit_id", right_index=True, how="left"
    )
    return gpd.GeoDataFrame(geo, geometry="geometry", crs=result.before.study.quarters.crs)


def scenario_tables(result: ScenarioResults, language: str = "de") -> ScenarioTables:
    """The tables of a scenario's files.

    Parameters
    ----------
    result
        A scenario's results.
    language
        Language of the notes.

    Returns
    -------
    ScenarioTables
    """
    about = [
        (text("scenario.output.scenario", language), result.scenario.name),
        (text("scenario.output.about_source", language), result.scenario.source or "-"),
        (text("scenario.output.about_changed", language), ", ".join(result.changed)),
        (
            text("scenario.output.about_seconds", language),
            format_number(result.seconds, 2, language),
        ),
        ("", text("scenario.output.about_rule", language)),
    ]
    locations = result.class_changes.drop(columns=["older"])
    return ScenarioTables(
        result.scenario.name,
        result.comparison,
        result.after.catalog,
        changes_layer(result),
        gpd.GeoDataFrame(locations, geometry="geometry", crs=result.class_changes.crs),
        pd.DataFrame(result.moved_residents),
        about,
        row_note(result.before, language),
    )


def write_scenario(
    result: ScenarioResults, out_dir: str | Path, *, language: str = "de"
) -> list[Path]:
    """Write the scenario's outputs into ``out_dir``: the whole set or nothing.

    Parameters
    ----------
    result
        A scenario's results.
    out_dir
        The output folder (not an input folder).
    language
        Language of the workbooks.

    Returns
    -------
    list of pathlib.Path
        The written files.
    """
    extra = scenario_files(
        scenario_tables(result, language), difference_layer(result), language=language
    )
    return write_outputs(result.after, out_dir, language=language, extra=extra)
