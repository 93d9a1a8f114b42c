"""Reading Zensus 2022 grid data (population per 100 m, 1 km or 10 km cell).

The Federal Statistical Office publishes each topic as CSV: ``;`` delimiter, decimal
comma, UTF-8 (sometimes with BOM; cp1252 is tolerated too), columns ``GITTER_ID_100m``,
``x_mp_100m``, ``y_mp_100m`` (cell centres, EPSG:3035) followed by values. An en dash
``–`` marks a value that is zero or blocked for confidentiality; uninhabited cells are
absent; an optional ``werterlaeuternde_Zeichen`` column may say ``KLAMMERN`` (limited
reliability).

Zensus 2022 protects the grid with the *cell-key method*: small counts are perturbed, and
each topic is perturbed on its own. Grid sums therefore need not add up to official totals
(nor to each other across topics) and must never be presented as official totals.
:mod:`sqe_geo.population.zensus_ages` derives age groups from the cells and
:mod:`sqe_geo.population.zensus` turns them into origins or quarter sums.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.population.origins import attach_report, new_report
from sqe_geo.population.zensus_values import (
    FLAG_COLUMN,
    parse_cells,
    report_values,
)
from sqe_geo.quality import QualityReport

#: CRS of the Zensus grid.
ZENSUS_CRS = "EPSG:3035"

#: Resolutions as written in the column names, in metres.
RESOLUTIONS: dict[str, int] = {"100m": 100, "1km": 1_000, "10km": 10_000}

#: The caveat on grid sums (cell-key perturbation), added to every reading and quarter sum.
CELL_KEY_NOTE = Message("population.zensus.cell_key_note")

_LAYER = "zensus"


def _grid_columns(path: Path, columns: Sequence[str]) -> tuple[str, str, str, int]:
    """Find the id and centre columns and the resolution from the header."""
    for suffix, metres in RESOLUTIONS.items():
        wanted = (f"GITTER_ID_{suffix}", f"x_mp_{suffix}", f"y_mp_{suffix}")
        if all(w in columns for w in wanted):
            return (*wanted, metres)
    raise InputDataError(
        Message("population.zensus.not_a_grid", path=str(path), found=list(columns)[:8])
    )


def _clean_header(columns: Iterable[Hashable]) -> list[str]:
    # A UTF-8 BOM survives as U+FEFF (or as 'ï»¿' when decoded as cp1252).
    return [str(c).strip().lstrip("\ufeff").removeprefix("ï»¿").strip() for c in columns]


def _bbox_3035(
    bbox: Sequence[float] | None, bbox_crs: Any, half_cell: float
) -> tuple[float, float, float, float] | None:
    """Return the bbox in EPSG:3035, widened by half a cell so that cut cells are kept."""
    if bbox is None:
        return None
    if len(bbox) != 4 or not (bbox[0] <= bbox[2] and bbox[1] <= bbox[3]):
        raise InputDataError(Message("population.zensus.bad_bbox", bbox=tuple(bbox)))
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if bbox_crs is not None and CRS.from_user_input(bbox_crs) != CRS.from_user_input(ZENSUS_CRS):
        transformer = Transformer.from_crs(bbox_crs, ZENSUS_CRS, always_xy=True)
        minx, miny, maxx, maxy = transformer.transform_bounds(
            minx, miny, maxx, maxy, densify_pts=21
        )
    return (minx - half_cell, miny - half_cell, maxx + half_cell, maxy + half_cell)


def _check_arguments(path: Path, blocked_as: str, geometry: str, chunksize: int) -> None:
    if not path.exists():
        raise InputDataError(Message("population.zensus.not_found", path=str(path)))
    if blocked_as not in ("zero", "missing"):
        raise InputDataError(Message("population.zensus.bad_blocked_as", value=repr(blocked_as)))
    if geometry not in ("centre", "cell"):
        raise InputDataError(Message("population.zensus.bad_geometry", value=repr(geometry)))
    if chunksize < 1:
        raise InputDataError(Message("population.zensus.bad_chunksize"))


def _drop_missing_xy(
    frame: pd.DataFrame, id_col: str, path: Path, report: QualityReport
) -> pd.DataFrame:
    bad_xy = frame["_x"].isna() | frame["_y"].isna()
    if not bad_xy.any():
        return frame
    report.add(
        "zensus_missing_coordinates",
        _LAYER,
        Message("population.zensus.missing_coordinates", file=path.name, n=int(bad_xy.sum())),
        items=frame.loc[bad_xy, id_col],
    )
    return frame.loc[~bad_xy]


def _cell_geometry(frame: pd.DataFrame, geometry: str, res: int) -> Any:
    x, y = frame["_x"].to_numpy("float64"), frame["_y"].to_numpy("float64")
    if geometry == "centre":
        return gpd.points_from_xy(x, y)
    half = res / 2
    return shapely.box(x - half, y - half, x + half, y + half)


def read_zensus_grid(
    path: str | Path,
    *,
    bbox: Sequence[float] | None = None,
    bbox_crs: Any = ZENSUS_CRS,
    columns: Sequence[str] | None = None,
    chunksize: int = 250_000,
    blocked_as: str = "zero",
    geometry: str = "centre",
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Read a Zensus 2022 grid CSV, keeping only cells in a bounding box.

    The file is read in chunks of ``chunksize`` rows and each chunk is filtered to the
    bounding box before its values are parsed, so a nationwide file never sits in memory.

    Parameters
    ----------
    path
        A ``*_100m-Gitter.csv`` (or ``_1km``, ``_10km``) file of any Zensus 2022 topic.
    bbox
        ``(minx, miny, maxx, maxy)`` of the study area; cells whose square overlaps it are
        kept (centre within the box widened by half a cell). ``None`` keeps all cells.
    bbox_crs
        CRS of ``bbox`` (default EPSG:3035); e.g. the analysis CRS ``"EPSG:25832"`` with
        ``quarters.total_bounds``.
    columns
        Value columns to keep (default all). Missing names raise an error.
    chunksize
        Rows per chunk.
    blocked_as
        ``"zero"`` (default) reads ``–`` as 0 — the planners' reading of "zero or blocked";
        ``"missing"`` reads it as NaN.
    geometry
        ``"centre"`` (points) or ``"cell"`` (square polygons).
    report
        Receives the findings (see Notes).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:3035, columns ``cell_id`` (the ``GITTER_ID``), the value columns as float,
        ``werterlaeuternde_Zeichen`` when present, and the geometry. ``attrs`` holds
        ``"zensus_resolution_m"``.

    Notes
    -----
    Reported: ``zensus_read`` (info: rows scanned, chunks, cells kept), ``zensus_encoding``
    (info: the file was not UTF-8 and was read as cp1252), ``zensus_blocked_values`` (number
    of ``–`` per column and how they were read), ``zensus_klammern`` (cells flagged
    ``KLAMMERN`` or values in parentheses), ``zensus_unparseable`` (values read as NaN),
    ``zensus_missing_coordinates`` (rows dropped) and ``zensus_cell_key`` (info: perturbation
    caveat).
    """
    report, created = new_report(report)
    path = Path(path)
    _check_arguments(path, blocked_as, geometry, chunksize)
    blocked_value = 0.0 if blocked_as == "zero" else np.nan
    try:
        chunks = _read_chunks(path, "utf-8-sig", bbox, bbox_crs, columns, chunksize)
    except UnicodeDecodeError:
        chunks = _read_chunks(path, "cp1252", bbox, bbox_crs, columns, chunksize)
        report.add(
            "zensus_encoding",
            _LAYER,
            Message("population.zensus.cp1252", file=path.name),
            severity="info",
        )
    frame = _drop_missing_xy(chunks.frame, chunks.id_col, path, report)
    parsed = parse_cells(frame, chunks.id_col, chunks.value_cols, blocked_value)
    gdf = gpd.GeoDataFrame(
        pd.DataFrame(parsed.columns),
        geometry=_cell_geometry(frame, geometry, chunks.res),
        crs=ZENSUS_CRS,
    )
    gdf.attrs["zensus_resolution_m"] = chunks.res
    report.add(
        "zensus_read",
        _LAYER,
        Message(
            "population.zensus.read_bbox" if bbox is not None else "population.zensus.read_all",
            file=path.name,
            n_rows=chunks.n_rows,
            n_chunks=chunks.n_chunks,
            chunksize=chunksize,
            n_cells=len(gdf),
            res=chunks.res,
        ),
        severity="info",
        count=len(gdf),
    )
    report_values(report, path, gdf, parsed, blocked_as)
    report.add(
        "zensus_cell_key",
        _LAYER,
        Message("population.zensus.cell_key_file", file=path.name, note=CELL_KEY_NOTE),
        severity="info",
    )
    return attach_report(gdf, report, created)


@dataclass(frozen=True)
class _Chunks:
    """The cells of the CSV inside the bounding box, values still text."""

    frame: pd.DataFrame
    id_col: str
    value_cols: list[str]
    res: int
    n_rows: int
    n_chunks: int


def _value_columns(
    path: Path, header: list[str], fixed: Sequence[str], columns: Sequence[str] | None
) -> list[str]:
    value_cols = [c for c in header if c not in (*fixed, FLAG_COLUMN)]
    if columns is None:
        return value_cols
    missing = [c for c in columns if c not in value_cols]
    if missing:
        raise InputDataError(
            Message(
                "population.zensus.columns_missing",
                path=str(path),
                missing=missing,
                columns=value_cols,
            )
        )
    return list(columns)


def _read_chunks(
    path: Path,
    encoding: str,
    bbox: Sequence[float] | None,
    bbox_crs: Any,
    columns: Sequence[str] | None,
    chunksize: int,
) -> _Chunks:
    """Read the CSV chunk by chunk with one encoding; filter each chunk to the bbox."""
    header = _clean_header(
        pd.read_csv(path, sep=";", nrows=0, encoding=encoding, encoding_errors="strict").columns
    )
    id_col, x_col, y_col, res = _grid_columns(path, header)
    value_cols = _value_columns(path, header, (id_col, x_col, y_col), columns)
    keep = [id_col, x_col, y_col, *value_cols] + ([FLAG_COLUMN] if FLAG_COLUMN in header else [])
    box = _bbox_3035(bbox, bbox_crs, res / 2)
    reader = pd.read_csv(
        path,
        sep=";",
        header=0,
        names=header,
        usecols=keep,
        # centres parsed by the C parser (fast); values stay text to see "–" and "(…)"
        dtype={c: ("float64" if c in (x_col, y_col) else object) for c in keep},
        decimal=",",
        keep_default_na=False,
        na_values={x_col: [""], y_col: [""]},  # empty centres: reported and dropped
        encoding=encoding,
        encoding_errors="strict",
        chunksize=chunksize,
    )
    parts = []
    n_rows = n_chunks = 0
    with reader:
        try:
            for chunk in reader:  # loop over chunks (I/O), not over cells
                n_rows += len(chunk)
                n_chunks += 1
                if box is not None:
                    x, y = chunk[x_col], chunk[y_col]
                    chunk = chunk.loc[x.between(box[0], box[2]) & y.between(box[1], box[3])]
                parts.append(chunk.rename(columns={x_col: "_x", y_col: "_y"}))
        except ValueError as exc:
            if isinstance(exc, UnicodeDecodeError):
                raise
            raise InputDataError(
                Message(
                    "population.zensus.bad_centres",
                    path=str(path),
                    x=x_col,
                    y=y_col,
                    row=n_rows + 2,
                    error=str(exc),
                )
            ) from exc
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            {c: pd.Series(dtype=object) for c in keep if c not in (x_col, y_col)}
            | {"_x": pd.Series(dtype="float64"), "_y": pd.Series(dtype="float64")}
        )
    )
    return _Chunks(frame, id_col, value_cols, res, n_rows, n_chunks)


__all__ = [
    "CELL_KEY_NOTE",
    "RESOLUTIONS",
    "ZENSUS_CRS",
    "read_zensus_grid",
]
