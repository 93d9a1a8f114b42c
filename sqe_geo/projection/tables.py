"""From a demographics table to the projection's arrays, and back to a demographics table.

:func:`base_from_demographics` takes a canonical demographics table (``quarter_id``,
``year``, ``total`` and age-group columns such as ``young`` = 0–19) and picks the finest set
of its age groups that tiles all ages (for the default groups: 0–19, 20–64, 65–79, 80+) as the
projection's bands. :func:`projected_demographics` turns the projection back into a
demographics table: whole persons (largest-remainder rounding, so each row's bands add up to
its rounded total, or raked years' quarters to the official total and, where the official
projection has age bands, each band to its official figure), the study's age groups
re-formed from the bands, and in every row ``kind`` ("Prognose") and ``variant``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.config_layers import parse_age_range
from sqe_geo.i18n.messages import Language, Message, text
from sqe_geo.population.demographics import derive_groups, tile_range
from sqe_geo.projection.model import FloatArray
from sqe_geo.projection.projection import OfficialTotal, band_column
from sqe_geo.projection.raking import round_to_total
from sqe_geo.projection.rates import AgeBand, parse_bands

__all__ = [
    "ProjectionBase",
    "base_from_bands",
    "base_from_demographics",
    "projected_demographics",
]


SEXES = ("female", "male")


@dataclass(frozen=True)
class ProjectionBase:
    """The observed years as arrays ``P[q, s, b]`` and what they were built from."""

    quarters: tuple[str, ...]
    sexes: tuple[str, ...]
    bands: tuple[AgeBand, ...]
    history: dict[int, FloatArray]
    total_gap: dict[int, float]  # published total minus the sum of the bands, per year


def base_from_bands(
    table: pd.DataFrame, columns: Mapping[str, tuple[str, str]], *, total: str | None = None
) -> ProjectionBase:
    """Arrays of the observed years from a table with one column per (sex and) age band.

    Single years, 5-year groups or any bands that tile all ages; with sex when the table has
    a female and a male column for every band.

    Parameters
    ----------
    table
        ``quarter_id``, ``year`` and the band columns.
    columns
        Column → ``(sex, age range)``: sex ``"all"``, or ``"female"`` and ``"male"`` for every
        band; range ``"0-4"``, ``"85+"``.
    total
        Column of the published total, compared with the sum of the bands (``total_gap``).

    Returns
    -------
    ProjectionBase
        One array per observed year.

    Raises
    ------
    InputDataError
        If the bands do not tile all ages, a (sex, band) is missing, or a quarter lacks a
        value in some year.
    """
    ranges = sorted({parse_age_range(r) for _, r in columns.values()}, key=lambda r: r[0])
    bands = parse_bands(ranges)
    sexes = ("all",) if {s for s, _ in columns.values()} == {"all"} else SEXES
    where = {(s, parse_age_range(r)): c for c, (s, r) in columns.items()}
    order = [[where.get((s, (b.low, b.high))) for b in bands] for s in sexes]
    absent = [f"{s} {b.label}" for s, row in zip(sexes, order, strict=True)
              for b, c in zip(bands, row, strict=True) if c is None]  # fmt: skip
    if absent or len(where) != len(sexes) * len(bands):
        raise InputDataError(Message("projection.bands_missing", missing=", ".join(absent) or "?"))
    flat = [str(c) for row in order for c in row]
    quarters = tuple(sorted(table["quarter_id"].astype(str).unique()))
    history: dict[int, FloatArray] = {}
    gap: dict[int, float] = {}
    for year_value, rows in table.groupby("year"):
        year = int(str(year_value))
        frame = rows.set_index(rows["quarter_id"].astype(str)).reindex(list(quarters))
        values = frame[flat].to_numpy(dtype=float)
        if np.isnan(values).any():
            missing = frame.index[np.isnan(values).any(axis=1)]
            raise InputDataError(
                Message("projection.missing_values", year=year, quarters=", ".join(missing[:10]))
            )
        history[year] = values.reshape(len(quarters), len(sexes), len(bands))
        if total is not None and total in frame.columns:
            gap[year] = float(frame[total].sum() - values.sum())
    return ProjectionBase(quarters, sexes, bands, history, gap)


def base_from_demographics(
    demographics: pd.DataFrame, age_groups: Mapping[str, str]
) -> ProjectionBase:
    """Arrays of the observed years, in the finest age bands the study's groups allow.

    Parameters
    ----------
    demographics
        Canonical table: ``quarter_id``, ``year``, ``total`` and age-group columns (no sex).
    age_groups
        Age group → range text (``"0-19"``, ``"80+"``), as in the study's ``[age_groups]``.

    Returns
    -------
    ProjectionBase
        One array per observed year (for the default groups: bands 0–19, 20–64, 65–79, 80+).

    Raises
    ------
    InputDataError
        If no set of groups tiles all ages, or a quarter lacks a value in some year.
    """
    present = {g: parse_age_range(r) for g, r in age_groups.items() if g in demographics.columns}
    tilings = tile_range(present, (0, None), limit=16)
    if not tilings:
        raise InputDataError(
            Message(
                "projection.no_tiling", groups=", ".join(f"{g}={r}" for g, r in age_groups.items())
            )
        )
    chosen = max(tilings, key=len)
    columns = {g: ("all", age_groups[g]) for g in chosen}
    return base_from_bands(demographics, columns, total="total")


def _round_rows(
    frame: pd.DataFrame, columns: list[str], official: Mapping[int, OfficialTotal]
) -> pd.DataFrame:
    values = frame[columns].to_numpy(dtype=float)
    rounded = np.empty_like(values)
    for _key, index in frame.groupby(["variant", "year"]).indices.items():
        year = int(frame["year"].iloc[index[0]])
        target = official.get(year)
        if target is not None and target.bands is not None:  # each band adds up to its figure
            for b, band_total in enumerate(target.bands):
                rounded[index, b] = round_to_total(values[index, b], round(float(band_total)))
            continue
        if target is not None:  # the quarters of a raked year add up to the official total
            rounded[index] = round_to_total(values[index], round(target.total))
            continue
        for i in index:
            rounded[i] = round_to_total(values[i], round(values[i].sum()))
    out = frame.copy()
    out[columns] = rounded.astype("int64")
    return out


def projected_demographics(
    projection: pd.DataFrame,
    bands: tuple[AgeBand, ...],
    age_groups: Mapping[str, str],
    *,
    language: Language = "de",
    official: Mapping[int, OfficialTotal] | None = None,
) -> pd.DataFrame:
    """The projection as a demographics table of whole persons.

    Parameters
    ----------
    projection
        The result of :func:`~sqe_geo.projection.projection.project`.
    bands
        Its age bands.
    age_groups
        Age group → range text; every group that the bands tile gets a column.
    language
        Language of the ``kind`` column ("Prognose" / "projection").
    official
        The official totals the projection was raked to (their years round to them).

    Returns
    -------
    pandas.DataFrame
        ``quarter_id``, ``year``, ``variant``, ``kind``, ``total``, the age groups and the
        band columns, all counts as ``int64``; sorted by variant, year and quarter.
    """
    columns = [band_column(b) for b in bands]
    rounded = _round_rows(projection, columns, official or {})
    out = rounded[["quarter_id", "year", "variant"]].copy()
    out.insert(3, "kind", text("projection.kind", language))
    out["total"] = rounded[columns].sum(axis=1).astype("int64")
    tiles = derive_groups({c: b.label for c, b in zip(columns, bands, strict=True)}, age_groups)
    for group in age_groups:
        if group in tiles:
            out[group] = rounded[tiles[group][0]].sum(axis=1).astype("int64")
    out[columns] = rounded[columns]
    order = {v: i for i, v in enumerate(("low", "main", "high"))}
    out = out.sort_values(
        ["variant", "year", "quarter_id"], key=lambda s: s.map(order) if s.name == "variant" else s
    )
    return out.reset_index(drop=True)


def variant_labels(variants: Sequence[str], language: Language) -> dict[str, str]:
    """Display label per variant (``"Hauptvariante"`` …)."""
    return {v: text(f"projection.variant_{v}", language) for v in variants}
