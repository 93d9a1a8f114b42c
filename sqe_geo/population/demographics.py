"""Residents per quarter, year and age group.

A demographics table comes in with the city's own bands (``Alter_0_19``, ``a80undaelter``,
…) declared with their age ranges in the study file. This module turns it into the
canonical table: one row per quarter and year with the published ``total`` and the age
groups ``young``, ``working_age``, ``older``, ``young_old`` and ``oldest_old``, each the sum
of bands that tile the group's range exactly. A group no set of bands tiles is left out
and reported (indicators that need it are then unavailable), never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.config import AGE_GROUPS
from sqe_geo.config_layers import DemographicsConfig, format_age_range, parse_age_range
from sqe_geo.i18n.messages import Message, text
from sqe_geo.quality import QualityReport

AgeRange = tuple[int, int | None]

#: Columns of the canonical table besides the age groups.
KEY_COLUMNS = ("quarter_id", "year")


def tile_range(bands: Mapping[str, AgeRange], target: AgeRange, limit: int = 4) -> list[list[str]]:
    """All ways (up to ``limit``) to cover ``target`` exactly with non-overlapping bands.

    Parameters
    ----------
    bands
        Band name -> parsed age range.
    target
        The age range to cover.
    limit
        Most tilings returned.
    """
    low, high = target
    found: list[list[str]] = []

    def extend(start: int, chosen: list[str]) -> None:
        if len(found) >= limit:
            return
        for name, (b_low, b_high) in sorted(
            bands.items(), key=lambda kv: -(kv[1][1] if kv[1][1] is not None else 10**6)
        ):
            if b_low != start:
                continue
            if b_high is None:
                if high is None:
                    found.append([*chosen, name])
                continue
            if high is not None and b_high > high:
                continue
            if high is not None and b_high == high:
                found.append([*chosen, name])
                continue
            extend(b_high + 1, [*chosen, name])

    extend(low, [])
    return found


def derive_groups(
    bands: Mapping[str, str], groups: Mapping[str, str]
) -> dict[str, list[list[str]]]:
    """Find, for each age group, the sets of bands that tile its range exactly.

    Parameters
    ----------
    bands
        Band name -> age range text (``"0-19"``, ``"80+"``).
    groups
        Age group -> age range text.

    Returns
    -------
    dict
        Age group -> list of tilings (each a list of band names); the first tiling uses
        the fewest bands. Groups without any tiling are absent.

    Examples
    --------
    >>> derive_groups({"a": "0-19", "b": "20-64", "c": "65-79", "d": "80+"}, {"older": "65+"})
    {'older': [['c', 'd']]}
    """
    parsed = {name: parse_age_range(ages) for name, ages in bands.items()}
    result: dict[str, list[list[str]]] = {}
    for group, ages in groups.items():
        tilings = tile_range(parsed, parse_age_range(ages))
        if tilings:
            result[group] = sorted(tilings, key=len)
    return result


def _to_numeric(
    frame: pd.DataFrame, columns: list[str], *, source: str, report: QualityReport
) -> pd.DataFrame:
    """Convert count columns to numbers; report non-numeric and negative cells."""
    out = frame.copy()
    for column in columns:
        raw = out[column]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            report.add(
                "non_numeric_count",
                "demographics",
                Message(
                    "population.demographics.non_numeric",
                    source=source,
                    column=repr(column),
                    n=int(bad.sum()),
                ),
                items=[
                    text("population.demographics.row_item", row=i + 2, value=repr(raw.iloc[i]))
                    for i in np.flatnonzero(bad)
                ],
            )
        negative = values < 0
        if negative.any():
            report.add(
                "negative_count",
                "demographics",
                Message(
                    "population.demographics.negative",
                    source=source,
                    column=repr(column),
                    n=int(negative.sum()),
                ),
                severity="error",
                items=[
                    text("population.demographics.row_item", row=i + 2, value=values.iloc[i])
                    for i in np.flatnonzero(negative)
                ],
            )
            values = values.mask(negative)
        out[column] = values
    return out


def to_wide(raw: pd.DataFrame, config: DemographicsConfig, *, source: str) -> pd.DataFrame:
    """Bring a long table (one row per band) into the wide layout (one column per band).

    Parameters
    ----------
    raw
        The table as read.
    config
        The ``[demographics]`` section.
    source
        File name used in messages.
    """
    if config.layout == "wide":
        return raw
    # the study model requires these for the long layout
    assert config.key_column is not None
    assert config.band_column is not None and config.value_column is not None
    index = [config.key_column] + ([config.year_column] if config.year_column else [])
    _require_columns(raw, [*index, config.band_column, config.value_column], source)
    duplicated = raw.duplicated([*index, config.band_column])
    if duplicated.any():
        rows = raw.loc[duplicated, [*index, config.band_column]].astype(str)
        raise InputDataError(
            Message(
                "population.demographics.duplicates",
                source=source,
                n=int(duplicated.sum()),
                example=rows.iloc[0].tolist(),
            )
        )
    wide = raw.pivot(index=index, columns=config.band_column, values=config.value_column)
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


def _require_columns(frame: pd.DataFrame, columns: list[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputDataError(
            Message(
                "population.demographics.columns_missing",
                source=source,
                missing=missing,
                columns=list(frame.columns),
            )
        )


def canonical_counts(
    wide: pd.DataFrame,
    config: DemographicsConfig,
    groups: Mapping[str, str],
    *,
    source: str,
    report: QualityReport,
) -> pd.DataFrame:
    """Sum bands into age groups and check them.

    Parameters
    ----------
    wide
        The table in wide layout with a ``quarter_id`` column already matched.
    config
        The ``[demographics]`` section.
    groups
        Age group -> range text (``[age_groups]``).
    source
        File name used in messages.
    report
        Receives: groups that cannot be formed, inconsistent tilings, bands vs total gaps.

    Returns
    -------
    pandas.DataFrame
        Columns ``quarter_id``, ``year``, ``total`` and every derivable age group.
    """
    assert config.total_column is not None
    band_columns = list(config.bands)
    _require_columns(wide, [config.total_column, *band_columns], source)
    frame = _to_numeric(wide, [config.total_column, *band_columns], source=source, report=report)
    if config.year_column is not None:
        _require_columns(frame, [config.year_column], source)
        years = pd.to_numeric(frame[config.year_column], errors="coerce")
        if years.isna().any():
            raise InputDataError(
                Message(
                    "population.demographics.bad_years",
                    source=source,
                    column=repr(config.year_column),
                    rows=[int(i) + 2 for i in np.flatnonzero(years.isna())][:10],
                )
            )
    else:
        years = pd.Series(config.year, index=frame.index)
    out = pd.DataFrame(
        {
            "quarter_id": frame["quarter_id"].astype(str),
            "year": years.astype(int),
            "total": frame[config.total_column],
        }
    )
    tilings = derive_groups(config.bands, groups)
    for group in AGE_GROUPS:
        if group not in tilings:
            report.add(
                "age_group_unavailable",
                "demographics",
                Message(
                    "population.demographics.group_unavailable",
                    group=group,
                    range=format_age_range(parse_age_range(groups[group])),
                    source=source,
                    bands=", ".join(f"{b}={r}" for b, r in config.bands.items()),
                ),
                severity="info",
            )
            continue
        first, *others = tilings[group]
        out[group] = frame[first].sum(axis=1, min_count=len(first))
        for other in others:
            alt = frame[other].sum(axis=1, min_count=len(other))
            differs = (alt - out[group]).abs() > 0
            if differs.any():
                report.add(
                    "bands_inconsistent",
                    "demographics",
                    Message(
                        "population.demographics.bands_inconsistent",
                        source=source,
                        first=" + ".join(first),
                        other=" + ".join(other),
                        group=group,
                        n=int(differs.sum()),
                    ),
                    items=_row_labels(out, differs),
                )
    _check_total_gap(out, source=source, report=report)
    return out


def _row_labels(frame: pd.DataFrame, mask: pd.Series) -> list[str]:
    rows = frame.loc[mask]
    return [f"{q}/{y}" for q, y in zip(rows["quarter_id"], rows["year"], strict=True)]


def _check_total_gap(frame: pd.DataFrame, *, source: str, report: QualityReport) -> None:
    """Report where young + working_age + older differ from the published total."""
    parts = ["young", "working_age", "older"]
    if not all(p in frame.columns for p in parts):
        return
    gap = frame["total"] - frame[parts].sum(axis=1, min_count=len(parts))
    differs = gap.abs() > 0
    if not differs.any():
        return
    for year, sub in frame.loc[differs].groupby("year"):
        g = gap.loc[sub.index]
        city_total = frame.loc[frame["year"] == year, "total"].sum()
        city_bands = frame.loc[frame["year"] == year, parts].sum().sum()
        report.add(
            "bands_vs_total",
            "demographics",
            Message(
                "population.demographics.bands_vs_total",
                source=source,
                year=year,
                n=len(sub),
                bands=f"{city_bands:,.0f}",
                total=f"{city_total:,.0f}",
            ),
            # "quarter, year: difference"; disclosure control masks withheld differences
            items=[f"{q}, {year}: {d:+,.0f}" for q, d in zip(sub["quarter_id"], g, strict=True)],
        )
