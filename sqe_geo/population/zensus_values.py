"""The values of Zensus 2022 grid cells: numbers, blocked values, limited reliability.

A Zensus grid CSV marks a value that is zero or blocked for confidentiality with an en dash
``–``, a value of limited reliability with parentheses or the sign ``KLAMMERN`` in the column
``werterlaeuternde_Zeichen``; numbers have a decimal comma. Numbers are parsed by the package's
table reader (:func:`sqe_geo.io.table_numbers.to_numeric_column`); the marks are counted here
and reported by :func:`report_values`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo.i18n.messages import Message
from sqe_geo.io.table_numbers import to_numeric_column
from sqe_geo.quality import QualityReport

#: Values that mean "zero or blocked" (en dash; hyphen and em dash tolerated).
BLOCKED_MARKS: tuple[str, ...] = ("–", "-", "—")

#: The column of explanatory signs (``KLAMMERN``: limited reliability).
FLAG_COLUMN = "werterlaeuternde_Zeichen"


_LAYER = "zensus"


def parse_values(text: pd.Series, blocked_value: float) -> tuple[pd.Series, int, int, pd.Series]:
    """Parse one value column; return values, #blocked, #parenthesised, unparseable mask.

    Numbers (decimal comma) are parsed by the package's table reader
    (:func:`sqe_geo.io.table_numbers.to_numeric_column`); the Zensus marks ``–`` (zero or
    blocked) and ``(…)`` (limited reliability) are handled here.

    Parameters
    ----------
    text
        One value column as read (text).
    blocked_value
        What ``–`` is read as (0 or NaN).
    """
    s = text.fillna("").astype(str).str.strip()
    blocked = s.isin(BLOCKED_MARKS)
    paren = s.str.startswith("(") & s.str.endswith(")")
    s = s.str.strip("()").str.strip()
    values, bad = to_numeric_column(s.astype("string"), ",")
    values = values.mask(blocked, blocked_value)
    return values.astype("float64"), int(blocked.sum()), int(paren.sum()), bad & ~blocked


@dataclass
class CellValues:
    """The parsed value columns of the cells and what was seen while parsing them."""

    columns: dict[str, Any]
    blocked: dict[str, int] = field(default_factory=dict)
    n_paren: int = 0
    unparseable: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    flagged: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def parse_cells(
    frame: pd.DataFrame, id_col: str, value_cols: list[str], blocked_value: float
) -> CellValues:
    """Parse every value column of the kept cells (one pass per column, vectorised).

    Parameters
    ----------
    frame
        The cells as read, values still text.
    id_col
        The cell id column (``GITTER_ID_100m`` …), kept as ``cell_id``.
    value_cols
        The value columns to parse.
    blocked_value
        What ``–`` is read as (0 or NaN).
    """
    parsed = CellValues(
        columns={"cell_id": frame[id_col].astype("str").to_numpy()},
        unparseable=np.zeros(len(frame), dtype=bool),
        flagged=np.zeros(len(frame), dtype=bool),
    )
    for column in value_cols:
        values, n_blocked, n_p, bad = parse_values(frame[column], blocked_value)
        parsed.columns[column] = values.to_numpy()
        parsed.n_paren += n_p
        parsed.unparseable |= bad.to_numpy()
        if n_blocked:
            parsed.blocked[column] = n_blocked
    if FLAG_COLUMN in frame.columns:
        flags = frame[FLAG_COLUMN].fillna("").astype(str).str.strip()
        parsed.columns[FLAG_COLUMN] = flags.to_numpy()
        parsed.flagged = flags.str.upper().str.contains("KLAMMER", regex=False).to_numpy()
    return parsed


def report_values(
    report: QualityReport, path: Path, gdf: gpd.GeoDataFrame, parsed: CellValues, blocked_as: str
) -> None:
    """Findings on the values: blocked (``–``), KLAMMERN and parentheses, not numbers.

    Parameters
    ----------
    report
        Receives the findings.
    path
        The CSV file (its name goes into the findings).
    gdf
        The cells read, with ``cell_id``.
    parsed
        What :func:`parse_cells` saw.
    blocked_as
        ``"zero"`` or ``"missing"``.
    """
    if parsed.blocked:
        n_blocked = sum(parsed.blocked.values())
        read_as = "0" if blocked_as == "zero" else Message("population.zensus.read_as_missing")
        report.add(
            "zensus_blocked_values",
            _LAYER,
            Message(
                "population.zensus.blocked_values",
                file=path.name,
                n=n_blocked,
                read_as=read_as,
                listed=", ".join(f"{c}: {n}" for c, n in parsed.blocked.items()),
            ),
            count=n_blocked,
            items=[f"{c}={n}" for c, n in parsed.blocked.items()],
        )
    if parsed.flagged.any() or parsed.n_paren:
        report.add(
            "zensus_klammern",
            _LAYER,
            Message(
                "population.zensus.klammern",
                file=path.name,
                n=int(parsed.flagged.sum()),
                n_paren=parsed.n_paren,
            ),
            count=int(parsed.flagged.sum()),
            items=gdf.loc[parsed.flagged, "cell_id"],
        )
    if parsed.unparseable.any():
        report.add(
            "zensus_unparseable",
            _LAYER,
            Message(
                "population.zensus.unparseable", file=path.name, n=int(parsed.unparseable.sum())
            ),
            items=gdf.loc[parsed.unparseable, "cell_id"],
        )


__all__ = [
    "BLOCKED_MARKS",
    "FLAG_COLUMN",
    "CellValues",
    "parse_cells",
    "parse_values",
    "report_values",
]
