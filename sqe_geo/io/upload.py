"""Studies from uploaded files: stage uploads in a temporary folder and build a StudyConfig.

The app lets planners try their own data: quarter boundaries (GeoPackage, GeoJSON or a
zipped Shapefile), a residents table (CSV/XLSX) and optionally service points. An
:class:`UploadWorkspace` writes every upload into its own temporary
directory (``tempfile.mkdtemp``, deleted on :meth:`UploadWorkspace.close` or when the
workspace is garbage-collected; never anywhere else), refuses files above a size
limit and archives that unpack to more than a multiple of it, lists the columns for the
column-mapping form, and turns the form (:class:`UploadMapping`) into a validated
:class:`~sqe_geo.config.StudyConfig`. Every problem is an :class:`InputDataError` or
:class:`StudyConfigError` whose message says what to fix.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import weakref
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyogrio
from pydantic import ValidationError

from sqe_geo._errors import InputDataError, StudyConfigError, listing
from sqe_geo.config import StudyConfig
from sqe_geo.config_layers import parse_age_range
from sqe_geo.i18n.messages import Message
from sqe_geo.io.tables import read_table

#: Largest accepted upload (bytes) per file.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: An archive may unpack to at most this multiple of the size limit (zip bombs).
MAX_UNPACK_FACTOR = 4

BOUNDARY_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx")
#: Residents may also come from the attribute table of a vector file.
DEMOGRAPHICS_SUFFIXES = (*TABLE_SUFFIXES, ".gpkg", ".geojson", ".json")
SERVICE_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class UploadMapping:
    """The column-mapping form of the app.

    Attributes
    ----------
    id_column, name_column
        Quarter id and name columns of the boundaries.
    planning_area_column
        Column of the boundaries naming each quarter's planning area (optional).
    crs
        CRS of a boundaries file that declares none (e.g. ``"EPSG:25832"``).
    key_column
        Column of the residents table with the quarter id or name.
    year_column, year
        The year column, or the single year of a table without one.
    total_column
        Total residents column.
    bands
        Band column -> age range (``"0-19"``, ``"65+"``).
    category_column, service_name_column, capacity_column, services_crs
        Columns of the optional services file.
    title
        Title of the study.
    """

    id_column: str
    name_column: str
    key_column: str
    total_column: str
    bands: dict[str, str]
    year_column: str | None = None
    year: int | None = None
    planning_area_column: str | None = None
    crs: str | None = None
    category_column: str = "category"
    service_name_column: str | None = None
    capacity_column: str | None = None
    services_crs: str | None = None
    title: str = "Eigene Studie"
    extra: dict[str, Any] = field(default_factory=dict)


class UploadWorkspace:
    """A temporary folder holding the uploads of one app session.

    Parameters
    ----------
    max_bytes
        Size limit per uploaded file.
    """

    def __init__(self, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self.max_bytes = int(max_bytes)
        self.folder = Path(tempfile.mkdtemp(prefix="sqe-upload-"))
        # Like tempfile.TemporaryDirectory, but an app session that simply ends (the
        # workspace is garbage-collected with it) deletes the folder without a
        # ResourceWarning.
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        self.files: dict[str, Path] = {}

    def close(self) -> None:
        """Delete the folder and everything in it."""
        self._finalizer()

    def __enter__(self) -> UploadWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- staging --------------------------------------------------------------------------

    def stage(self, role: str, filename: str, data: bytes) -> Path:
        """Write one upload (``role``: boundaries, demographics, services) into the folder.

        Raises
        ------
        InputDataError
            If the file is too large, of the wrong type, or a broken or oversized archive.
        """
        allowed = {
            "boundaries": BOUNDARY_SUFFIXES,
            "demographics": DEMOGRAPHICS_SUFFIXES,
            "services": SERVICE_SUFFIXES,
        }[role]
        name = _SAFE.sub("_", Path(filename).name) or "upload"
        suffix = Path(name).suffix.lower()
        if suffix not in allowed:
            raise InputDataError(
                Message(
                    "io.upload.wrong_type",
                    filename=filename,
                    suffix=suffix or Message("io.upload.no_suffix"),
                    role=role,
                    allowed=", ".join(allowed),
                )
            )
        if len(data) > self.max_bytes:
            raise InputDataError(
                Message(
                    "io.upload.too_large",
                    filename=filename,
                    mb=len(data) / 1024**2,
                    limit=self.max_bytes / 1024**2,
                )
            )
        target = self.folder / role
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        path = target / name
        path.write_bytes(data)
        if suffix == ".zip":
            # unpack (checked: size, safe member names, one layer) so that an archive with
            # the Shapefile in a subfolder or with macOS "__MACOSX" clutter reads as well
            try:
                member = _check_zip(path, filename, self.max_bytes * MAX_UNPACK_FACTOR)
            except InputDataError:
                shutil.rmtree(target, ignore_errors=True)
                raise
            try:
                with zipfile.ZipFile(path) as archive:
                    archive.extractall(target / "unpacked")
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as exc:
                shutil.rmtree(target, ignore_errors=True)
                raise InputDataError(
                    Message("io.upload.unpack_failed", filename=filename, detail=str(exc)[:120])
                ) from None
            path = target / "unpacked" / member
        self.files[role] = path
        return path

    def columns(self, role: str) -> list[str]:
        """Column names of a staged file (without the geometry column)."""
        path = self._staged(role)
        if path.suffix.lower() in TABLE_SUFFIXES or role == "demographics":
            return [str(c) for c in read_table(path).columns]
        try:
            info = pyogrio.read_info(_gdal_path(path))
        except Exception as exc:  # GDAL raises several types for unreadable files
            raise InputDataError(
                Message("io.upload.unreadable", name=path.name, detail=str(exc)[:200])
            ) from None
        return [str(c) for c in info["fields"]]

    def _staged(self, role: str) -> Path:
        if role not in self.files:
            raise InputDataError(Message("io.upload.not_uploaded", role=role))
        return self.files[role]

    # -- building the study ---------------------------------------------------------------

    def build_config(self, mapping: UploadMapping) -> StudyConfig:
        """Turn the staged files and the column mapping into a validated study.

        Raises
        ------
        InputDataError, StudyConfigError
            If a file is missing, a column does not exist, an age range is invalid, or the
            boundaries have no usable CRS.
        """
        boundaries = self._staged("boundaries")
        demographics = self._staged("demographics")
        b_columns = self.columns("boundaries")
        t_columns = self.columns("demographics")
        _require(boundaries.name, b_columns, [mapping.id_column, mapping.name_column])
        if mapping.planning_area_column:
            _require(boundaries.name, b_columns, [mapping.planning_area_column])
        needed = [mapping.key_column, mapping.total_column, *mapping.bands]
        if mapping.year_column:
            needed.append(mapping.year_column)
        _require(demographics.name, t_columns, needed)
        if not mapping.bands:
            raise StudyConfigError(Message("io.upload.no_bands"))
        for column, text in mapping.bands.items():
            try:
                parse_age_range(text)
            except ValueError as exc:
                raise StudyConfigError(
                    Message("io.upload.bad_band", column=column, detail=str(exc))
                ) from None
        boundaries = self._with_crs(boundaries, mapping.crs, "quarters")
        # The form's CRS is only for files without one (read_vector rejects a contradiction).
        quarters_crs = mapping.crs if mapping.crs and _file_crs(boundaries) is None else None
        data: dict[str, Any] = {
            "name": "upload",
            "title": mapping.title or "Eigene Studie",
            "quarters": {
                "path": str(boundaries),
                "id_column": mapping.id_column,
                "name_column": mapping.name_column,
                "planning_area_column": mapping.planning_area_column or None,
                "crs": quarters_crs,
            },
            "demographics": {
                "path": str(demographics),
                "key_column": mapping.key_column,
                "year_column": mapping.year_column or None,
                "year": mapping.year if not mapping.year_column else None,
                "total_column": mapping.total_column,
                "bands": dict(mapping.bands),
            },
            "folder": str(self.folder),
        }
        if "services" in self.files:
            services = self._with_crs(self.files["services"], mapping.services_crs, "services")
            s_columns = self.columns("services")
            named = [mapping.category_column, mapping.service_name_column, mapping.capacity_column]
            _require(services.name, s_columns, [c for c in named if c])
            services_crs = (
                mapping.services_crs
                if mapping.services_crs and _file_crs(services) is None
                else None
            )
            data["services"] = {
                "path": str(services),
                "crs": services_crs,
                "category_column": mapping.category_column,
                "name_column": mapping.service_name_column or None,
                "capacity_column": mapping.capacity_column or None,
            }
        data.update(mapping.extra)
        try:
            return StudyConfig.model_validate(data)
        except ValidationError as exc:
            message = Message("io.upload.invalid_study")
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                problem = str(err["msg"]).removeprefix("Value error, ")
                key: Message | str = where or Message("study.config.top_level")
                message = Message(
                    "study.config.invalid_item", previous=message, key=key, problem=problem
                )
            raise StudyConfigError(message) from None

    def _with_crs(self, path: Path, crs: str | None, what: str) -> Path:
        """Check the CRS of a vector upload; give a GeoJSON without one the form's CRS.

        GDAL reads every GeoJSON as WGS 84 (RFC 7946). A GeoJSON without a ``crs`` member
        whose coordinates are not longitudes/latitudes was written in another CRS: it needs
        the CRS from the form, and is then rewritten as a GeoPackage with that CRS.
        """
        if path.suffix.lower() not in (".geojson", ".json"):
            return path
        try:
            declared = "crs" in json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputDataError(
                Message("io.upload.not_geojson", name=path.name, detail=str(exc))
            ) from None
        if declared:
            return path
        info = pyogrio.read_info(str(path), force_total_bounds=True)
        minx, miny, maxx, maxy = info["total_bounds"]
        lonlat = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
        if crs:
            import geopandas as gpd

            from sqe_geo.io.layers import parse_crs

            frame = gpd.read_file(path, engine="pyogrio")
            frame = frame.set_crs(parse_crs(crs, where=f"{what} CRS"), allow_override=True)
            # a derived file beside the upload, rewritten on every build: the uploaded
            # GeoJSON stays the source, so a corrected CRS in the form takes effect
            target = path.with_name(f"{path.stem}.with-crs.gpkg")
            target.unlink(missing_ok=True)
            frame.to_file(target, driver="GPKG", engine="pyogrio")
            return target
        if not lonlat:
            raise InputDataError(
                Message(
                    "io.upload.geojson_no_crs",
                    what=what,
                    name=path.name,
                    minx=minx,
                    miny=miny,
                    maxx=maxx,
                    maxy=maxy,
                )
            )
        return path


_OPEN_END = re.compile(
    r"(\d{1,3})\s*(?:\+|[\s_]*plus|[\s_]*und[\s_]*(?:aelter|älter|mehr)|[\s_]*and[\s_]*over)",
    re.IGNORECASE,
)
_SPAN = re.compile(r"(\d{1,3})\s*(?:-|–|_|bis|to)\s*(?:unter\s*)?(\d{1,3})", re.IGNORECASE)


def guess_age_range(column: str) -> str | None:
    """Guess the age range of a band column from its name (``"Alter_65_plus"`` → ``"65+"``).

    Returns None when the name holds no recognisable range (e.g. ``"Einwohner"``).
    """
    text = str(column)
    match = _OPEN_END.search(text)
    if match:
        return f"{int(match.group(1))}+"
    match = _SPAN.search(text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if high >= low:
            return f"{low}-{high}"
    return None


def _file_crs(path: Path) -> str | None:
    try:
        crs: str | None = pyogrio.read_info(_gdal_path(path))["crs"]
        return crs
    except Exception:  # unreadable: read_vector reports it with the file name
        return None


def _gdal_path(path: Path) -> str:
    return f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)


def _require(source: str, columns: list[str], wanted: list[str]) -> None:
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise InputDataError(
            Message(
                "io.upload.missing_columns",
                source=source,
                missing=str(missing),
                columns=listing(columns),
            )
        )


def _check_zip(path: Path, filename: str, max_unpacked: int) -> str:
    """Check an uploaded archive; return the name of its one vector member."""
    from sqe_geo.io.layers import check_zip

    return check_zip(path, filename, max_unpacked=max_unpacked)
