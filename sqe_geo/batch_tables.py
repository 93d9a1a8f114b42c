"""The files of a batch run: done markers, failure logs, the report and the combined tables.

A municipality is *done* when its output folder holds :data:`~sqe_geo.outputs.export.MANIFEST`
and every file it lists is there with its checksum. The combined tables are built from the
files that :func:`~sqe_geo.outputs.export.write_outputs` wrote (the protected tables, never
counts before the disclosure control), so a resumed batch combines the municipalities of
earlier runs the same way. Cells are copied as text, so every value, withheld mark and
"n. b." stays exactly as in the municipality's own CSV.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sqe_geo.i18n.messages import text
from sqe_geo.io.hashing import sha256_hex
from sqe_geo.outputs.export import MANIFEST, csv_bytes, neutralise, write_atomic
from sqe_geo.stats.aggregate import LEVELS, Level

#: The tables of one level that ``write_outputs`` writes: (German CSV, technical CSV).
LEVEL_FILES: dict[Level, tuple[str, str]] = {
    "quarter": ("quartiere_de.csv", "quarters.csv"),
    "planning_area": ("planungsraeume_de.csv", "planning_areas.csv"),
    "city": ("stadt_de.csv", "city.csv"),
}
#: The report of a batch run, in the output folder.
REPORT = "batch_report.csv"
#: The combined workbook (technical tables, one sheet per level).
WORKBOOK = "batch_indicators.xlsx"


def is_done(folder: Path) -> bool:
    """Whether ``folder`` holds a complete, unchanged set of outputs of ``sqe-geo run``.

    Parameters
    ----------
    folder
        A municipality's output folder.

    Returns
    -------
    bool
        True when the manifest exists and every listed file matches its SHA-256.
    """
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return False
    lines = manifest.read_text(encoding="utf-8").splitlines()
    for line in lines:
        digest, _, name = line.partition("  ")
        target = folder / name
        if not name or not target.is_file() or sha256_hex(target.read_bytes()) != digest:
            return False
    return bool(lines)


def write_log(folder: Path, ags: str, trace: str | None) -> None:
    """Write the traceback of a failed municipality to ``<ags>.log``; drop an old one on success.

    Parameters
    ----------
    folder
        The batch's log folder.
    ags
        The municipality's key.
    trace
        The traceback, or None when the municipality did not fail.
    """
    path = folder / f"{ags}.log"
    if trace is None:
        path.unlink(missing_ok=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(path, trace.encode("utf-8"))


def write_report(out: Path, outcomes: Sequence[Mapping[str, Any]]) -> Path:
    """Write :data:`REPORT`: per municipality its key, name, status, seconds and reason.

    Parameters
    ----------
    out
        The batch's output folder.
    outcomes
        Per municipality, in the order of the batch file, a mapping with the keys ``ags``,
        ``name``, ``status``, ``seconds`` and ``reason`` (further keys are left out).

    Returns
    -------
    pathlib.Path
        The report file.
    """
    table = pd.DataFrame(
        {
            "ags": [o["ags"] for o in outcomes],
            "municipality": [o["name"] for o in outcomes],
            "status": [o["status"] for o in outcomes],
            "seconds": [round(o["seconds"], 2) for o in outcomes],
            "reason": [o["reason"] for o in outcomes],
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    return write_atomic(out / REPORT, csv_bytes(table, german=False))


def _read_text_table(path: Path, *, german: bool) -> pd.DataFrame:
    """A CSV of ``write_outputs`` with every cell as the text it holds."""
    return pd.read_csv(
        path,
        sep=";" if german else ",",
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig" if german else "utf-8",
    )


def _keyed(table: pd.DataFrame, ags: str, name: str, columns: tuple[str, str]) -> pd.DataFrame:
    keys = pd.DataFrame({columns[0]: ags, columns[1]: neutralise(name)}, index=table.index)
    return pd.concat([keys, table], axis=1)


def combine_levels(
    done: Sequence[tuple[str, str, Path]], out: Path, *, language: str = "de"
) -> list[Path]:
    """Combine the tables of the done municipalities per level, with their key and name.

    Writes per level a German and a technical CSV (the names of ``sqe-geo run``) into
    ``out`` and one workbook :data:`WORKBOOK` with a sheet per level.

    Parameters
    ----------
    done
        ``(ags, name, output folder)`` of each done municipality, in the batch's order.
    out
        The batch's output folder.
    language
        Language of the sheet names.

    Returns
    -------
    list of pathlib.Path
        The written files (none when no municipality is done).
    """
    if not done:
        return []
    german_keys = (text("batch.column.ags", "de"), text("batch.column.municipality", "de"))
    paths: list[Path] = []
    sheets: dict[str, pd.DataFrame] = {}
    for level in LEVELS:
        german_name, plain_name = LEVEL_FILES[level]
        german = pd.concat(
            [
                _keyed(_read_text_table(folder / german_name, german=True), ags, name, german_keys)
                for ags, name, folder in done
            ],
            ignore_index=True,
        )
        plain = pd.concat(
            [
                _keyed(
                    _read_text_table(folder / plain_name, german=False),
                    ags,
                    name,
                    ("ags", "municipality"),
                )
                for ags, name, folder in done
            ],
            ignore_index=True,
        )
        # text cells as they are: the writer must not neutralise or reformat them again
        data = german.to_csv(index=False, sep=";").encode("utf-8-sig")
        paths.append(write_atomic(out / german_name, data))
        paths.append(write_atomic(out / plain_name, plain.to_csv(index=False).encode("utf-8")))
        sheets[text(f"stats.level.{level}", language)] = pd.read_csv(
            io.BytesIO(plain.to_csv(index=False).encode("utf-8")),
            dtype={"ags": str, "municipality": str, "unit_id": str, "name": str},
            keep_default_na=False,
            na_values=[""],
        )
    paths.append(write_atomic(out / WORKBOOK, _workbook(sheets)))
    return paths


def _workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per level; every cell that openpyxl took for a formula stays text."""
    from sqe_geo.outputs.export_sheets import text_not_formulas

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
            text_not_formulas(writer.sheets[name[:31]])
    return buffer.getvalue()
