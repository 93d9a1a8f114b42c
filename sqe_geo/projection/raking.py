"""Raking a projection to an official municipal total, and rounding to whole persons.

:func:`rake` scales ``P[quarter, sex, band]`` so that all quarters together give the official
total of the year; when the official projection also gives totals per age band, iterative
proportional fitting alternates between the quarter totals (the projection's, scaled to the
official total) and the band totals until both hold. :func:`round_to_total` rounds to whole
persons by the largest-remainder method so that the rounded cells add up to a given whole
total exactly.
"""

from __future__ import annotations

import numpy as np

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.projection.model import FloatArray

__all__ = ["rake", "round_to_total"]

#: Iterative proportional fitting stops when every margin is within this many persons.
TOLERANCE = 1e-9
MAX_ITERATIONS = 1000


def rake(
    population: FloatArray, total: float, band_totals: FloatArray | None = None, *, year: int = 0
) -> FloatArray:
    """Scale a projected year so that the quarters sum to the official total.

    Parameters
    ----------
    population
        ``P[q, s, b]`` of one year.
    total
        The official municipal total of the year.
    band_totals
        Official totals per band (they must add up to ``total``), or None.
    year
        The year (for messages).

    Returns
    -------
    numpy.ndarray
        The raked population: its sum is ``total`` and, with ``band_totals``, its band sums
        are those totals.

    Raises
    ------
    InputDataError
        If the total is negative, the band totals do not add up to it, or the projection is
        empty where the official figures are not (nothing to scale).
    """
    if total < 0 or (band_totals is not None and (band_totals < 0).any()):
        raise InputDataError(Message("projection.official_negative", year=year))
    current = population.sum()
    if current <= 0:
        if total > 0:
            raise InputDataError(Message("projection.nothing_to_rake", year=year))
        return population.copy()
    raked: FloatArray = population * (total / current)
    if band_totals is None:
        return raked
    if abs(float(band_totals.sum()) - total) > 0.5:
        raise InputDataError(
            Message(
                "projection.official_bands_sum",
                year=year,
                bands=f"{band_totals.sum():.0f}",
                total=f"{total:.0f}",
            )
        )
    quarter_targets = raked.sum(axis=(1, 2))
    band_sums = population.sum(axis=(0, 1))
    if ((band_sums <= 0) & (band_totals > 0)).any():
        raise InputDataError(Message("projection.nothing_to_rake", year=year))
    for _ in range(MAX_ITERATIONS):
        bands = raked.sum(axis=(0, 1))
        raked = raked * np.divide(band_totals, bands, out=np.zeros_like(bands), where=bands > 0)
        quarters = raked.sum(axis=(1, 2))
        factor = np.divide(quarter_targets, quarters, out=np.zeros_like(quarters),
                           where=quarters > 0)  # fmt: skip
        raked = raked * factor[:, None, None]
        if np.abs(raked.sum(axis=(0, 1)) - band_totals).max() < TOLERANCE:
            break
    # the last step matched the quarters, whose targets sum to the total
    final: FloatArray = raked * (total / raked.sum())
    return final


def round_to_total(values: FloatArray, total: int) -> FloatArray:
    """Round non-negative values to whole numbers that add up to ``total`` exactly.

    Largest-remainder method: every value is rounded down, and the persons still missing go
    to the values with the largest remainders (ties: the first in order). Values are never
    made negative.

    Parameters
    ----------
    values
        Non-negative values of any shape whose sum is close to ``total``.
    total
        The whole number the rounded values must add up to.

    Returns
    -------
    numpy.ndarray
        Whole numbers (as floats), same shape.

    Examples
    --------
    >>> round_to_total(np.array([1.5, 1.5, 1.0]), 4).tolist()
    [2.0, 1.0, 1.0]
    """
    flat = np.maximum(values.ravel(), 0.0)
    floor = np.floor(flat)
    # remainders equal up to float noise (20.4 - 20 vs 15.4 - 15) count as ties: first wins
    remainder = np.round(flat - floor, 9)
    missing = int(total - floor.sum())
    if missing > 0:
        order = np.argsort(-remainder, kind="stable")
        floor[order[: min(missing, len(flat))]] += 1
        if missing > len(flat):  # far from the total: spread the rest in proportion
            floor[np.argmax(flat)] += missing - len(flat)
    elif missing < 0:
        order = np.argsort(remainder, kind="stable")
        for i in order:
            if missing == 0:
                break
            take = min(int(floor[i]), -missing)
            floor[i] -= take
            missing += take
    return floor.reshape(values.shape)
