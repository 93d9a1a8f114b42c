"""Reading geodata: one place where vector layers come in.

Readers accept GeoPackage, GeoJSON, Shapefile (also zipped), GeoParquet, FlatGeobuf and
CSV/XLSX tables with coordinate columns. Every layer is reprojected to the analysis CRS;
a layer without a CRS is an error unless the study file states one, and invalid
geometries are repaired and counted in the data-quality report.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from sqe_geo._errors import InputDataError, listing
from sqe_geo.config_database import DatabaseLayer
from sqe_geo.i18n.messages import Message
from sqe_geo.io.extent import check_extent
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
        raise InputDataError(Message("io.layers.not_a_crs", where=where, text=text)) from None


def check_zip(
    path: Path, name: str | None = None, *, max_unpacked: int | None = None, single: bool = True
) -> str:
    """Check a ZIP archive before anything reads it; return its one vector member.

    A damaged, truncated or forged archive (a member whose checksum or size does not
    match), an encrypted one, members with unsafe paths (``..``, absolute) or an archive
    without exactly one Shapefile or GeoPackage are refused with a message naming ``name``.
    """
    name = name or path.name
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            unpacked = sum(m.file_size for m in members)
            if max_unpacked is not None and unpacked > max_unpacked:
                raise InputDataError(
                    Message(
                        "io.layers.zip_too_large",
                        name=name,
                        mb=unpacked / 1024**2,
                        limit=max_unpacked / 1024**2,
                    )
                )
            unsafe = [
                m.filename
                for m in members
                if m.filename.startswith(("/", "\\")) or ".." in Path(m.filename).parts
            ]
            if unsafe:
                raise InputDataError(
                    Message("io.layers.zip_unsafe", name=name, paths=listing(unsafe, limit=5))
                )
            if any(m.flag_bits & 0x1 for m in members):
                raise InputDataError(Message("io.layers.zip_encrypted", name=name))
            for member in members:
                try:
                    with archive.open(member) as handle:
                        while handle.read(1 << 20):
                            pass
                except NotImplementedError:
                    raise
                except Exception as exc:  # zlib, CRC and size errors of a broken member
                    raise InputDataError(
                        Message(
                            "io.layers.zip_damaged_member",
                            name=name,
                            member=member.filename,
                            detail=str(exc)[:100],
                        )
                    ) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise InputDataError(
            Message("io.layers.zip_invalid", name=name, detail=str(exc)[:120])
        ) from None
    except NotImplementedError as exc:
        raise InputDataError(
            Message("io.layers.zip_compression", name=name, detail=str(exc))
        ) from None
    members = [m for m in members if not m.filename.startswith("__MACOSX/") and not m.is_dir()]
    shapefiles = [m.filename for m in members if m.filename.lower().endswith(".shp")]
    vectors = [m.filename for m in members if m.filename.lower().endswith((".gpkg", ".geojson"))]
    if len(shapefiles) + len(vectors) == 0:
        files = listing(m.filename for m in members) or Message("io.layers.no_files")
        raise InputDataError(Message("io.layers.zip_no_layer", name=name, files=files))
    if single and len(shapefiles) + len(vectors) > 1:
        raise InputDataError(
            Message("io.layers.zip_several_layers", name=name, layers=listing(shapefiles + vectors))
        )
    return (shapefiles + vectors)[0]


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
        from sqe_geo.io.tables import read_table

        table = read_table(path)
        if x_column is None or y_column is None:
            raise InputDataError(Message("io.layers.table_needs_xy", name=path.name))
        for column in (x_column, y_column):
            if column not in table.columns:
                raise InputDataError(
                    Message(
                        "io.layers.table_no_column",
                        name=path.name,
                        column=column,
                        columns=str(list(table.columns)),
                    )
                )
        x = pd.to_numeric(table[x_column], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(table[y_column], errors="coerce").to_numpy(dtype=float)
        # rows without usable coordinates get no geometry (reported as empty_geometry)
        # numpy's stubs have no np.where overload with a None scalar
        points = np.where(  # type: ignore[call-overload]
            ~(np.isfinite(x) & np.isfinite(y)), None, shapely.points(x, y)
        )
        return gpd.GeoDataFrame(table.drop(columns=[x_column, y_column]), geometry=points, crs=crs)
    if suffix not in _VECTOR_SUFFIXES:
        raise InputDataError(Message("io.layers.unsupported_type", name=path.name, suffix=suffix))
    if suffix == ".zip":
        check_zip(path, single=False)
    source = f"/vsizip/{path}" if suffix == ".zip" else path
    if layer is None and suffix in {".zip", ".gpkg"}:
        layers = pyogrio.list_layers(source)
        if len(layers) > 1:
            raise InputDataError(
                Message("io.layers.several_layers", name=path.name, layers=listing(layers[:, 0]))
            )
    return gpd.read_file(source, layer=layer, engine="pyogrio")


def read_vector(
    path: str | Path | DatabaseLayer,
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
        The file (GeoPackage, GeoJSON, Shapefile, zipped Shapefile, GeoParquet, CSV, XLSX),
        or a PostGIS table or query (:mod:`sqe_geo.io.postgis`).
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
    report = report if report is not None else QualityReport()
    if isinstance(path, DatabaseLayer):
        from sqe_geo.io.postgis import read_database_layer

        frame = read_database_layer(path, what=what)
        name = path.name
    else:
        frame = _read_file(Path(path), what, layer, x_column, y_column, crs, report)
        name = Path(path).name
    if len(frame) == 0:
        raise InputDataError(Message("io.layers.no_features", what=what, name=name))
    if frame.crs is None:
        if crs is None:
            raise InputDataError(Message("io.layers.no_crs", what=what, name=name))
        frame = frame.set_crs(parse_crs(crs, where=f"[{what}] crs"))
        report.add(
            "crs_from_study",
            what,
            Message("io.layers.crs_from_study", name=name, crs=crs),
            severity="info",
        )
    elif crs is not None and parse_crs(crs, where=f"[{what}] crs") != frame.crs:
        raise InputDataError(
            Message(
                "io.layers.crs_conflict",
                what=what,
                name=name,
                declared=frame.crs.to_string(),
                crs=crs,
            )
        )
    target = parse_crs(target_crs, where="analysis_crs")
    check_extent(frame, target, what=what, source=name)
    frame = frame.to_crs(target)
    return repair_geometries(frame, what=what, source=name, report=report)


def _read_file(
    path: Path,
    what: str,
    layer: str | None,
    x_column: str | None,
    y_column: str | None,
    crs: str | None,
    report: QualityReport,
) -> gpd.GeoDataFrame:
    """A vector file as read, before CRS checks; reader warnings go into the report."""
    if not path.exists():
        raise InputDataError(Message("io.layers.file_missing", what=what, path=str(path)))
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise InputDataError(Message("io.layers.is_folder", what=what, path=str(path)))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = _read_raw(path, layer, x_column, y_column, crs)
    except InputDataError:
        raise
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
        raise InputDataError(
            Message("io.layers.unreadable", what=what, name=path.name, detail=str(exc)[:200])
        ) from None
    if caught:
        # reader warnings are about the file (e.g. columns mixing numbers and text, which
        # stay text): they belong in the report, not on the user's console
        report.add(
            "reader_note",
            what,
            Message("io.layers.reader_note", name=path.name, n=len(caught)),
            severity="info",
            items=sorted({str(w.message) for w in caught}),
        )
    return frame


def repair_geometries(
    frame: gpd.GeoDataFrame, *, what: str, source: str, report: QualityReport
) -> gpd.GeoDataFrame:
    """Repair invalid geometries (``make_valid``) and report empty ones; drop nothing."""
    geoms = frame.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        report.add(
            "empty_geometry",
            what,
            Message("io.layers.empty_geometry", name=source, n=int(missing.sum())),
            items=np.flatnonzero(missing),
        )
    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        repaired = shapely.make_valid(geoms[invalid])
        was_area = np.isin(shapely.get_type_id(geoms[invalid]), [3, 6])
        mixed = was_area & ~np.isin(shapely.get_type_id(repaired), [3, 6])
        if mixed.any():
            rows = np.flatnonzero(invalid)[mixed]
            repaired[mixed] = [_polygonal_part(g) for g in repaired[mixed]]
            report.add(
                "repair_kept_polygons",
                what,
                Message("io.layers.repair_kept_polygons", name=source, n=int(mixed.sum())),
                items=[f"row {i}" for i in rows],
            )
        frame = frame.copy()
        frame.loc[invalid, frame.geometry.name] = repaired
        report.add(
            "invalid_geometry_repaired",
            what,
            Message("io.layers.invalid_geometry_repaired", name=source, n=int(invalid.sum())),
            items=[f"row {i}: {r}" for i, r in zip(np.flatnonzero(invalid), reasons, strict=True)],
        )
    return frame


def _polygonal_part(geometry: object) -> object:
    """The (Multi)Polygon parts of a geometry collection; an empty polygon if there are none."""
    parts = shapely.get_parts(shapely.get_parts(np.asarray([geometry], dtype=object)))
    polygons = [p for p in parts if shapely.get_type_id(p) == 3 and not shapely.is_empty(p)]
    if not polygons:
        return shapely.Polygon()
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
