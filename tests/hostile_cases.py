"""Generator of hostile inputs: a copy of the demo study with one thing damaged.

Each :class:`Case` names what it breaks (its pytest id), a function that damages a fresh
copy of ``geodata/`` in place, and what must come back: an error (``sqe-geo run`` exits 2
with one message naming the file, column or cell and the fix), an accepted value with a
finding in the data-quality report, or a plain success. ``tests/test_hostile.py`` runs
them; ``tests/test_fuzz_cli.py`` reuses the helpers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import openpyxl
import shapely

import sqe_geo

DEMO = sqe_geo.DEMO_STUDY.parent
TOML = "demo.toml"
DEMOGRAPHICS = "demographics.csv"
PLANNING = "planning_areas.csv"
QUARTERS = "quarters.gpkg"

Outcome = Literal["error", "finding", "ok"]


@dataclass(frozen=True)
class Case:
    """One hostile input.

    Attributes
    ----------
    id
        What the case breaks (``group-what``), used as pytest id.
    damage
        Damages the study folder in place.
    expect
        Fragments the error message (or the finding) must contain: the file, the
        column/cell/key and the fix.
    outcome
        ``"error"`` (exit 2), ``"finding"`` (exit 0 and a finding) or ``"ok"`` (exit 0).
    check
        The finding's check name when ``outcome == "finding"``.
    """

    id: str
    damage: Callable[[Path], None]
    expect: tuple[str, ...] = ()
    outcome: Outcome = "error"
    check: str | None = None

    @property
    def group(self) -> str:
        return self.id.split("-", 1)[0]


# --- helpers ----------------------------------------------------------------------------


def copy_demo(folder: Path) -> Path:
    """Copy the demo study into ``folder`` (created) and return the study file."""
    shutil.copytree(DEMO, folder)
    return folder / TOML


def tree_hash(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (symlinks by their target text)."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "link:" + str(path.readlink())
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def edit_toml(folder: Path, old: str, new: str) -> None:
    path = folder / TOML
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def read_rows(folder: Path, name: str = DEMOGRAPHICS) -> list[list[str]]:
    text = (folder / name).read_text(encoding="utf-8-sig")
    sep = ";" if name == DEMOGRAPHICS else ","
    return list(csv.reader(io.StringIO(text), delimiter=sep))


def write_rows(
    folder: Path,
    rows: list[list[str]],
    name: str = DEMOGRAPHICS,
    *,
    sep: str = ";",
    encoding: str = "utf-8",
    above: str = "",
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerows(rows)
    (folder / name).write_bytes((above + buffer.getvalue()).encode(encoding))


def set_cell(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Damage: set one cell of the demographics table (row 1 = first data row)."""

    def damage(folder: Path) -> None:
        rows = read_rows(folder, name)
        rows[row][rows[0].index(column)] = value
        write_rows(folder, rows, name, sep=";" if name == DEMOGRAPHICS else ",")

    return damage


def as_comma_csv(edit: Callable[[list[list[str]]], None]) -> Callable[[Path], None]:
    """Damage: the demographics as a comma-separated file, edited by ``edit``."""

    def damage(folder: Path) -> None:
        rows = read_rows(folder)
        edit(rows)
        write_rows(folder, rows, sep=",")

    return damage


def header_only(name: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        rows = read_rows(folder, name)
        write_rows(folder, rows[:1], name, sep=";" if name == DEMOGRAPHICS else ",")

    return damage


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        (folder / name).write_bytes(data)

    return damage


def as_xlsx(
    *, formula: bool = False, title_rows: int = 0, header_row: bool = False
) -> Callable[[Path], None]:
    """Damage: the demographics as XLSX (with a formula or title rows above the header)."""

    def damage(folder: Path) -> None:
        rows = read_rows(folder)
        book = openpyxl.Workbook()
        sheet = book.active
        for i in range(title_rows):
            sheet.append([f"Einwohner nach Stadtteilen – Titelzeile {i + 1}"])
        for r, row in enumerate(rows):
            sheet.append([v if r == 0 or not v.isdigit() else int(v) for v in row])
        if formula:  # written by a program: no cached value
            first = title_rows + 2
            sheet[f"D{first}"] = f"=E{first}+F{first}+G{first}"
        book.save(folder / "demographics.xlsx")
        edit_toml(folder, 'path = "demographics.csv"', 'path = "demographics.xlsx"')
        if header_row:
            edit_toml(
                folder, "[demographics]\n", f"[demographics]\nheader_row = {title_rows + 1}\n"
            )

    return damage


def quarters_edit(edit: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        frame = gpd.read_file(folder / QUARTERS, layer="quarters", engine="pyogrio")
        frame = edit(frame)
        (folder / QUARTERS).unlink()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # writing without a CRS on purpose
            frame.to_file(folder / QUARTERS, layer="quarters", engine="pyogrio")

    return damage


def _swap_lonlat(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.to_crs("EPSG:4326")
    return frame.set_geometry(shapely.transform(frame.geometry.values, lambda c: c[:, ::-1]))


def _relabel(
    target: str, source: str | None = None
) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    def edit(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if source is not None:
            frame = frame.to_crs(source)
        return frame.set_crs(target, allow_override=True)

    return edit


def _no_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=list(frame.geometry))


def _set_geometry(index: int, geometry: object) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    def edit(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        geoms = frame.geometry.values.copy()
        geoms[index] = geometry(geoms[index]) if callable(geometry) else geometry
        return frame.set_geometry(geoms)

    return edit


def _spike(polygon: object) -> object:
    """The polygon with a zero-width spike: make_valid gives polygon + line."""
    ring = shapely.get_coordinates(shapely.get_exterior_ring(polygon))
    x, y = ring[0]
    spike = [(x, y), (x + 500.0, y + 1.0), (x, y)]
    return shapely.Polygon([*spike, *map(tuple, ring[1:])])


def _bowtie(polygon: object) -> object:
    x0, y0, x1, y1 = shapely.bounds(polygon)
    return shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])


def _rename(column: str, new: str) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    def edit(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame = frame.copy()
        frame.loc[0, column] = new
        return frame

    return edit


def folder_instead(name: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
        (folder / name / "inside.txt").write_text("x", encoding="utf-8")

    return damage


def _zip_quarters(folder: Path) -> bytes:
    """The quarters as a zipped Shapefile (bytes)."""
    frame = gpd.read_file(folder / QUARTERS, layer="quarters", engine="pyogrio")
    shp = folder / "_shp"
    shp.mkdir()
    frame.to_file(shp / "quarters.shp", engine="pyogrio")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(shp.iterdir()):
            archive.write(part, part.name)
    shutil.rmtree(shp)
    return buffer.getvalue()


def zip_quarters(mangle: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        data = mangle(_zip_quarters(folder))
        (folder / "quarters.zip").write_bytes(data)
        edit_toml(folder, 'path = "quarters.gpkg"\nlayer = "quarters"', 'path = "quarters.zip"')

    return damage


def corrupt_member(data: bytes) -> bytes:
    """Flip bytes inside the compressed data of the .dbf (CRC no longer matches)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("quarters.dbf")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    mangled = bytearray(data)
    for i in range(start, start + 8):
        mangled[i] ^= 0xFF
    return bytes(mangled)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def demographics_in_vector(kind: str) -> Callable[[Path], None]:
    """Demographics from the attribute table of a vector file (GeoJSON, GPKG, quarters)."""

    def damage(folder: Path) -> None:
        rows = read_rows(folder)
        header, body = rows[0], [r for r in rows[1:] if r[2] == "2016"]
        quarters = gpd.read_file(folder / QUARTERS, layer="quarters", engine="pyogrio")
        table = {h: [r[i] for r in body] for i, h in enumerate(header) if h != "Quelle"}
        for h in header[3:9]:
            table[h] = [int(v) for v in table[h]]
        frame = gpd.GeoDataFrame(table, geometry=quarters.geometry.values, crs=quarters.crs)
        if kind == "geojson":
            frame.to_crs("EPSG:4326").to_file(folder / "einwohner.geojson", engine="pyogrio")
            edit_toml(folder, 'path = "demographics.csv"', 'path = "einwohner.geojson"')
        elif kind == "gpkg":
            frame.to_file(folder / "einwohner.gpkg", layer="einwohner", engine="pyogrio")
            edit_toml(folder, 'path = "demographics.csv"', 'path = "einwohner.gpkg"')
        else:  # the quarters layer itself carries the counts
            merged = quarters.merge(
                frame.drop(columns="geometry"), left_on="quarter_id", right_on="Stadtteil_Nr"
            )
            (folder / QUARTERS).unlink()
            merged.to_file(folder / QUARTERS, layer="quarters", engine="pyogrio")
            edit_toml(
                folder, 'path = "demographics.csv"', 'path = "quarters.gpkg"\nlayer = "quarters"'
            )
        edit_toml(folder, 'year_column = "Jahr"', "year = 2016")

    return damage


def network_paths(paths: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        streets = gpd.read_file(folder / "streets.gpkg", layer="streets", engine="pyogrio")
        half = len(streets) // 2
        streets.iloc[:half].to_file(folder / "streets_west.gpkg", engine="pyogrio")
        streets.iloc[half:].to_file(folder / "streets_east.gpkg", engine="pyogrio")
        edit_toml(folder, 'path = "streets.gpkg"\nlayer = "streets"', f"path = {paths}")

    return damage


def many_columns(folder: Path) -> None:
    rows = read_rows(folder)
    rows = [
        [*r, *(f"Spalte_{i}" if n == 0 else "1" for i in range(400))] for n, r in enumerate(rows)
    ]
    rows[0][0] = "Nummer"
    write_rows(folder, rows)


def long_header(folder: Path) -> None:
    rows = read_rows(folder)
    rows[0][0] = "Nr" + "x" * 50_000
    write_rows(folder, rows)


def rename_in_quarters(new: str) -> Callable[[Path], None]:
    return quarters_edit(_rename("name", new))


def planning_area_name(new: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        rows = read_rows(folder, PLANNING)
        for row in rows[1:]:
            if row[2] == "Innenstadt":
                row[2] = new
        write_rows(folder, rows, PLANNING, sep=",")

    return damage


def both(*damages: Callable[[Path], None]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        for d in damages:
            d(folder)

    return damage


def _dup_header(column: str, new: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        rows = read_rows(folder)
        rows[0][rows[0].index(column)] = new
        write_rows(folder, rows)

    return damage


def _empty_key(row: int, value: str = "") -> Callable[[Path], None]:
    return set_cell(DEMOGRAPHICS, row, "Stadtteil_Nr", value)


def _ragged(folder: Path) -> None:
    rows = read_rows(folder)
    rows[2] += ["x", "y"]
    write_rows(folder, rows)


def _utf16(encoding: str, bom: bytes) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        text = (folder / DEMOGRAPHICS).read_text(encoding="utf-8-sig")
        (folder / DEMOGRAPHICS).write_bytes(bom + text.encode(encoding))

    return damage


def _title_rows_csv(header_row: bool) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        rows = read_rows(folder)
        write_rows(folder, rows, above="Einwohner nach Stadtteilen\nStand 31.12.\n")
        if header_row:
            edit_toml(folder, "[demographics]\n", "[demographics]\nheader_row = 3\n")

    return damage


# --- the cases ----------------------------------------------------------------------------

D = DEMOGRAPHICS
TABLES = [
    Case("tables-header_only", header_only(D), (D, "no data rows", "header")),
    Case("tables-header_only_planning_areas", header_only(PLANNING), (PLANNING, "no data rows")),
    Case("tables-empty_file", write_bytes(D, b""), (D, "is empty")),
    Case("tables-whitespace_only", write_bytes(D, b" \n\n \n"), (D, "is empty")),
    Case(
        "tables-inf_count",
        set_cell(D, 1, "Einwohner", "inf"),
        ("D2", "Einwohner", "inf"),
        "finding",
        "non_numeric_cells",
    ),
    Case(
        "tables-minus_inf_band",
        set_cell(D, 2, "Alter_0_19", "-inf"),
        ("E3", "Alter_0_19"),
        "finding",
        "non_numeric_cells",
    ),
    Case(
        "tables-overflowing_exponent",
        set_cell(D, 1, "Alter_80_plus", "1e400"),
        ("I2",),
        "finding",
        "non_numeric_cells",
    ),
    Case(
        "tables-beyond_int64_count",
        set_cell(D, 1, "Einwohner", "99999999999999999999999"),
        ("D2", "Einwohner", "too large"),
        "finding",
        "implausible_numbers",
    ),
    Case(
        "tables-beyond_int64_year",
        set_cell(D, 1, "Jahr", "99999999999999999999"),
        (D, "Jahr", "line 2", "whole years"),
    ),
    Case(
        "tables-thousands_dot_in_comma_file",
        as_comma_csv(lambda rows: rows[1].__setitem__(3, "6.967")),
        (D, "D2", "6.967", "thousands", "1000"),
    ),
    Case(
        "tables-thousands_dot_in_band_column",
        as_comma_csv(lambda rows: rows[4].__setitem__(5, "7.895")),
        (D, "F5", "7.895", "thousands"),
    ),
    Case(
        "tables-duplicate_column_used",
        _dup_header("Alter_20_64", "Einwohner"),
        (D, "'Einwohner'", "twice", "rename"),
    ),
    Case(
        "tables-duplicate_column_unused",
        _dup_header("Stadtteil", "Quelle"),
        (D, "Quelle", "twice"),
        "finding",
        "duplicate_columns",
    ),
    Case(
        "tables-empty_key",
        _empty_key(3),
        (D, "Stadtteil_Nr", "line 4", "empty"),
        "finding",
        "empty_keys",
    ),
    Case(
        "tables-blank_key",
        _empty_key(5, "   "),
        (D, "Stadtteil_Nr", "line 6"),
        "finding",
        "empty_keys",
    ),
    Case(
        "tables-empty_key_planning_areas",
        set_cell(PLANNING, 2, "quarter_id", ""),
        (PLANNING, "quarter_id", "line 3"),
        "finding",
        "empty_keys",
    ),
    Case(
        "tables-xlsx_formula_without_value",
        as_xlsx(formula=True),
        ("demographics.xlsx", "D2", "formula", "save in Excel or export values"),
    ),
    Case(
        "tables-xlsx_title_rows",
        as_xlsx(title_rows=2),
        ("demographics.xlsx", "Stadtteil_Nr", "header_row = 3"),
    ),
    Case(
        "tables-xlsx_title_rows_with_header_row",
        as_xlsx(title_rows=2, header_row=True),
        outcome="ok",
    ),
    Case("tables-csv_title_rows", _title_rows_csv(False), (D, "Stadtteil_Nr", "header_row = 3")),
    Case("tables-csv_title_rows_with_header_row", _title_rows_csv(True), outcome="ok"),
    Case(
        "tables-utf16_le_bom",
        _utf16("utf-16-le", b"\xff\xfe"),
        (D, "UTF-16"),
        "finding",
        "encoding_utf16",
    ),
    Case(
        "tables-utf16_be_bom",
        _utf16("utf-16-be", b"\xfe\xff"),
        (D, "UTF-16"),
        "finding",
        "encoding_utf16",
    ),
    Case("tables-utf16_without_bom", _utf16("utf-16-le", b""), (D, "UTF-16", "UTF-8")),
    Case(
        "tables-control_chars_in_quarter_name",
        rename_in_quarters("Innen\x07stadt-Ost\x1b"),
        (QUARTERS, "name", "Innenstadt-Ost"),
        "finding",
        "control_characters",
    ),
    Case(
        "tables-control_chars_in_planning_area",
        planning_area_name("Innen\x01stadt"),
        (PLANNING, "planning_area", "Innenstadt"),
        "finding",
        "control_characters",
    ),
    Case(
        "tables-control_chars_in_key",
        set_cell(D, 1, "Stadtteil_Nr", "\x1b01"),
        (D, "Stadtteil_Nr"),
        "finding",
        "control_characters",
    ),
    Case(
        "tables-text_in_count",
        set_cell(D, 1, "Einwohner", "viele"),
        ("D2", "viele"),
        "finding",
        "non_numeric_cells",
    ),
    Case(
        "tables-negative_count",
        set_cell(D, 1, "Einwohner", "-5"),
        ("D2",),
        "finding",
        "negative_counts",
    ),
    Case("tables-ragged_lines", _ragged, (D, "line 3", "same number of fields")),
    Case("tables-binary_garbage", write_bytes(D, bytes(range(256)) * 40), (D,)),
    Case(
        "tables-xls_suffix",
        both(
            write_bytes("demographics.xls", b"\xd0\xcf\x11\xe0"),
            lambda f: edit_toml(f, '"demographics.csv"', '"demographics.xls"'),
        ),
        ("demographics.xls", ".xlsx"),
    ),
    Case(
        "tables-xlsx_not_a_workbook",
        both(
            write_bytes("demographics.xlsx", b"PK\x03\x04 not really"),
            lambda f: edit_toml(f, '"demographics.csv"', '"demographics.xlsx"'),
        ),
        ("demographics.xlsx", "not a valid XLSX", "save"),
    ),
    Case(
        "tables-missing_key_column",
        lambda f: edit_toml(f, '"Stadtteil_Nr"', '"Nummer"'),
        (D, "Nummer", "not found", "key_column"),
    ),
    Case("tables-listing_capped", many_columns, (D, "Stadtteil_Nr", "more")),
    Case("tables-long_header_not_dumped", long_header, (D, "Stadtteil_Nr")),
]

G = QUARTERS
GEOMETRY = [
    Case(
        "geometry-lonlat_swapped",
        quarters_edit(_swap_lonlat),
        (G, "EPSG:4326", "swapped", "area of use"),
    ),
    Case(
        "geometry-degrees_labelled_utm",
        quarters_edit(_relabel("EPSG:25832", "EPSG:4326")),
        (G, "EPSG:25832", "degrees"),
    ),
    Case(
        "geometry-metres_labelled_degrees",
        quarters_edit(_relabel("EPSG:4326")),
        (G, "EPSG:4326", "metres"),
    ),
    Case(
        "geometry-wrong_utm_zone",
        quarters_edit(_relabel("EPSG:32610")),
        (G, "EPSG:32610", "area of use"),
    ),
    Case(
        "geometry-geographic_analysis_crs",
        lambda f: edit_toml(f, 'analysis_crs = "EPSG:25832"', 'analysis_crs = "EPSG:4326"'),
        ("analysis_crs", "EPSG:4326", "metric", "EPSG:25832"),
    ),
    Case(
        "geometry-unknown_analysis_crs",
        lambda f: edit_toml(f, 'analysis_crs = "EPSG:25832"', 'analysis_crs = "EPSG:999999"'),
        ("analysis_crs", "EPSG:999999", "EPSG:25832"),
    ),
    Case(
        "geometry-analysis_crs_far_away",
        lambda f: edit_toml(f, 'analysis_crs = "EPSG:25832"', 'analysis_crs = "EPSG:32610"'),
        ("analysis_crs", "EPSG:32610", "area of use"),
    ),
    Case(
        "geometry-repair_gives_collection",
        quarters_edit(_set_geometry(0, _spike)),
        (G, "polygonal part", "row 0"),
        "finding",
        "repair_kept_polygons",
    ),
    Case(
        "geometry-bowtie_repaired",
        quarters_edit(_set_geometry(1, _bowtie)),
        (G, "make_valid"),
        "finding",
        "invalid_geometry_repaired",
    ),
    Case(
        "geometry-empty_quarter",
        quarters_edit(_set_geometry(2, shapely.Polygon())),
        (G, "not located"),
        "finding",
        "empty_geometry",
    ),
    Case(
        "geometry-null_quarter",
        quarters_edit(_set_geometry(3, None)),
        (G, "not located"),
        "finding",
        "empty_geometry",
    ),
    Case(
        "geometry-quarters_are_points",
        quarters_edit(lambda fr: fr.set_geometry(fr.geometry.representative_point())),
        (G, "non-polygon", "areas"),
    ),
    Case("geometry-quarters_without_crs", quarters_edit(_no_crs), (G, "crs", "[quarters]")),
    Case(
        "geometry-crs_key_contradicts_file",
        lambda f: edit_toml(f, 'layer = "quarters"', 'layer = "quarters"\ncrs = "EPSG:4326"'),
        (G, "EPSG:4326", "Remove the 'crs' key"),
    ),
    Case(
        "geometry-unknown_crs_key",
        both(
            quarters_edit(_no_crs),
            lambda f: edit_toml(f, 'layer = "quarters"', 'layer = "quarters"\ncrs = "UTM32"'),
        ),
        ("[quarters] crs", "UTM32", "EPSG"),
    ),
    Case(
        "geometry-services_swapped",
        lambda f: _edit_services(f, _swap_lonlat),
        ("services.gpkg", "swapped"),
    ),
    Case(
        "geometry-services_empty_geometry",
        lambda f: _edit_services(f, _set_geometry(0, shapely.Point())),
        ("services.gpkg", "not located"),
        "finding",
        "empty_geometry",
    ),
]


def _far_east(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One service in Berlin (13.4° E): a nationwide layer, beyond EPSG:25832's zone."""
    berlin = gpd.GeoSeries([shapely.Point(13.4, 52.5)], crs="EPSG:4326").to_crs(frame.crs)
    geoms = frame.geometry.values.copy()
    geoms[0] = berlin.iloc[0]
    return frame.set_geometry(geoms)


def _edit_services(folder: Path, edit: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> None:
    frame = gpd.read_file(folder / "services.gpkg", layer="services", engine="pyogrio")
    frame = edit(frame)
    (folder / "services.gpkg").unlink()
    frame.to_file(folder / "services.gpkg", layer="services", engine="pyogrio")


def _toml_path(old: str, new: str) -> Callable[[Path], None]:
    return lambda f: edit_toml(f, old, new)


FILES = [
    Case("files-demographics_is_a_folder", folder_instead(D), (D, "is a folder", "file")),
    Case("files-quarters_is_a_folder", folder_instead(G), (G, "is a folder")),
    Case(
        "files-services_is_a_folder",
        folder_instead("services.gpkg"),
        ("services.gpkg", "is a folder"),
    ),
    Case("files-planning_areas_is_a_folder", folder_instead(PLANNING), (PLANNING, "is a folder")),
    Case(
        "files-network_is_a_folder", folder_instead("streets.gpkg"), ("streets.gpkg", "is a folder")
    ),
    Case(
        "files-zip_garbage",
        zip_quarters(lambda d: b"PK\x03\x04" + b"\x00garbage" * 50),
        ("quarters.zip", "not a valid ZIP", "pack"),
    ),
    Case(
        "files-zip_truncated",
        zip_quarters(lambda d: d[: len(d) // 2]),
        ("quarters.zip", "not a valid ZIP"),
    ),
    Case(
        "files-zip_crc_forged",
        zip_quarters(corrupt_member),
        ("quarters.zip", "damaged", "quarters.dbf"),
    ),
    Case(
        "files-zip_without_layer",
        zip_quarters(lambda d: zip_of({"readme.txt": b"x"})),
        ("quarters.zip", "no Shapefile"),
    ),
    Case("files-zip_empty", zip_quarters(lambda d: zip_of({})), ("quarters.zip", "no Shapefile")),
    Case(
        "files-zip_unsafe_member",
        zip_quarters(lambda d: zip_of({"../../escape.shp": b"x", "a.shp": b"y"})),
        ("quarters.zip", "unsafe"),
    ),
    Case("files-zip_ok", zip_quarters(lambda d: d), outcome="ok"),
    Case("files-demographics_from_geojson", demographics_in_vector("geojson"), outcome="ok"),
    Case("files-demographics_from_gpkg", demographics_in_vector("gpkg"), outcome="ok"),
    Case(
        "files-demographics_from_quarters_layer", demographics_in_vector("quarters"), outcome="ok"
    ),
    Case(
        "files-network_list_of_paths",
        network_paths('["streets_west.gpkg", "streets_east.gpkg"]'),
        outcome="ok",
    ),
    Case(
        "files-network_list_one_missing",
        network_paths('["streets_west.gpkg", "streets_north.gpkg"]'),
        ("streets_north.gpkg", "does not exist"),
    ),
    Case(
        "files-input_missing",
        _toml_path('"services.gpkg"', '"nowhere.gpkg"'),
        ("nowhere.gpkg", "does not exist"),
    ),
    Case("files-study_not_toml", write_bytes(TOML, b"\x00\x01 not toml ["), (TOML, "TOML")),
    Case(
        "files-study_unknown_key",
        _toml_path("base_year", "base_yaer"),
        ("base_yaer", "unknown key"),
    ),
    Case("files-csv_is_really_a_zip", write_bytes(D, zip_of({"x.csv": b"a,b\n1,2\n"})), (D,)),
]


def _study_as_utf16(folder: Path) -> None:
    text = (folder / TOML).read_text(encoding="utf-8")
    (folder / TOML).write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))


def _header_row(line: int) -> Callable[[Path], None]:
    return lambda f: edit_toml(f, "[demographics]\n", f"[demographics]\nheader_row = {line}\n")


TABLES += [
    Case("tables-year_not_a_number", set_cell(D, 1, "Jahr", "zweitausend"),
         (D, "Jahr", "line 2", "whole years", "year = 2023")),
    Case("tables-year_fraction", set_cell(D, 1, "Jahr", "2016,5"), (D, "Jahr", "line 2")),
    Case("tables-header_row_beyond_the_end", _header_row(500),
         (D, "header_row = 500", "last line")),
    Case("tables-header_row_too_low", _header_row(3), (D, "not found", "Stadtteil_Nr")),
    Case("tables-bom_then_invalid_utf8", write_bytes(D, b"\xef\xbb\xbfa;b\n\x80;1\n"),
         (D, "UTF-8", "line 2")),
]  # fmt: skip
FILES += [
    Case("files-demographics_keyed_by_quarter_id",
         both(demographics_in_vector("quarters"),
              _toml_path('key_column = "Stadtteil_Nr"', 'key_column = "quarter_id"')),
         outcome="ok"),
    Case("files-study_saved_as_utf16", _study_as_utf16, outcome="ok"),
    Case("files-study_not_utf8", write_bytes(TOML, b'name = "\xe4"\n'), (TOML, "UTF-8")),
    Case("files-quarters_not_a_geopackage", write_bytes(G, b"garbage" * 100),
         (G, "cannot read", "GeoPackage")),
    Case("files-quarters_zero_bytes", write_bytes(G, b""), (G, "cannot read")),
    Case("files-services_not_a_geopackage", write_bytes("services.gpkg", b"garbage"),
         ("services.gpkg", "cannot read")),
]  # fmt: skip
TABLES += [
    Case("tables-control_chars_in_service_name",
         lambda f: _edit_services(f, _rename("name", "Apo\x07theke\x1b[31m")),
         ("services.gpkg", "name", "Apotheke[31m"), "finding", "control_characters"),
]  # fmt: skip


def _stray_nul(folder: Path) -> None:
    data = (folder / DEMOGRAPHICS).read_bytes()
    (folder / DEMOGRAPHICS).write_bytes(data.replace(b"\n01;", b"\n0\x001;", 1))


TABLES += [
    Case("tables-stray_nul_in_key", _stray_nul, (D, "Stadtteil_Nr", "0\\x001 → 01"), "finding",
         "control_characters"),
]  # fmt: skip
GEOMETRY += [
    Case("geometry-neighbour_utm_zone", quarters_edit(_relabel("EPSG:25833", "EPSG:25833")),
         outcome="ok"),
    Case("geometry-services_reach_beyond_the_zone",
         lambda f: _edit_services(f, _far_east), outcome="ok"),
    Case("geometry-coordinates_out_of_any_range",
         quarters_edit(lambda fr: fr.set_geometry(fr.geometry.translate(1e12, 1e12))),
         (G, "EPSG:25832", "CRS")),
]  # fmt: skip

CASES: list[Case] = [*TABLES, *GEOMETRY, *FILES]
