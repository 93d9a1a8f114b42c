"""The cohort-component step: one year of survival, ageing, births and net migration.

Populations are arrays ``P[quarter, sex, band]`` (persons). One year from ``t`` to ``t + 1``:

1. births ``B[q] = Σ_b women[q, b] · f[b]`` from the women at the start of the year;
2. survival ``S = P · s[sex, band]``;
3. ageing: a share ``1 / width`` of each closed band moves up one band (residents spread
   evenly within a band; with single years everybody moves, the open band keeps everybody);
4. newborns ``B · share[sex] · s_newborn[sex]`` enter the first band;
5. net migration ``M = A + r / 1000 · X`` (``A`` persons per year, ``r`` per 1,000 of the
   band after steps 2–4, ``X``), added to the band; a band that would fall below zero is set
   to zero and the persons cut off are counted in :attr:`Step.clipped`, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sqe_geo.projection.rates import AgeBand, BandRates

__all__ = ["Migration", "Step", "age_and_survive", "step_year"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Migration:
    """Net migration per year, ``absolute[q, s, b]`` persons plus ``per_1000[q, s, b]``."""

    absolute: FloatArray
    per_1000: FloatArray

    @classmethod
    def none(cls, shape: tuple[int, ...]) -> Migration:
        """No migration (a closed population)."""
        return cls(np.zeros(shape), np.zeros(shape))


@dataclass(frozen=True)
class Step:
    """The population after one year and what happened in it (per quarter)."""

    population: FloatArray
    births: FloatArray
    deaths: FloatArray
    migration: FloatArray
    clipped: FloatArray


def _widths(bands: tuple[AgeBand, ...]) -> FloatArray:
    return np.array([b.width for b in bands], dtype=float)


def age_and_survive(
    population: FloatArray, rates: BandRates, bands: tuple[AgeBand, ...]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Steps 1–4 of a year: survival, ageing on and births, without migration.

    Parameters
    ----------
    population
        ``P[q, s, b]`` at the start of the year.
    rates
        Rates per band (:func:`~sqe_geo.projection.rates.band_rates`).
    bands
        The age bands (for their widths).

    Returns
    -------
    tuple
        The population at the end of the year before migration, births per quarter and
        deaths per quarter.
    """
    women = (
        population[:, rates.sexes.index("female"), :]
        if "female" in rates.sexes
        else population[:, 0, :] * rates.female_share
    )
    births = (women * rates.fertility[None, :]).sum(axis=1)
    survivors = population * rates.survival[None, :, :]
    deaths = (population - survivors).sum(axis=(1, 2))
    moving = survivors / _widths(bands)[None, None, :]  # 0 for the open band (1 / inf)
    after = survivors - moving
    after[:, :, 1:] += moving[:, :, :-1]
    newborns = births[:, None] * rates.birth_share[None, :] * rates.newborn_survival[None, :]
    after[:, :, 0] += newborns
    deaths = deaths + (births[:, None] * rates.birth_share[None, :]).sum(axis=1) - newborns.sum(1)
    return after, births, deaths


def step_year(
    population: FloatArray, rates: BandRates, bands: tuple[AgeBand, ...], migration: Migration
) -> Step:
    """One projection year: survival, ageing, births and net migration.

    Parameters
    ----------
    population
        ``P[q, s, b]`` at the start of the year (non-negative).
    rates
        Rates per band.
    bands
        The age bands.
    migration
        Net migration of the year.

    Returns
    -------
    Step
        The population at the end of the year (non-negative), births, deaths, net migration
        as applied and the persons cut off where migration would leave fewer than zero.
    """
    after, births, deaths = age_and_survive(population, rates, bands)
    moves = migration.absolute + migration.per_1000 / 1000.0 * after
    result = after + moves
    clipped = np.where(result < 0, -result, 0.0)
    result = np.maximum(result, 0.0)
    return Step(
        population=result,
        births=births,
        deaths=deaths,
        migration=(moves + clipped).sum(axis=(1, 2)),
        clipped=clipped.sum(axis=(1, 2)),
    )
