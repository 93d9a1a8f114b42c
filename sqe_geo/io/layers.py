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
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from sqe_geo._errors import InputDataError, listing
from sqe_geo.quality import QualityReport

if TYPE_CHECKING:
    from pyproj._crs import AreaOfUse  # what CRS.area_of_use returns

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
                    f"{name} unpacks to {unpacked / 1024**2:.0f} MB; at most "
                    f"{max_unpacked / 1024**2:.0f} MB are accepted. Clip or simplify the "
                    "data, or pack only the layer that is needed."
                )
            unsafe = [
                m.filename
                for m in members
                if m.filename.startswith(("/", "\\")) or ".." in Path(m.filename).parts
            ]
            if unsafe:
                raise InputDataError(
                    f"{name} contains unsafe paths ({listing(unsafe, limit=5)}); pack the "
                    "files plainly, without '..' or absolute paths."
                )
            if any(m.flag_bits & 0x1 for m in members):
                raise InputDataError(
                    f"{name} is encrypted (password-protected); pack the files again "
                    "without a password."
                )
            for member in members:
                try:
                    with archive.open(member) as handle:
                        while handle.read(1 << 20):
                            pass
                except NotImplementedError:
                    raise
                except Exception as exc:  # zlib, CRC and size errors of a broken member
                    raise InputDataError(
                        f"{name} is damaged: member {member.filename!r} cannot be unpacked "
                        f"({str(exc)[:100]}; a broken or forged archive). Pack the files "
                        "again."
                    ) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise InputDataError(
            f"{name} is not a valid ZIP archive ({str(exc)[:120]}: damaged, truncated or "
            "another format); pack the Shapefile (.shp, .shx, .dbf, .prj) again as ZIP."
        ) from None
    except NotImplementedError as exc:
        raise InputDataError(
            f"{name} uses a ZIP compression that cannot be read ({exc}); pack it again with "
            "the standard (deflate) compression."
        ) from None
    members = [m for m in members if not m.filename.startswith("__MACOSX/") and not m.is_dir()]
    shapefiles = [m.filename for m in members if m.filename.lower().endswith(".shp")]
    vectors = [m.filename for m in members if m.filename.lower().endswith((".gpkg", ".geojson"))]
    if len(shapefiles) + len(vectors) == 0:
        raise InputDataError(
            f"{name} holds no Shapefile (.shp with .shx, .dbf, .prj) or GeoPackage; its "
            f"files are {listing(m.filename for m in members) or 'none'}."
        )
    if single and len(shapefiles) + len(vectors) > 1:
        raise InputDataError(
            f"{name} holds several layers ({listing(shapefiles + vectors)}); pack one per archive."
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
        # numpy's stubs have no np.where overload with a None scalar
        points = np.where(  # type: ignore[call-overload]
            ~(np.isfinite(x) & np.isfinite(y)), None, shapely.points(x, y)
        )
        return gpd.GeoDataFrame(table.drop(columns=[x_column, y_column]), geometry=points, crs=crs)
    if suffix not in _VECTOR_SUFFIXES:
        raise InputDataError(
            f"{path.name}: unsupported file type {suffix!r}. Use GeoPackage, GeoJSON, "
            "Shapefile (also zipped), GeoParquet or a CSV/XLSX table with coordinates."
        )
    if suffix == ".zip":
        check_zip(path, single=False)
    source = f"/vsizip/{path}" if suffix == ".zip" else path
    if layer is None and suffix in {".zip", ".gpkg"}:
        layers = pyogrio.list_layers(source)
        if len(layers) > 1:
            raise InputDataError(
                f"{path.name} holds several layers ({listing(layers[:, 0])}); name one with "
                "'layer'."
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
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise InputDataError(
            f"{what}: {path} is a folder, not a file; name the file inside it in the "
            f"'path' key of [{what}]."
        )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = _read_raw(path, layer, x_column, y_column, crs)
    except InputDataError:
        raise
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
        raise InputDataError(
            f"{what}: cannot read {path.name} ({str(exc)[:200]}); check that it is a "
            "GeoPackage, GeoJSON or Shapefile and not damaged."
        ) from None
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
    elif crs is not None and parse_crs(crs, where=f"[{what}] crs") != frame.crs:
        raise InputDataError(
            f"{what}: {path.name} declares {frame.crs.to_string()} but the study file says "
            f"{crs}. Remove the 'crs' key (it is only for files without a CRS) or fix the file."
        )
    target = parse_crs(target_crs, where="analysis_crs")
    check_extent(frame, target, what=what, source=path.name)
    frame = frame.to_crs(target)
    return repair_geometries(frame, what=what, path=path, report=report)


def _describe(crs: CRS) -> str:
    code = crs.to_authority()
    return f"{code[0]}:{code[1]}" if code else crs.name


#: Degrees a layer may reach beyond a CRS's area of use (UTM zones are used beyond their
#: nominal six degrees, e.g. EPSG:25832 for all of Germany, EPSG:25833 for a neighbour zone).
AREA_MARGIN_DEG = 6.0


def _fits(
    bounds: tuple[float, float, float, float],
    area: AreaOfUse,
    margin: float = AREA_MARGIN_DEG,
    *,
    overlap: bool = False,
) -> bool:
    """Whether lon/lat ``bounds`` lie within (or, with ``overlap``, touch) an area of use."""
    west, south, east, north = (
        area.west - margin,
        area.south - margin,
        area.east + margin,
        area.north + margin,
    )
    x0, y0, x1, y1 = bounds
    if overlap:
        lat = y0 <= north and south <= y1
        return lat and (west > east or (x0 <= east and west <= x1))
    if west > east:  # areas across the antimeridian: only check the latitudes
        return south <= y0 and y1 <= north
    return west <= x0 and x1 <= east and south <= y0 and y1 <= north


def check_extent(frame: gpd.GeoDataFrame, analysis: CRS, *, what: str, source: str) -> None:
    """Refuse coordinates that cannot be in the CRS they are labelled with.

    Catches the usual mix-ups with the likely cause: metres labelled as degrees, degrees
    labelled as a metric CRS, longitude and latitude swapped, a wrong UTM zone, and an
    ``analysis_crs`` whose area of use does not contain the data.
    """
    geoms = frame.geometry.values
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0 or frame.crs is None:
        return
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    if not np.all(np.isfinite([x0, y0, x1, y1])):
        raise InputDataError(
            f"{what}: {source} has coordinates that are not finite numbers (inf or NaN); "
            "repair the geometries in a GIS."
        )
    crs = CRS.from_user_input(frame.crs)
    label = _describe(crs)
    where = (
        f"{what}: {source} (labelled {label}) has coordinates "
        f"{x0:.6g}, {y0:.6g} … {x1:.6g}, {y1:.6g}"
    )
    degrees_like = -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    if crs.is_geographic and not degrees_like:
        raise InputDataError(
            f"{where}: these are not degrees but probably metres of a projected CRS. The CRS "
            "label is wrong: write the file with its real CRS (for Baden-Württemberg usually "
            "EPSG:25832), or remove the label and set 'crs' in the study file."
        )
    if crs.is_projected and degrees_like and max(x1 - x0, y1 - y0) < 10:
        raise InputDataError(
            f"{where}: these look like degrees (longitude/latitude), not metres. The file was "
            "probably written in EPSG:4326 and labelled wrongly: write it with its real CRS "
            '(or remove the label and set crs = "EPSG:4326" in the study file).'
        )
    try:
        to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        bounds = to_lonlat.transform_bounds(x0, y0, x1, y1)
    except Exception:  # a CRS pyproj cannot transform: nothing to compare
        return
    if not np.all(np.isfinite(bounds)):
        bounds = (x0, y0, x1, y1) if crs.is_geographic else bounds
    if not np.all(np.isfinite(bounds)):
        raise InputDataError(
            f"{where}: they cannot be transformed to longitude/latitude; the CRS label is "
            "probably wrong. Write the file with its real CRS."
        )
    swapped = (bounds[1], bounds[0], bounds[3], bounds[2])
    lonlat = f"(lon {bounds[0]:.3f} … {bounds[2]:.3f}, lat {bounds[1]:.3f} … {bounds[3]:.3f})"
    for name, area, key in (
        (label, crs.area_of_use, "the CRS label of the file"),
        (_describe(analysis), analysis.area_of_use, "analysis_crs"),
    ):
        # the file's own CRS must contain its data; the analysis CRS must at least reach it
        # (a regional layer may extend beyond the analysis CRS's zone)
        partial = key == "analysis_crs"
        if area is None or _fits(bounds, area, overlap=partial):
            continue
        if crs.is_geographic and _fits(swapped, area, overlap=partial):
            raise InputDataError(
                f"{where} {lonlat}, outside the area of use of {name}. "
                "Longitude and latitude are probably swapped: write x = longitude (east), "
                "y = latitude (north)."
            )
        area_name = area.name if len(area.name) <= 60 else area.name[:59] + "…"
        if key == "analysis_crs":
            raise InputDataError(
                f"{where} {lonlat}, outside the area of use of the study's analysis_crs "
                f"{name} ({area_name}). Either the file's CRS label {label} is wrong (write "
                "the file with its real CRS) or analysis_crs does not suit the study area "
                "(set a metric CRS for it, e.g. EPSG:25832 for Germany between 6° and 12° "
                "east)."
            )
        raise InputDataError(
            f"{where} {lonlat}, outside the area of use of {name} ({area_name}); "
            f"{key} is probably wrong. Write the file with its real CRS (for "
            "Baden-Württemberg usually EPSG:25832)."
        )


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
            "placed: they are left out of spatial steps and their residents count as not "
            "located (not as not reached). Draw the missing geometries.",
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
                f"{path.name}: repairing {int(mixed.sum())} area(s) gave lines or points "
                "besides the area (spikes, cuts); the polygonal part was kept and the rest "
                "dropped. Check these features in a GIS.",
                items=[f"row {i}" for i in rows],
            )
        frame = frame.copy()
        frame.loc[invalid, frame.geometry.name] = repaired
        report.add(
            "invalid_geometry_repaired",
            what,
            f"{path.name}: {int(invalid.sum())} invalid geometr(y/ies) repaired with make_valid.",
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
