"""Projecting quarters year by year, per migration variant, optionally raked to official totals.

:func:`project` runs :func:`~sqe_geo.projection.model.step_year` from the base year to the
target year for every variant and returns a long table: one row per variant, quarter and
reported year (every ``step`` years, and always the last), with persons per age band (not
rounded) and the year's births, deaths, net migration and persons cut off at zero. When
official totals are given, each year is raked before it feeds the next one, so the official
figures steer the whole path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.projection.migration import VARIANTS
from sqe_geo.projection.model import FloatArray, Migration, Step, step_year
from sqe_geo.projection.raking import rake
from sqe_geo.projection.rates import AgeBand, BandRates

__all__ = [
    "DEFAULT_TARGET_YEAR",
    "OfficialTotal",
    "ProjectionModel",
    "band_column",
    "project",
    "reported_years",
]

DEFAULT_TARGET_YEAR = 2040


@dataclass(frozen=True)
class ProjectionModel:
    """What drives the projection: rates per band, the bands, net migration per variant."""

    rates: BandRates
    bands: tuple[AgeBand, ...]
    migration: Mapping[str, Migration]


@dataclass(frozen=True)
class OfficialTotal:
    """The municipality's official projected total of a year, optionally per age band."""

    total: float
    bands: FloatArray | None = None


def band_column(band: AgeBand) -> str:
    """Column name of a band in the projection tables: ``age_0_19``, ``age_80plus``."""
    return f"age_{band.low}plus" if band.high is None else f"age_{band.low}_{band.high}"


def reported_years(base_year: int, target_year: int, step: int) -> list[int]:
    """The years reported: every ``step`` years after the base year, and the target year.

    Raises
    ------
    InputDataError
        If the target is not after the base year or the step is below one year.
    """
    if target_year <= base_year or step < 1:
        raise InputDataError(
            Message("projection.horizon", base=base_year, target=target_year, step=step)
        )
    years = list(range(base_year + step, target_year + 1, step))
    return years if years and years[-1] == target_year else [*years, target_year]


def project(
    base: FloatArray,
    quarters: Sequence[str],
    base_year: int,
    *,
    model: ProjectionModel,
    target_year: int = DEFAULT_TARGET_YEAR,
    step: int = 1,
    official: Mapping[int, OfficialTotal] | None = None,
    variants: Sequence[str] = VARIANTS,
) -> pd.DataFrame:
    """Project every quarter from the base year to the target year.

    Parameters
    ----------
    base
        ``P[q, s, b]`` in the base year.
    quarters
        Quarter ids in the order of ``base``.
    base_year
        The year of ``base``.
    model
        Rates per band, the age bands and net migration per variant.
    target_year
        Last projected year (default 2040).
    step
        Years between reported years (the projection itself always runs year by year).
    official
        Official totals per year to rake to (years not in it stay unraked).
    variants
        The variants to compute.

    Returns
    -------
    pandas.DataFrame
        ``variant``, ``quarter_id``, ``year``, one ``float64`` column per band
        (:func:`band_column`), ``births``, ``deaths``, ``net_migration``, ``clipped`` (the
        year's figures, before raking) and ``raked`` (bool).

    Raises
    ------
    InputDataError
        If a variant has no migration, the horizon is invalid or raking fails.
    """
    report = set(reported_years(base_year, target_year, step))
    rows: list[pd.DataFrame] = []
    rates, bands, migration = model.rates, model.bands, model.migration
    for variant in variants:
        if variant not in migration:
            raise InputDataError(
                Message("projection.variant_unknown", variant=variant, known=", ".join(migration))
            )
        population = base.astype(float)
        for year in range(base_year + 1, target_year + 1):
            result = step_year(population, rates, bands, migration[variant])
            population = result.population
            target = (official or {}).get(year)
            if target is not None:
                population = rake(population, target.total, target.bands, year=year)
            if year in report:
                rows.append(_rows(variant, quarters, year, population, bands, result, target))
    return pd.concat(rows, ignore_index=True)


def _rows(
    variant: str,
    quarters: Sequence[str],
    year: int,
    population: FloatArray,
    bands: tuple[AgeBand, ...],
    result: Step,
    target: OfficialTotal | None,
) -> pd.DataFrame:
    per_band = population.sum(axis=1)
    frame = pd.DataFrame({"variant": variant, "quarter_id": list(quarters), "year": year})
    for i, band in enumerate(bands):
        frame[band_column(band)] = per_band[:, i]
    frame["births"] = result.births
    frame["deaths"] = result.deaths
    frame["net_migration"] = result.migration
    frame["clipped"] = result.clipped
    frame["raked"] = target is not None
    return frame
