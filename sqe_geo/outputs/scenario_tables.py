"""Files of a scenario: the comparison per level (CSV, XLSX), its changes and maps (GPKG).

The tables come from :class:`sqe_geo.scenario.ScenarioResults` as plain frames (this
module knows nothing of how they were computed): one row per unit, year and indicator with
*before*, *after* and *difference*. Withheld values are written as "." (German) or left
empty (technical CSV), not-computed ones as "n. b."; a difference is given only where
both values are published. Every row carries the scenario's name.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo.i18n.formatting import WITHHELD_MARK, format_number, round_half_up
from sqe_geo.i18n.messages import as_language, text
from sqe_geo.outputs.export import csv_bytes
from sqe_geo.outputs.export_sheets import style_sheet, text_not_formulas
from sqe_geo.stats.aggregate import LEVELS, Level
from sqe_geo.stats.indicators import Catalog
from sqe_geo.stats.status import NOT_COMPUTED_MARK, is_not_computed

__all__ = ["ScenarioTables", "comparison_export", "scenario_files"]

_STEMS: dict[Level, str] = {
    "quarter": "quartiere",
    "planning_area": "planungsraeume",
    "city": "stadt",
}


@dataclass(frozen=True)
class ScenarioTables:
    """What a scenario's files hold.

    Attributes
    ----------
    name
        The scenario's name.
    comparison
        Level -> the comparison (``unit_id``, ``name``, ``year``, ``indicator``,
        ``category``, ``before``, ``after``, ``difference``, ``status``,
        ``withheld_before``, ``withheld_after``).
    catalog
        The indicators (labels, units, decimals).
    changes
        The facilities changed: ``action``, ``service_id``, ``category``, ``name``,
        ``capacity`` and point geometry (analysis CRS).
    locations
        Residents' locations whose distance class changes (no counts).
    moved
        Residents 65+ per quarter and category with a better or worse class (disclosed).
    about
        (label, value) rows of the notes sheet.
    note
        The note beside every row (demo data, disclosure control off), or None.
    """

    name: str
    comparison: Mapping[Level, pd.DataFrame]
    catalog: Catalog
    changes: gpd.GeoDataFrame
    locations: gpd.GeoDataFrame
    moved: pd.DataFrame
    about: Sequence[tuple[str, str]]
    note: str | None = None


def _t(key: str, language: str) -> str:
    return text(f"scenario.output.{key}", language)


def comparison_export(
    tables: ScenarioTables, level: Level, *, language: str = "de", labels: bool = True
) -> pd.DataFrame:
    """The comparison of one level, ready to write.

    Parameters
    ----------
    tables
        The scenario's tables.
    level
        ``"quarter"``, ``"planning_area"`` or ``"city"``.
    language
        Language of labels and marks.
    labels
        Labelled columns and marks ("." withheld, "n. b." not computed); with False, ids
        and empty cells (technical CSV) and the status codes.

    Returns
    -------
    pandas.DataFrame
    """
    frame = tables.comparison[level].reset_index(drop=True)
    decimals = frame["indicator"].map(lambda i: tables.catalog[i].decimals).to_numpy()
    withheld = {
        "before": frame["withheld_before"].to_numpy(dtype=bool),
        "after": frame["withheld_after"].to_numpy(dtype=bool),
    }
    withheld["difference"] = withheld["before"] | withheld["after"]
    failed = is_not_computed(frame["status"].fillna("")).to_numpy(dtype=bool)
    out = pd.DataFrame({"scenario": tables.name}, index=frame.index)
    out["unit_id"] = frame["unit_id"]
    out["name"] = frame["name"]
    out["year"] = frame["year"]
    if labels:
        catalog = tables.catalog
        out["indicator"] = [
            f"{catalog[i].label(language)} ({catalog[i].unit(language)})"
            for i in frame["indicator"]
        ]
    else:
        out["indicator"] = frame["indicator"]
    rounded = {c: _rounded(frame[c], decimals) for c in ("before", "after")}
    # the difference of the published (rounded) values: a table reads 79.1 -> 79.2 (0.1)
    rounded["difference"] = _rounded(rounded["after"] - rounded["before"], decimals)
    for column, values in rounded.items():
        values = values.where(~withheld[column])
        if column != "before":
            values = values.where(~failed)
        if labels:
            shown = _whole(values, decimals).where(~withheld[column], WITHHELD_MARK)
            if column != "before":
                shown = shown.where(~failed, NOT_COMPUTED_MARK[as_language(language)])
            out[column] = shown
        else:
            out[column] = values
    if tables.note:
        out["note"] = tables.note
    if not labels:
        out["status"] = frame["status"].fillna("")
        return out
    names = {c: _t(c, language) for c in out.columns if c != "note"}
    names["note"] = text("outputs.export.note_column", language)
    return out.rename(columns=names)


def _as_text(table: pd.DataFrame, tables: ScenarioTables, level: Level) -> pd.DataFrame:
    """The value columns as German text with each indicator's decimals (CSV keeps them)."""
    frame = tables.comparison[level].reset_index(drop=True)
    decimals = frame["indicator"].map(lambda i: tables.catalog[i].decimals).to_numpy()
    table = table.copy()
    for key in ("before", "after", "difference"):
        column = _t(key, "de")
        table[column] = [
            format_number(v, int(d), "de") if isinstance(v, int | float) and v == v else v
            for v, d in zip(table[column], decimals, strict=True)
        ]
    return table


def _rounded(values: pd.Series, decimals: np.ndarray) -> pd.Series:
    """Each value rounded half up to its indicator's decimals."""
    out = values.astype(float).copy()
    for places in np.unique(decimals):
        chosen = decimals == places
        out[chosen] = round_half_up(out[chosen], int(places))
    return out


def _whole(values: pd.Series, decimals: np.ndarray) -> pd.Series:
    """Object values with whole numbers as int where the indicator has no decimals."""
    whole = (decimals == 0) & values.notna().to_numpy()
    shown = [int(v) if w else v for v, w in zip(values, whole, strict=True)]
    return pd.Series(shown, index=values.index, dtype=object)


def _changes_table(tables: ScenarioTables, language: str) -> pd.DataFrame:
    changes = tables.changes
    return pd.DataFrame(
        {
            _t("scenario", language): tables.name,
            _t("action", language): [_t(f"action_{a}", language) for a in changes["action"]],
            _t("service", language): changes["name"].to_numpy(),
            "service_id": changes["service_id"].to_numpy(),
            _t("category", language): changes["category"].to_numpy(),
            _t("capacity", language): changes["capacity"].to_numpy(dtype=float),
            "x": changes.geometry.x.round(1).to_numpy(),
            "y": changes.geometry.y.round(1).to_numpy(),
        }
    )


def _moved_table(tables: ScenarioTables, language: str) -> pd.DataFrame:
    moved = tables.moved
    table = pd.DataFrame(
        {
            _t("scenario", language): tables.name,
            _t("quarter", language): moved["quarter_id"].to_numpy(),
            _t("category", language): moved["category"].to_numpy(),
        }
    )
    for column in ("better", "worse"):
        values = moved[column].to_numpy(dtype=float)
        table[_t(column, language)] = np.where(np.isnan(values), "< 10", values).astype(object)
    return table


def _xlsx(tables: ScenarioTables, language: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for level in LEVELS:
            sheet = _t(f"sheet_{level}", language)
            comparison_export(tables, level, language=language).to_excel(
                writer, sheet_name=sheet, index=False
            )
        _changes_table(tables, language).to_excel(
            writer, sheet_name=_t("sheet_changes", language), index=False
        )
        _moved_table(tables, language).to_excel(
            writer, sheet_name=_t("sheet_locations", language), index=False
        )
        about = pd.DataFrame(tables.about, columns=["", ""])
        about.to_excel(writer, sheet_name=_t("sheet_about", language), index=False)
        for worksheet in writer.book.worksheets:
            style_sheet(worksheet)
            text_not_formulas(worksheet)
    return buffer.getvalue()


def _gpkg(tables: ScenarioTables, difference: gpd.GeoDataFrame) -> bytes:
    layers = {
        "szenario_differenz": difference,
        "szenario_aenderungen": tables.changes,
        "szenario_entfernungsklassen": tables.locations,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "szenario.gpkg"
        for layer, frame in layers.items():
            frame.assign(scenario=tables.name).to_file(
                path, layer=layer, driver="GPKG", engine="pyogrio"
            )
        return path.read_bytes()


def scenario_files(
    tables: ScenarioTables, difference: gpd.GeoDataFrame, *, language: str = "de"
) -> dict[str, bytes]:
    """The scenario's files by name (built in memory; the caller publishes them).

    Parameters
    ----------
    tables
        The scenario's tables.
    difference
        Quarter polygons with the published differences of the latest year (one column
        per indicator id).
    language
        Language of the German CSV's labels (always German) and of the workbook.

    Returns
    -------
    dict
        ``szenario_vergleich_{level}_de.csv`` (German), ``szenario_vergleich_{level}.csv``
        (technical), ``szenario.xlsx`` and ``szenario.gpkg``.
    """
    blobs: dict[str, bytes] = {}
    for level in LEVELS:
        stem = f"szenario_vergleich_{_STEMS[level]}"
        german = _as_text(comparison_export(tables, level, language="de"), tables, level)
        blobs[f"{stem}_de.csv"] = csv_bytes(german, german=True)
        plain = comparison_export(tables, level, labels=False)
        blobs[f"{stem}.csv"] = csv_bytes(plain, german=False)
    blobs["szenario.xlsx"] = _xlsx(tables, language)
    blobs["szenario.gpkg"] = _gpkg(tables, difference)
    return blobs
