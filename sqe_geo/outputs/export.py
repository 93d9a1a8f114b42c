"""Writers for council papers and GIS: German CSV, CSV, XLSX, GeoPackage, GeoJSON.

Every writer builds the whole file in memory or in a temporary file and then renames it
into place, so a failed run never leaves a half-written file. The output folder may not
hold any of the study's inputs, so an export can never overwrite one.

Withheld values (disclosure control) are written as "." in German outputs (the mark of
German official statistics) and left empty in the technical CSV. Values that could not be
computed (a gap in the data, :mod:`sqe_geo.stats.status`) are written as "n. b." with a *Status*
column saying why; technical outputs leave them empty and add a ``status_{id}`` column.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype

from sqe_geo._errors import ExportError
from sqe_geo.i18n.formatting import WITHHELD_MARK, round_half_up
from sqe_geo.i18n.messages import Message, as_language, text
from sqe_geo.io.hashing import sha256_hex
from sqe_geo.outputs.export_sheets import (
    metadata_frame,
    quality_frame,
    style_sheet,
    text_not_formulas,
)
from sqe_geo.outputs.geo_layers import geo_layers
from sqe_geo.outputs.notes import row_note
from sqe_geo.results import Results
from sqe_geo.stats.aggregate import LEVEL_LABELS, LEVELS, Level
from sqe_geo.stats.status import (
    BASE_YEAR,
    NOT_COMPUTED_MARK,
    NOT_MEANINGFUL_MARK,
    is_not_computed,
    status_note,
)

#: The mark of a withheld value in German tables.
WITHHELD = WITHHELD_MARK
_FILE_STEMS: dict[Level, tuple[str, str]] = {
    "quarter": ("quartiere", "quarters"),
    "planning_area": ("planungsraeume", "planning_areas"),
    "city": ("stadt", "city"),
}
_KEY_COLUMNS = ("unit_id", "name", "planning_area", "year")


def export_table(
    results: Results,
    level: Level,
    *,
    years: Iterable[int] | None = None,
    indicators: Sequence[str] | None = None,
    language: str = "de",
    labels: bool = True,
    withheld: str | None = WITHHELD,
    not_computed: str | None = "",
) -> pd.DataFrame:
    """The indicator table of one level, ready to write.

    Parameters
    ----------
    results
        Output of :func:`sqe_geo.pipeline.run`.
    level
        ``"quarter"``, ``"planning_area"`` or ``"city"``.
    years
        Years to include (all by default).
    indicators
        Indicator ids to include, in this order (all by default).
    language
        ``"de"`` or ``"en"`` for column labels.
    labels
        Label columns as "Label (unit)"; ids when False (technical outputs).
    withheld
        Text for withheld values; None leaves them empty (NaN).
    not_computed
        Text for values that could not be computed (default: "n. b." in German, "n/c" in
        English, when ``withheld`` is given); None leaves them empty and adds a
        ``status_{id}`` column per indicator that has any status in the table. A value
        that is both withheld and not computed shows the not-computed text: it has no number.

    Returns
    -------
    pandas.DataFrame
        One row per unit and year; values rounded to each indicator's decimals. With
        labels, a *Status* column explains not-computed, partial and approximate values.
    """
    if not_computed == "":
        not_computed = NOT_COMPUTED_MARK[as_language(language)] if withheld is not None else None
    ids = list(indicators) if indicators is not None else results.catalog.ids
    unknown = [i for i in ids if i not in results.catalog]
    if unknown:
        raise ExportError(
            Message(
                "outputs.export.unknown_indicators",
                ids=str(unknown),
                available=", ".join(results.catalog.ids),
            )
        )
    table = results.table(level)
    if years is not None:
        table = table[table["year"].isin(set(years))]
    table = table.reset_index(drop=True)
    mask = _aligned(table, results.suppressed[level])
    status = _aligned(table, results.status_of(level))
    out = table[[c for c in _KEY_COLUMNS if c in table]].copy()
    marks = _Marks(withheld, not_computed)
    for ind_id in ids:
        ind = results.catalog[ind_id]
        codes = status[ind_id].fillna("") if ind_id in status else pd.Series("", index=table.index)
        values = marks.apply(
            round_half_up(table[ind_id], ind.decimals), ind.decimals, mask[ind_id], codes
        )
        out[f"{ind.label(language)} ({ind.unit(language)})" if labels else ind_id] = values
        if not_computed is None and (codes != "").any():
            out[f"status_{ind_id}"] = codes.to_numpy()
    if labels:
        row_codes = status[[i for i in ids if i in status]].fillna("")
        notes = [status_note(sorted(set(row)), language) for row in row_codes.to_numpy()]
        if any(notes):
            out[text("outputs.export.status", language)] = notes
    note = row_note(results, language)
    if note is not None:
        out[text("outputs.export.note_column", language) if labels else "note"] = note
    if labels:
        out = out.rename(columns={c: text(f"outputs.export.{c}", language) for c in _KEY_COLUMNS})
    return out.reset_index(drop=True)


def _aligned(table: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (indexed by unit and year) in the row order of ``table``."""
    keys = table[["unit_id", "year"]]
    return keys.merge(frame.reset_index(), on=["unit_id", "year"], how="left")


@dataclass(frozen=True)
class _Marks:
    """The texts written instead of withheld and not-computed values (None: left empty)."""

    withheld: str | None
    not_computed: str | None

    def apply(
        self, values: pd.Series, decimals: int, withheld: pd.Series, codes: pd.Series
    ) -> pd.Series:
        """Rounded ``values`` with the marks put in; a not-computed mark wins over withheld."""
        if decimals == 0:
            values = values.astype("Int64")
        if self.withheld is not None:
            values = values.astype(object).where(~withheld.fillna(False), self.withheld)
        if self.not_computed is not None:
            values = values.astype(object).where(~is_not_computed(codes), self.not_computed)
            values = values.where(codes != BASE_YEAR, NOT_MEANINGFUL_MARK)
        return values


#: Text starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with ``'`` (numbers unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(table: pd.DataFrame, *, german: bool) -> bytes:
    """A table as CSV: German (``;``, decimal comma, UTF-8 with BOM) or plain (``,``, ``.``).

    Text cells beginning with ``=``, ``+``, ``-``, ``@`` (a quarter named ``=HYPERLINK(…)``)
    get a leading ``'`` so that a spreadsheet shows them as text instead of running them.
    """
    table = table.copy()
    for column in table.columns[table.dtypes.map(_is_text_dtype)]:
        table[column] = table[column].map(neutralise)
    if german:
        # object columns (numbers mixed with the withheld mark) need the comma by hand
        for column in table.columns[table.dtypes.map(pd.api.types.is_object_dtype)]:
            table[column] = table[column].map(
                lambda v: (
                    ("" if v != v else str(v).replace(".", ",")) if isinstance(v, float) else v
                )
            )
        german_csv = table.to_csv(index=False, sep=";", decimal=",")
        return german_csv.encode("utf-8-sig")
    return table.to_csv(index=False, sep=",", decimal=".").encode("utf-8")


def _is_text_dtype(dtype: np.dtype[Any] | ExtensionDtype) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def xlsx_bytes(
    results: Results,
    *,
    levels: Sequence[Level] | None = None,
    years: Iterable[int] | None = None,
    indicators: Sequence[str] | None = None,
    language: str = "de",
) -> bytes:
    """One workbook: a sheet per level, indicator definitions, metadata, data quality."""
    levels = list(levels) if levels is not None else list(LEVELS)
    years = list(years) if years is not None else None
    names = LEVEL_LABELS.get(language, LEVEL_LABELS["en"])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for level in levels:
            table = export_table(
                results, level, years=years, indicators=indicators, language=language
            )
            table.to_excel(writer, sheet_name=names[level], index=False)
        definitions = results.catalog.definitions(language)
        if indicators is not None:
            definitions = definitions[definitions["id"].isin(indicators)]
        sheet = "outputs.export.sheet_"
        definitions.to_excel(writer, sheet_name=text(f"{sheet}indicators", language), index=False)
        metadata_frame(results, language).to_excel(
            writer, sheet_name=text(f"{sheet}metadata", language), index=False
        )
        quality_frame(results.report, language).to_excel(
            writer, sheet_name=text(f"{sheet}quality", language), index=False
        )
        for worksheet in writer.book.worksheets:
            style_sheet(worksheet)
            text_not_formulas(worksheet)
    return buffer.getvalue()


def gpkg_bytes(results: Results, *, year: int, indicators: Sequence[str] | None = None) -> bytes:
    """A GeoPackage with layers ``quartiere`` and ``planungsraeume`` for one year."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.gpkg"
        for layer, frame in geo_layers(results, year, indicators).items():
            frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        return path.read_bytes()


def geojson_bytes(
    results: Results, *, level: Level, year: int, indicators: Sequence[str] | None = None
) -> bytes:
    """One level's geometries and values as GeoJSON in EPSG:4326."""
    if level == "city":
        raise ExportError(Message("outputs.export.geojson_city"))
    layers = geo_layers(results, year, indicators)
    frame = layers["quartiere" if level == "quarter" else "planungsraeume"]
    data: str = frame.to_crs("EPSG:4326").to_json(drop_id=True)
    return data.encode("utf-8")


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        Path(tmp).chmod(0o666 & ~umask)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_output_folder(out_dir: str | Path, input_paths: Iterable[Path]) -> Path:
    """Refuse an output folder that holds (or is inside the folder of) a study input."""
    out = Path(out_dir).resolve()
    for item in input_paths:
        # the folder of the input as named and, behind a symlink, of the file it points to
        folders = {Path(item).absolute().parent.resolve(), Path(item).resolve().parent}
        if any(out == folder or folder in out.parents for folder in folders):
            raise ExportError(
                Message("outputs.export.output_in_input", out=str(out), name=Path(item).name)
            )
    if out.exists() and not out.is_dir():
        raise ExportError(Message("outputs.export.output_not_folder", out=str(out)))
    return out


#: The manifest of a run: ``sha256sum`` format, checked with ``sha256sum -c MANIFEST.sha256``.
MANIFEST = "MANIFEST.sha256"


def write_outputs(
    results: Results,
    out_dir: str | Path,
    *,
    language: str = "de",
    extra: dict[str, bytes] | None = None,
) -> list[Path]:
    """Write all standard outputs of a run into ``out_dir``: the whole set or nothing.

    Files: per level a German CSV (``*_de.csv``) and a technical CSV, one XLSX workbook,
    one GeoPackage (latest year) and :data:`MANIFEST` with the SHA-256 of every file. All
    files are built in memory, written into a staging folder beside ``out_dir`` (in its
    parent, so the final moves are renames on one file system) and then moved in; an error
    or an interruption (Ctrl-C, SIGTERM) before that leaves ``out_dir`` as it was and no
    staging folder or ``.part`` file behind. ``extra`` files (e.g. a scenario's
    comparison) are published with the set and listed in the manifest.

    Returns
    -------
    list of pathlib.Path
        The written files.

    Raises
    ------
    ExportError
        If the folder is or contains an input folder, or a file cannot be written.
    """
    out = check_output_folder(out_dir, results.study.config.input_paths())
    try:
        blobs: dict[str, bytes] = {}
        for level in LEVELS:
            german, plain = _FILE_STEMS[level]
            blobs[f"{german}_de.csv"] = csv_bytes(
                export_table(results, level, language="de"), german=True
            )
            blobs[f"{plain}.csv"] = csv_bytes(
                export_table(results, level, labels=False, withheld=None), german=False
            )
        blobs["sqe_indikatoren.xlsx"] = xlsx_bytes(results, language=language)
        blobs["sqe_indikatoren.gpkg"] = gpkg_bytes(results, year=max(results.years))
        blobs.update(extra or {})
        blobs[MANIFEST] = "".join(
            f"{sha256_hex(data)}  {name}\n" for name, data in blobs.items()
        ).encode("utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        return _publish(blobs, out)
    except OSError as exc:
        raise ExportError(
            Message("outputs.export.cannot_write", out=str(out), error=str(exc))
        ) from None


def _publish(blobs: dict[str, bytes], out: Path) -> list[Path]:
    """Write ``blobs`` into a staging folder in ``out``'s parent and move them in."""
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        for name, data in blobs.items():
            write_atomic(stage / name, data)
        umask = os.umask(0)
        os.umask(umask)
        stage.chmod(0o777 & ~umask)  # mkdtemp's 0700 would become the output folder's mode
        present = {p.name for p in out.iterdir()} if out.is_dir() else set()
        if not out.exists():
            stage.rename(out)  # one rename publishes the whole set
        elif present <= set(blobs):
            # the folder holds only outputs of an earlier run: swap folders, then drop the old
            old = out.with_name(f".{out.name}.old-{stage.name.rsplit('-', 1)[-1]}")
            out.rename(old)
            try:
                stage.rename(out)
            except BaseException:
                old.rename(out)  # put the earlier outputs back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            # other files live there too: replace ours one by one, the manifest last
            for name in sorted(blobs, key=lambda n: n == MANIFEST):
                (stage / name).replace(out / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out / name for name in blobs]
