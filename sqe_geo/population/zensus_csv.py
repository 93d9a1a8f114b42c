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
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from sqe_geo._errors import InputDataError
from sqe_geo.population.origins import attach_report, new_report
from sqe_geo.quality import QualityReport

#: CRS of the Zensus grid.
ZENSUS_CRS = "EPSG:3035"

#: Resolutions as written in the column names, in metres.
RESOLUTIONS: dict[str, int] = {"100m": 100, "1km": 1_000, "10km": 10_000}

#: Values that mean "zero or blocked" (en dash; hyphen and em dash tolerated).
BLOCKED_MARKS: tuple[str, ...] = ("–", "-", "—")


CELL_KEY_NOTE = (
    "Zensus 2022 grid counts are perturbed by the cell-key method (each topic on its own): "
    "sums over cells need not equal official totals and must not be presented as such."
)


def _grid_columns(path: Path, columns: Sequence[str]) -> tuple[str, str, str, int]:
    """Find the id and centre columns and the resolution from the header."""
    for suffix, metres in RESOLUTIONS.items():
        wanted = (f"GITTER_ID_{suffix}", f"x_mp_{suffix}", f"y_mp_{suffix}")
        if all(w in columns for w in wanted):
            return (*wanted, metres)
    raise InputDataError(
        f"{path}: not a Zensus grid CSV: expected the columns GITTER_ID_100m, x_mp_100m, "
        f"y_mp_100m (or _1km, _10km) separated by ';', found {list(columns)[:8]}. "
        "Use the CSV from the Zensus 2022 ZIP unchanged."
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
        raise InputDataError(f"bbox must be (minx, miny, maxx, maxy), got {tuple(bbox)}.")
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if bbox_crs is not None and CRS.from_user_input(bbox_crs) != CRS.from_user_input(ZENSUS_CRS):
        transformer = Transformer.from_crs(bbox_crs, ZENSUS_CRS, always_xy=True)
        minx, miny, maxx, maxy = transformer.transform_bounds(
            minx, miny, maxx, maxy, densify_pts=21
        )
    return (minx - half_cell, miny - half_cell, maxx + half_cell, maxy + half_cell)


def _to_number(text: pd.Series) -> pd.Series:
    """Parse numbers with a decimal comma; unreadable text gives NaN."""
    values = pd.to_numeric(text, errors="coerce")  # fast path: plain integers
    retry = values.isna() & (text.astype(str).str.strip() != "")
    if retry.any():
        comma = text[retry].astype(str).str.strip().str.replace(",", ".", regex=False)
        values = values.astype("float64")
        values[retry] = pd.to_numeric(comma, errors="coerce")
    return values.astype("float64")


def _parse_values(text: pd.Series, blocked_value: float) -> tuple[pd.Series, int, int, pd.Series]:
    """Parse one value column; return values, #blocked, #parenthesised, unparseable mask."""
    s = text.fillna("").astype(str).str.strip()
    blocked = s.isin(BLOCKED_MARKS)
    paren = s.str.startswith("(") & s.str.endswith(")")
    s = s.str.strip("()").str.strip()
    values = _to_number(s)
    values = values.mask(blocked, blocked_value)
    bad = values.isna() & ~blocked & (s != "")
    return values.astype("float64"), int(blocked.sum()), int(paren.sum()), bad


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
    if not path.exists():
        raise InputDataError(f"{path}: Zensus grid CSV not found; check the path.")
    if blocked_as not in ("zero", "missing"):
        raise InputDataError(f"blocked_as must be 'zero' or 'missing', got {blocked_as!r}.")
    if geometry not in ("centre", "cell"):
        raise InputDataError(f"geometry must be 'centre' or 'cell', got {geometry!r}.")
    if chunksize < 1:
        raise InputDataError("chunksize must be ≥ 1.")
    blocked_value = 0.0 if blocked_as == "zero" else np.nan
    try:
        result = _read_chunks(path, "utf-8-sig", bbox, bbox_crs, columns, chunksize)
    except UnicodeDecodeError:
        result = _read_chunks(path, "cp1252", bbox, bbox_crs, columns, chunksize)
        report.add(
            "zensus_encoding",
            "zensus",
            f"{path.name} is not valid UTF-8 and was read as cp1252 (Windows-1252).",
            severity="info",
        )
    frame, id_col, value_cols, res, n_rows, n_chunks = result
    flag_col = "werterlaeuternde_Zeichen"

    n_missing_xy = int(frame["_x"].isna().sum() + frame["_y"].isna().sum())
    if n_missing_xy:
        bad_xy = frame["_x"].isna() | frame["_y"].isna()
        report.add(
            "zensus_missing_coordinates",
            "zensus",
            f"{path.name}: {int(bad_xy.sum())} rows without readable cell-centre coordinates "
            "were dropped.",
            items=frame.loc[bad_xy, id_col],
        )
        frame = frame.loc[~bad_xy]

    out: dict[str, Any] = {"cell_id": frame[id_col].astype("str").to_numpy()}
    blocked_counts: dict[str, int] = {}
    n_paren = 0
    unparseable = np.zeros(len(frame), dtype=bool)
    for column in value_cols:  # one pass per topic column, vectorised over cells
        values, n_blocked, n_p, bad = _parse_values(frame[column], blocked_value)
        out[column] = values.to_numpy()
        n_paren += n_p
        unparseable |= bad.to_numpy()
        if n_blocked:
            blocked_counts[column] = n_blocked
    flagged = np.zeros(len(frame), dtype=bool)
    if flag_col in frame.columns:
        flags = frame[flag_col].fillna("").astype(str).str.strip()
        out[flag_col] = flags.to_numpy()
        flagged = flags.str.upper().str.contains("KLAMMER", regex=False).to_numpy()
    x, y = frame["_x"].to_numpy("float64"), frame["_y"].to_numpy("float64")
    if geometry == "centre":
        geoms = gpd.points_from_xy(x, y)
    else:
        half = res / 2
        geoms = shapely.box(x - half, y - half, x + half, y + half)
    gdf = gpd.GeoDataFrame(pd.DataFrame(out), geometry=geoms, crs=ZENSUS_CRS)
    gdf.attrs["zensus_resolution_m"] = res

    where = "inside the bounding box" if bbox is not None else "(no bounding box)"
    report.add(
        "zensus_read",
        "zensus",
        f"{path.name}: scanned {n_rows:,} rows in {n_chunks} chunk(s) of at most "
        f"{chunksize:,} rows; kept {len(gdf):,} cells of {res} m {where}.",
        severity="info",
        count=len(gdf),
    )
    if blocked_counts:
        listed = ", ".join(f"{c}: {n}" for c, n in blocked_counts.items())
        read_as = "0" if blocked_as == "zero" else "missing (NaN)"
        report.add(
            "zensus_blocked_values",
            "zensus",
            f"{path.name}: {sum(blocked_counts.values())} values are '–' (zero or blocked for "
            f"confidentiality) and were read as {read_as} ({listed}).",
            count=sum(blocked_counts.values()),
            items=[f"{c}={n}" for c, n in blocked_counts.items()],
        )
    if flagged.any() or n_paren:
        report.add(
            "zensus_klammern",
            "zensus",
            f"{path.name}: {int(flagged.sum())} cells are flagged KLAMMERN and {n_paren} "
            "values are in parentheses (limited reliability); they are used as published.",
            count=int(flagged.sum()),
            items=gdf.loc[flagged, "cell_id"],
        )
    if unparseable.any():
        report.add(
            "zensus_unparseable",
            "zensus",
            f"{path.name}: {int(unparseable.sum())} cells hold values that are not numbers; "
            "they were read as missing (NaN).",
            items=gdf.loc[unparseable, "cell_id"],
        )
    report.add("zensus_cell_key", "zensus", f"{path.name}: {CELL_KEY_NOTE}", severity="info")
    return attach_report(gdf, report, created)


def _read_chunks(
    path: Path,
    encoding: str,
    bbox: Sequence[float] | None,
    bbox_crs: Any,
    columns: Sequence[str] | None,
    chunksize: int,
) -> tuple[pd.DataFrame, str, list[str], int, int, int]:
    """Read the CSV chunk by chunk with one encoding; filter each chunk to the bbox."""
    header = _clean_header(
        pd.read_csv(path, sep=";", nrows=0, encoding=encoding, encoding_errors="strict").columns
    )
    id_col, x_col, y_col, res = _grid_columns(path, header)
    flag_col = "werterlaeuternde_Zeichen"
    value_cols = [c for c in header if c not in (id_col, x_col, y_col, flag_col)]
    if columns is not None:
        missing = [c for c in columns if c not in value_cols]
        if missing:
            raise InputDataError(
                f"{path}: column(s) {missing} not in the file (value columns: {value_cols}); "
                "fix columns=."
            )
        value_cols = list(columns)
    keep = [id_col, x_col, y_col, *value_cols] + ([flag_col] if flag_col in header else [])
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
                f"{path}: the cell-centre columns {x_col}/{y_col} hold values that are not "
                f"numbers near row {n_rows + 2} ({exc}); use the CSV from the Zensus ZIP unchanged."
            ) from exc
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            {c: pd.Series(dtype=object) for c in keep if c not in (x_col, y_col)}
            | {"_x": pd.Series(dtype="float64"), "_y": pd.Series(dtype="float64")}
        )
    )
    return frame, id_col, value_cols, res, n_rows, n_chunks


__all__ = ["BLOCKED_MARKS", "RESOLUTIONS", "ZENSUS_CRS", "read_zensus_grid"]
