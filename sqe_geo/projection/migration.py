"""Net migration per quarter, sex and age band, and its low / main / high variants.

Two sources:

* :func:`migration_from_history`: from several observed years of the study. For each pair of
  consecutive observed years the population of the earlier year is carried forward without
  migration (survival, ageing, births); what the later year has more or less is the net
  migration of that interval, per year of it. The main variant is the mean over all observed
  years (persons per year), low and high are the main variant minus and plus the standard
  deviation of the yearly values (the year-to-year variation the history shows), or
  ``± spread · |main|`` when there is only one interval or a spread is given.
* :func:`migration_from_table`: rates per 1,000 residents of a band and year that the study
  supplies (columns ``age``, optional ``sex`` and ``quarter_id``, ``main``, optional ``low``
  and ``high``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.projection.model import FloatArray, Migration, age_and_survive
from sqe_geo.projection.rates import AgeBand, BandRates

__all__ = ["VARIANTS", "migration_from_history", "migration_from_table"]

#: The migration variants, carried through to every projected row.
VARIANTS = ("low", "main", "high")
#: Relative spread of the low and high variants when the history cannot measure it.
DEFAULT_SPREAD = 0.5


def _carry(
    population: FloatArray, rates: BandRates, bands: tuple[AgeBand, ...], years: int
) -> FloatArray:
    for _ in range(years):
        population, _births, _deaths = age_and_survive(population, rates, bands)
    return population


def migration_from_history(
    history: Mapping[int, FloatArray],
    rates: BandRates,
    bands: tuple[AgeBand, ...],
    *,
    spread: float | None = None,
    damping: float = 1.0,
) -> dict[str, Migration]:
    """Net migration per year from observed years (residual after survival and ageing).

    Parameters
    ----------
    history
        Year → ``P[q, s, b]`` (same quarters, sexes and bands in every year); at least two.
    rates
        Rates per band.
    bands
        The age bands.
    spread
        Low/high = main ∓ ``spread · |main|``; default: the standard deviation of the yearly
        values when there are two or more intervals, else ``0.5 · |main|``.
    damping
        Factor on the observed migration and its spread (1: as observed; 0.5 halves it,
        which the backtest on the Karlsruhe history found better for totals beyond two
        years, see ``benchmarks/RESULTS.md``).

    Returns
    -------
    dict
        Variant → :class:`~sqe_geo.projection.model.Migration` (absolute persons per year).

    Raises
    ------
    InputDataError
        If fewer than two years are given or ``damping`` is negative.
    """
    if damping < 0:
        raise InputDataError(Message("projection.damping", value=damping))
    years = sorted(history)
    if len(years) < 2:
        raise InputDataError(Message("projection.history_too_short", years=len(years)))
    yearly: list[FloatArray] = []
    weights: list[int] = []
    for first, second in itertools.pairwise(years):
        gap = second - first
        expected = _carry(history[first], rates, bands, gap)
        yearly.append((history[second] - expected) / gap)
        weights.append(gap)
    stack = np.stack(yearly)
    main = np.average(stack, axis=0, weights=np.asarray(weights, dtype=float))
    measured = spread is None and len(yearly) >= 2
    relative = DEFAULT_SPREAD if spread is None else spread
    width = stack.std(axis=0, ddof=1) if measured else np.abs(main) * relative
    zeros = np.zeros_like(main)
    main, width = main * damping, width * damping
    return {
        "low": Migration(main - width, zeros),
        "main": Migration(main, zeros),
        "high": Migration(main + width, zeros),
    }


def _band_index(label: str, bands: tuple[AgeBand, ...], source: str) -> int:
    for i, band in enumerate(bands):
        if label.replace("–", "-").replace(" ", "") == band.label:
            return i
    raise InputDataError(
        Message(
            "projection.table_band",
            source=source,
            band=label,
            bands=", ".join(b.label for b in bands),
        )
    )


def _sex_index(sex: object, sexes: tuple[str, ...], source: str) -> Sequence[int]:
    """The sexes a row applies to: all without a value, else the one named (must exist)."""
    if sex is None or sex != sex or str(sex).strip() == "":  # None, NaN or empty
        return range(len(sexes))
    if str(sex) not in sexes:
        raise InputDataError(
            Message("projection.table_sex", source=source, sex=str(sex), sexes=", ".join(sexes))
        )
    return [sexes.index(str(sex))]


def migration_from_table(
    table: pd.DataFrame,
    quarters: Sequence[str],
    sexes: tuple[str, ...],
    bands: tuple[AgeBand, ...],
    *,
    source: str = "migration",
) -> dict[str, Migration]:
    """Net migration rates per 1,000 residents of a band and year, from a study's table.

    Parameters
    ----------
    table
        Columns ``age`` (a band label such as ``"20-64"``), ``main`` and optionally ``low``,
        ``high`` (missing: ``main ∓ 0.5 · |main|``), ``sex`` (rows without apply to every
        sex) and ``quarter_id`` (rows without apply to every quarter; a row with a quarter
        overrides the general one).
    quarters
        The quarters in the order of the population array.
    sexes
        The sexes of the population array.
    bands
        The age bands.
    source
        File name for messages.

    Returns
    -------
    dict
        Variant → :class:`~sqe_geo.projection.model.Migration` (rates per 1,000).

    Raises
    ------
    InputDataError
        If ``age`` or ``main`` is missing, a band label is not one of the bands or a
        ``quarter_id`` is not a quarter of the study.
    """
    missing = [c for c in ("age", "main") if c not in table.columns]
    if missing:
        raise InputDataError(
            Message("projection.table_columns", source=source, missing=", ".join(missing))
        )
    shape = (len(quarters), len(sexes), len(bands))
    out = {v: np.zeros(shape) for v in VARIANTS}
    q_index = {q: i for i, q in enumerate(quarters)}
    # general rows first, so that rows for one quarter or sex override them
    order = table.assign(
        _specific=table.get("quarter_id", pd.Series(index=table.index)).notna().astype(int)
        + table.get("sex", pd.Series(index=table.index)).notna().astype(int)
    ).sort_values("_specific", kind="stable")
    for row in order.to_dict("records"):
        b = _band_index(str(row["age"]), bands, source)
        quarter = row.get("quarter_id")
        qs = [q_index[str(quarter)]] if pd.notna(quarter) and str(quarter) in q_index else None
        if pd.notna(quarter) and qs is None:
            raise InputDataError(
                Message("projection.table_quarter", source=source, quarter=str(quarter))
            )
        ss = _sex_index(row.get("sex"), sexes, source)
        main = float(row["main"])
        values = {
            "main": main,
            "low": float(row["low"]) if pd.notna(row.get("low")) else main - 0.5 * abs(main),
            "high": float(row["high"]) if pd.notna(row.get("high")) else main + 0.5 * abs(main),
        }
        for variant, value in values.items():
            target = out[variant]
            for s in ss:
                target[qs if qs is not None else slice(None), s, b] = value
    zeros = np.zeros(shape)
    return {v: Migration(zeros, out[v]) for v in VARIANTS}
