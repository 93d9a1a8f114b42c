"""Reading geodata: one place where vector layers come in.

Readers accept GeoPackage, GeoJSON, Shapefile (also zipped), GeoParquet, FlatGeobuf and
CSV/XLSX tables with coordinate columns. Every layer is reprojected to the analysis CRS;
a layer without a CRS is an error unless the study file states one, and invalid
geometries are repaired and counted in the data-quality report.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from sqe_geo._errors import InputDataError
from sqe_geo.quality import QualityReport

_VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".gml", ".kml"}
_PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
_TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm"}


_OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz")


def is_osm(path: str | Path) -> bool:
    """Whether a file is OpenStreetMap data (XML or PBF)."""
    return Path(path).name.lower().endswith(_OSM_SUFFIXES)


def is_json_list(path: str | Path) -> bool:
    """Whether a ``.json`` file holds a plain JSON list (a place list, not GeoJSON)."""
    path = Path(path)
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")


def is_zensus_grid(path: str | Path) -> bool:
    """Whether a CSV is a Zensus 2022 grid table (its header has ``GITTER_ID_…``)."""
    path = Path(path)
    if path.suffix.lower() not in {".csv", ".txt"} or not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.readline(4096)
    return b"GITTER_ID" in head.upper()


def parse_crs(text: str, *, where: str) -> CRS:
    """Parse a CRS given in a study file, naming the key on failure."""
    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise InputDataError(
            f"{where}: {text!r} is not a coordinate reference system. "
            "Use an EPSG code such as 'EPSG:25832'."
        ) from None


def _read_raw(
    path: Path,
    layer: str | None,
    x_column: str | None,
    y_column: str | None,
    crs: str | None,
) -> gpd.GeoDataFrame:
    suffix = path.suffix.lower()
    if suffix in _PARQUET_SUFFIXES:
        return gpd.read_parquet(path)
    if suffix in _TABLE_SUFFIXES:
        from sqe_geo.tables import read_table

        table = read_table(path)
        if x_column is None or y_column is None:
            raise InputDataError(
                f"{path.name} is a table: give 'x_column' and 'y_column' (for example lon and "
                "lat) in the study file so its rows can be placed on the map."
            )
        for column in (x_column, y_column):
            if column not in table.columns:
                raise InputDataError(
                    f"{path.name} has no column {column!r}; columns are {list(table.columns)}."
                )
        x = pd.to_numeric(table[x_column], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(table[y_column], errors="coerce").to_numpy(dtype=float)
        # rows without usable coordinates get no geometry (reported as empty_geometry)
        points = np.where(np.isnan(x) | np.isnan(y), None, shapely.points(x, y))
        return gpd.GeoDataFrame(table.drop(columns=[x_column, y_column]), geometry=points, crs=crs)
    if suffix not in _VECTOR_SUFFIXES:
        raise InputDataError(
            f"{path.name}: unsupported file type {suffix!r}. Use GeoPackage, GeoJSON, "
            "Shapefile (also zipped), GeoParquet or a CSV/XLSX table with coordinates."
        )
    source = f"/vsizip/{path}" if suffix == ".zip" else path
    if layer is None and suffix in {".zip", ".gpkg"}:
        layers = pyogrio.list_layers(source)
        if len(layers) > 1:
            names = ", ".join(str(n) for n in layers[:, 0])
            raise InputDataError(
                f"{path.name} holds several layers ({names}); name one with 'layer'."
            )
    return gpd.read_file(source, layer=layer, engine="pyogrio")


def read_vector(
    path: str | Path,
    *,
    target_crs: str,
    what: str,
    layer: str | None = None,
    crs: str | None = None,
    x_column: str | None = None,
    y_column: str | None = None,
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer and reproject it to the analysis CRS.

    Parameters
    ----------
    path
        The file (GeoPackage, GeoJSON, Shapefile, zipped Shapefile, GeoParquet, CSV, XLSX).
    target_crs
        The analysis CRS.
    what
        What the layer is (``"quarters"``, ``"services"``): used in messages and the report.
    layer
        Layer name inside a multi-layer file.
    crs
        The CRS of a file that does not declare one (the study file's ``crs`` key).
    x_column, y_column
        Coordinate columns of a table.
    report
        Receives findings: CRS taken from the study file, repaired or empty geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in ``target_crs``.
    """
    path = Path(path)
    report = report if report is not None else QualityReport()
    if not path.exists():
        raise InputDataError(f"{what}: file {path} does not exist. Check its 'path' key.")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = _read_raw(path, layer, x_column, y_column, crs)
    except InputDataError:
        raise
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
        raise InputDataError(f"{what}: cannot read {path.name}: {exc}") from None
    if caught:
        # reader warnings are about the file (e.g. columns mixing numbers and text, which
        # stay text): they belong in the report, not on the user's console
        report.add(
            "reader_note",
            what,
            f"{path.name}: the reader noted {len(caught)} thing(s) about the file.",
            severity="info",
            items=sorted({str(w.message) for w in caught}),
        )
    if len(frame) == 0:
        raise InputDataError(f"{what}: {path.name} has no features.")
    if frame.crs is None:
        if crs is None:
            raise InputDataError(
                f"{what}: {path.name} declares no coordinate reference system. Add "
                f"'crs = \"EPSG:4326\"' (or the right code) to the [{what}] section of the "
                "study file."
            )
        frame = frame.set_crs(parse_crs(crs, where=f"[{what}] crs"))
        report.add(
            "crs_from_study",
            what,
            f"{path.name} has no CRS; used {crs} from the study file.",
            severity="info",
        )
    elif crs is not None and CRS.from_user_input(crs) != frame.crs:
        raise InputDataError(
            f"{what}: {path.name} declares {frame.crs.to_string()} but the study file says "
            f"{crs}. Remove the 'crs' key (it is only for files without a CRS) or fix the file."
        )
    frame = frame.to_crs(parse_crs(target_crs, where="analysis_crs"))
    return repair_geometries(frame, what=what, path=path, report=report)


def repair_geometries(
    frame: gpd.GeoDataFrame, *, what: str, path: Path, report: QualityReport
) -> gpd.GeoDataFrame:
    """Repair invalid geometries (``make_valid``) and report empty ones; drop nothing."""
    geoms = frame.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        report.add(
            "empty_geometry",
            what,
            f"{path.name}: {int(missing.sum())} feature(s) without geometry; they cannot be "
            "placed and are left out of spatial steps.",
            items=np.flatnonzero(missing),
        )
    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        repaired = shapely.make_valid(geoms[invalid])
        frame = frame.copy()
        frame.loc[invalid, frame.geometry.name] = repaired
        report.add(
            "invalid_geometry_repaired",
            what,
            f"{path.name}: {int(invalid.sum())} invalid geometr(y/ies) repaired with make_valid.",
            items=[f"row {i}: {r}" for i, r in zip(np.flatnonzero(invalid), reasons, strict=True)],
        )
    return frame
