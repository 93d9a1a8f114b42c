"""Zensus 2022 grid data (population per 100 m, 1 km or 10 km cell).

The Federal Statistical Office publishes each topic as CSV: ``;`` delimiter, decimal
comma, UTF-8 (sometimes with BOM; cp1252 is tolerated too), columns ``GITTER_ID_100m``,
``x_mp_100m``, ``y_mp_100m`` (cell centres, EPSG:3035) followed by values. An en dash
``–`` marks a value that is zero or blocked for confidentiality; uninhabited cells are
absent; an optional ``werterlaeuternde_Zeichen`` column may say ``KLAMMERN`` (limited
reliability).

Zensus 2022 protects the grid with the *cell-key method*: small counts are perturbed, and
each topic is perturbed on its own. Grid sums therefore need not add up to official totals
(nor to each other across topics) and must never be presented as official totals.

Age bands and what they give in the age-group vocabulary of :mod:`sqe_geo.population.residents`
(default bands: young 0–19, working_age 20–64, older 65+, young_old 65–79, oldest_old 80+):

- *Bevölkerungszahl* (``Einwohner``): ``total``.
- *Alter in 10er-Jahresgruppen* (``Insgesamt_Bevoelkerung``, ``Unter10``, ``a10bis19``, …,
  ``a70bis79``, ``a80undaelter``): ``total``, ``young`` = ``Unter10 + a10bis19`` and
  ``oldest_old`` = ``a80undaelter`` (the only grid source of 80+). ``working_age`` (20–64),
  ``older`` (65+) and ``young_old`` (65–79) are NOT derivable: 65 is not a band edge
  (``a60bis69``). With ``older_from=60`` the 60+ variant is derived (older 60+,
  working_age 20–59, young_old 60–79), labelled as a non-default definition.
- *Alter in 5 Altersklassen* (``Insgesamt_Bevoelkerung``, ``Unter18``, ``a18bis29``,
  ``a30bis49``, ``a50bis64``, ``a65undaelter``): ``total`` and ``older`` = ``a65undaelter``.
  ``young`` (0–19) and ``working_age`` (20–64) are not derivable (the edge is 18; with
  ``working_age_from=18``: young 0–17, working_age 18–64); ``young_old`` and ``oldest_old``
  are not derivable (no 80 edge).

Uncertainty: the 5-Altersklassen column names above are the ones used by public code that
reads the Zensus 2022 files, not checked against an official file here; check them against
the dataset description in the ZIP. Never mix bands of different topics: each topic is
perturbed on its own.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from sqe_geo._errors import InputDataError
from sqe_geo.population.origins import (
    AGE_GROUPS,
    assign_quarters,
    attach_report,
    check_counts,
    check_quarters,
    new_report,
    origins_frame,
    report_ties,
    residents_text,
    split_outside,
)
from sqe_geo.population.raster_writer import write_population_raster
from sqe_geo.quality import QualityReport

#: CRS of the Zensus grid.
ZENSUS_CRS = "EPSG:3035"

#: Resolutions as written in the column names, in metres.
RESOLUTIONS: dict[str, int] = {"100m": 100, "1km": 1_000, "10km": 10_000}

#: Values that mean "zero or blocked" (en dash; hyphen and em dash tolerated).
BLOCKED_MARKS: tuple[str, ...] = ("–", "-", "—")

#: Total-population columns: Bevölkerungszahl topic, then the age topics.
TOTAL_COLUMNS: tuple[str, ...] = ("Einwohner", "Insgesamt_Bevoelkerung")

_INF = 10_000  # open upper age bound

#: Age bands of the topic "Alter in 10er-Jahresgruppen": column, lower age, upper age (excl.).
TEN_YEAR_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Unter10", 0, 10),
    ("a10bis19", 10, 20),
    ("a20bis29", 20, 30),
    ("a30bis39", 30, 40),
    ("a40bis49", 40, 50),
    ("a50bis59", 50, 60),
    ("a60bis69", 60, 70),
    ("a70bis79", 70, 80),
    ("a80undaelter", 80, _INF),
)

#: Age bands of the topic "Alter in 5 Altersklassen" (column names: see module docstring).
FIVE_CLASS_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Unter18", 0, 18),
    ("a18bis29", 18, 30),
    ("a30bis49", 30, 50),
    ("a50bis64", 50, 65),
    ("a65undaelter", 65, _INF),
)

_TOPICS: tuple[tuple[str, tuple[tuple[str, int, int], ...]], ...] = (
    ("Alter in 10er-Jahresgruppen", TEN_YEAR_BANDS),
    ("Alter in 5 Altersklassen", FIVE_CLASS_BANDS),
)

_CELL_KEY_NOTE = (
    "Zensus 2022 grid counts are perturbed by the cell-key method (each topic on its own): "
    "sums over cells need not equal official totals and must not be presented as such."
)

_RES_IN_ID = re.compile(r"RES(\d+)(m|km)")


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------


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
    report.add("zensus_cell_key", "zensus", f"{path.name}: {_CELL_KEY_NOTE}", severity="info")
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


# --------------------------------------------------------------------------------------------
# age groups
# --------------------------------------------------------------------------------------------


def _group_bounds(working_age_from: int, older_from: int) -> dict[str, tuple[int, int]]:
    bounds = {
        "young": (0, working_age_from),
        "working_age": (working_age_from, older_from),
        "older": (older_from, _INF),
        "oldest_old": (80, _INF),
    }
    if older_from < 80:
        bounds["young_old"] = (older_from, 80)
    return bounds


def _age_text(lo: int, hi: int) -> str:
    return f"{lo}+" if hi >= _INF else f"{lo}–{hi - 1}"


def zensus_age_groups(
    cells: pd.DataFrame,
    *,
    working_age_from: int = 20,
    older_from: int = 65,
    report: QualityReport | None = None,
) -> pd.DataFrame:
    """Add the age-group columns that the Zensus bands in ``cells`` tile exactly.

    A group is derived only when its age range is exactly a union of published bands of
    one topic (topics are perturbed separately, so bands are never mixed across topics;
    the 10-year topic is preferred). ``total`` is ``Einwohner`` or else
    ``Insgesamt_Bevoelkerung``.

    Parameters
    ----------
    cells
        Output of :func:`read_zensus_grid` (one topic, or several merged on ``cell_id``).
    working_age_from
        First age of ``working_age`` (and end of ``young``); default 20. With the
        5-Altersklassen topic, 18 gives young = 0–17 and working_age = 18–64.
    older_from
        First age of ``older`` (and start of ``young_old``); default 65. With the 10-year
        topic, 60 gives older = 60+, working_age = 20–59 and young_old = 60–79 (the
        "older = 60+" variant); use it only when that definition is wanted and labelled.
    report
        Receives ``zensus_age_groups`` (info: derived groups with their source columns
        and the definition) and ``zensus_age_groups_not_derivable`` (info: requested groups
        the bands do not tile, e.g. 65+ from 10-year groups).

    Returns
    -------
    pandas.DataFrame
        A copy of ``cells`` whose age-group columns are exactly the derivable ones (earlier
        age-group columns are replaced; NaN in a band gives NaN).
    """
    report, created = new_report(report)
    # Age-group columns from an earlier call with other bounds would be stale: drop them.
    out = cells.drop(columns=[g for g in AGE_GROUPS if g in cells.columns])
    derived: dict[str, str] = {}
    for column in TOTAL_COLUMNS:
        if column in cells.columns:
            out["total"] = cells[column].astype("float64")
            derived["total"] = column
            break
    not_derivable: list[str] = []
    for group, (lo, hi) in _group_bounds(working_age_from, older_from).items():
        for topic, bands in _TOPICS:
            present = [b for b in bands if b[0] in cells.columns]
            if len(present) != len(bands):
                continue
            inner = [b for b in bands if b[1] >= lo and b[2] <= hi]
            starts = {b[1] for b in bands}
            ends = {b[2] for b in bands}
            if lo in starts and hi in ends and inner:
                names = [b[0] for b in inner]
                out[group] = cells[names].astype("float64").sum(axis=1, min_count=len(names))
                derived[group] = f"{' + '.join(names)} ({topic})"
                break
        else:
            not_derivable.append(f"{group} ({_age_text(lo, hi)})")
    variant = (working_age_from, older_from) != (20, 65)
    definition = ", ".join(
        f"{g} {_age_text(*b)}"
        for g, b in _group_bounds(working_age_from, older_from).items()
        if g in derived
    )
    if derived:
        report.add(
            "zensus_age_groups",
            "zensus",
            "Age groups derived from the Zensus grid: "
            + "; ".join(f"{g} = {src}" for g, src in derived.items())
            + (f". NON-DEFAULT definition: {definition}." if variant else "."),
            severity="warning" if variant else "info",
            items=list(derived),
        )
    if not_derivable:
        report.add(
            "zensus_age_groups_not_derivable",
            "zensus",
            "The published age bands do not tile these groups exactly, so they were not "
            f"derived: {', '.join(not_derivable)}. Use quarter demographics for them "
            "(e.g. with sqe_geo.population.dasymetric.reallocate_to_year).",
            severity="info",
            items=not_derivable,
        )
    return attach_report(out, report, created)


# --------------------------------------------------------------------------------------------
# cells → origins, quarters, raster
# --------------------------------------------------------------------------------------------


def _resolution(cells: gpd.GeoDataFrame, resolution_m: float | None) -> float:
    if resolution_m is not None:
        return float(resolution_m)
    if "zensus_resolution_m" in cells.attrs:
        return float(cells.attrs["zensus_resolution_m"])
    if "cell_id" in cells.columns and len(cells):
        found = cells["cell_id"].astype(str).str.extract(_RES_IN_ID).dropna()
        if len(found):
            metres = found[0].astype(int) * np.where(found[1] == "km", 1000, 1)
            if metres.nunique() == 1:
                return float(metres.iloc[0])
    raise InputDataError(
        "zensus cells: cannot tell the cell size (no 'RESxxxm' in cell_id); pass resolution_m."
    )


def _count_columns(cells: pd.DataFrame, count_columns: Mapping[str, str] | None) -> dict[str, str]:
    if count_columns is None:
        mapping = {g: g for g in AGE_GROUPS if g in cells.columns}
        if not mapping:
            raise InputDataError(
                "zensus cells: no age-group column (total, young, …); call "
                "zensus_age_groups(cells) first or pass count_columns={'Einwohner': 'total'}."
            )
        return mapping
    missing = [c for c in count_columns if c not in cells.columns]
    if missing:
        raise InputDataError(
            f"zensus cells: column(s) {missing} not found (columns: {list(cells.columns)}); "
            "fix count_columns."
        )
    for column, group in count_columns.items():
        if group not in AGE_GROUPS:
            raise InputDataError(
                f"count_columns[{column!r}]: '{group}' is not an age group; use one of "
                f"{', '.join(AGE_GROUPS)}."
            )
    return dict(count_columns)


def zensus_to_origins(
    cells: gpd.GeoDataFrame,
    quarters: gpd.GeoDataFrame,
    *,
    count_columns: Mapping[str, str] | None = None,
    resolution_m: float | None = None,
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Turn Zensus cells into origins at the cell centres, assigned to quarters by centre.

    Parameters
    ----------
    cells
        Output of :func:`read_zensus_grid` (centres or squares), usually after
        :func:`zensus_age_groups`.
    quarters
        Quarter polygons with ``quarter_id`` in the (projected) analysis CRS.
    count_columns
        Mapping of cell column to age group (e.g. ``{"Einwohner": "total"}``); default: the
        age-group columns already in ``cells``.
    resolution_m
        Cell size; default from ``cells.attrs`` or the ``RES100m`` part of ``cell_id``.
    report
        Receives the findings (see Notes).

    Returns
    -------
    geopandas.GeoDataFrame
        Origins (``origin_id`` = ``cell_id``) in the CRS of ``quarters``. Cells without
        residents in any selected column are skipped.

    Notes
    -----
    Each cell goes wholly to the quarter containing its centre. Reported:
    ``zensus_cells_cut`` (cells whose square is cut by a quarter boundary: how many, their
    residents and an area-weighted estimate of residents that actually live in a
    neighbouring quarter or outside), ``zensus_cells_partly_inside`` (warning: cells
    overlapping a quarter whose centre lies outside every quarter, dropped with their
    residents and an area-weighted estimate of those living inside), ``outside_quarters``
    (info: cells wholly outside every quarter, with their residents), ``boundary_ties``,
    ``missing_counts`` (NaN counts read as 0).
    """
    report, created = new_report(report)
    check_quarters(quarters)
    if cells.crs is None:
        raise InputDataError("zensus cells: no CRS; Zensus grids are EPSG:3035 (set_crs).")
    mapping = _count_columns(cells, count_columns)
    res = _resolution(cells, resolution_m)
    ids = (
        cells["cell_id"].astype(str).to_numpy()
        if "cell_id" in cells.columns
        else ("c" + pd.Series(np.arange(len(cells))).astype(str)).to_numpy()
    )
    counts = check_counts(
        pd.DataFrame({g: cells[c].to_numpy() for c, g in mapping.items()}), where="zensus cells"
    )
    n_nan = counts.isna().any(axis=1).to_numpy()
    if n_nan.any():
        report.add(
            "missing_counts",
            "zensus",
            f"{int(n_nan.sum())} cells have missing (blocked or unreadable) counts in "
            f"{[g for g in counts.columns if counts[g].isna().any()]}, read as 0.",
            items=ids[n_nan],
        )
        counts = counts.fillna(0.0)
    has_people = (counts > 0).any(axis=1).to_numpy()
    ids, counts = ids[has_people], counts.loc[has_people].reset_index(drop=True)
    geoms = cells.geometry.to_numpy()[has_people]
    if len(geoms) and shapely.get_type_id(geoms).max() == 0:  # points: build the squares
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        squares = shapely.box(x - res / 2, y - res / 2, x + res / 2, y + res / 2)
        centres = geoms
    else:
        squares = geoms
        centres = shapely.centroid(geoms)
    centres_q = gpd.GeoSeries(centres, crs=cells.crs).to_crs(quarters.crs).values
    squares_q = gpd.GeoSeries(squares, crs=cells.crs).to_crs(quarters.crs).values
    quarter_id, ties = assign_quarters(centres_q, quarters)
    report_ties(report, "zensus", ties, "cell centres")

    inside = pd.notna(quarter_id)
    # Cells outside every quarter: wholly outside (neighbouring municipalities inside the
    # reading bbox, expected) or overlapping a quarter partly (residents lost at the edge).
    partly = np.zeros(len(ids), dtype=bool)
    frac_partly = np.zeros(len(ids))
    if (~inside).any():
        hits = np.flatnonzero(~inside)[
            np.unique(quarters.sindex.query(squares_q[~inside], predicate="intersects")[0])
        ]
        if len(hits):
            study = shapely.union_all(shapely.make_valid(quarters.geometry.to_numpy()))
            sq = squares_q[hits]
            frac_partly[hits] = shapely.area(shapely.intersection(sq, study)) / shapely.area(sq)
            partly = frac_partly > 1e-9  # squares merely touching a quarter are wholly outside
    if partly.any():
        lost = counts.loc[partly]
        report.add(
            "zensus_cells_partly_inside",
            "zensus",
            f"{int(partly.sum())} cells overlap a quarter but have their centre outside every "
            f"quarter and were dropped; residents in these cells: {residents_text(lost)}; by "
            f"area about {residents_text(lost.mul(frac_partly[partly], axis=0))} of them live "
            "inside.",
            items=ids[partly],
        )
    wholly = ~inside & ~partly
    split_outside(
        ids[wholly],
        quarter_id[wholly],
        counts.loc[wholly],
        report=report,
        layer="zensus",
        what="cells",
        severity="info",
        hint="They lie wholly outside the quarters (expected when the bounding box covers "
        "neighbouring municipalities).",
    )

    # Cells cut by a boundary: share of the square inside its own quarter.
    geom_by_id = pd.Series(
        shapely.make_valid(quarters.geometry.to_numpy()), index=quarters["quarter_id"].to_numpy()
    )
    own = geom_by_id.loc[quarter_id[inside]].to_numpy()
    sq_in = squares_q[inside]
    frac_in = shapely.area(shapely.intersection(sq_in, own)) / shapely.area(sq_in)
    cut = frac_in < 1 - 1e-6
    if cut.any():
        cut_counts = counts.loc[inside].reset_index(drop=True).loc[cut]
        moved = cut_counts.mul(1 - frac_in[cut], axis=0)
        report.add(
            "zensus_cells_cut",
            "zensus",
            f"{int(cut.sum())} cells are cut by a quarter boundary and were assigned wholly "
            f"to the quarter of their centre; residents in these cells: "
            f"{residents_text(cut_counts)}; by area about {residents_text(moved)} of them "
            "live across the boundary.",
            items=ids[inside][cut],
        )
    result = origins_frame(
        ids[inside],
        quarter_id[inside],
        counts.loc[inside].reset_index(drop=True),
        centres_q[inside],
        quarters.crs,
    )
    return attach_report(result, report, created)


def zensus_to_quarters(
    cells: gpd.GeoDataFrame,
    quarters: gpd.GeoDataFrame,
    *,
    count_columns: Mapping[str, str] | None = None,
    resolution_m: float | None = None,
    report: QualityReport | None = None,
) -> pd.DataFrame:
    """Sum Zensus cells per quarter (cells assigned by centre).

    Parameters
    ----------
    cells, quarters, count_columns, resolution_m, report
        As for :func:`zensus_to_origins`, whose findings are reported too.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quarter_id`` in the order of ``quarters`` (every quarter, 0 where no
        cell), one column per age group. These are perturbed grid sums, not official
        totals (finding ``zensus_cell_key``).
    """
    report, created = new_report(report)
    origins = zensus_to_origins(
        cells, quarters, count_columns=count_columns, resolution_m=resolution_m, report=report
    )
    groups = [g for g in AGE_GROUPS if g in origins.columns]
    sums = (
        pd.DataFrame(origins[["quarter_id", *groups]])
        .groupby("quarter_id")[groups]
        .sum()
        .reindex(pd.Index(quarters["quarter_id"].to_numpy(), name="quarter_id"), fill_value=0.0)
    )
    report.add(
        "zensus_cell_key",
        "zensus",
        f"Quarter sums from the grid: {_CELL_KEY_NOTE}",
        severity="info",
    )
    return attach_report(sums, report, created)


def zensus_to_raster(
    cells: gpd.GeoDataFrame,
    path: str | Path,
    columns: Sequence[str],
    *,
    resolution_m: float | None = None,
) -> Path:
    """Write Zensus cells as a GeoTIFF in EPSG:3035, one band per column.

    Parameters
    ----------
    cells
        Zensus cells in EPSG:3035 (centres or squares).
    path
        Output GeoTIFF (written to a temporary file, then renamed).
    columns
        Columns to write; band descriptions are the column names, so age-group columns
        (after :func:`zensus_age_groups`) can be read back with
        :func:`sqe_geo.population.residents.origins_from_raster` directly.
    resolution_m
        Cell size; default from ``cells.attrs`` or ``cell_id``.

    Returns
    -------
    pathlib.Path
        The written file; cells absent from ``cells`` are 0, NaN values are written as 0.
    """
    if cells.crs is None or CRS.from_user_input(cells.crs) != CRS.from_user_input(ZENSUS_CRS):
        raise InputDataError(
            f"zensus_to_raster: cells must be in {ZENSUS_CRS} (found {cells.crs}); the Zensus "
            "grid is only a grid in its own CRS."
        )
    res = _resolution(cells, resolution_m)
    points = cells
    if len(cells) and shapely.get_type_id(cells.geometry.to_numpy()).max() != 0:
        points = cells.set_geometry(cells.geometry.centroid)
    return write_population_raster(path, points, resolution=res, columns=list(columns))


__all__ = [
    "FIVE_CLASS_BANDS",
    "TEN_YEAR_BANDS",
    "ZENSUS_CRS",
    "read_zensus_grid",
    "zensus_age_groups",
    "zensus_to_origins",
    "zensus_to_quarters",
    "zensus_to_raster",
]
