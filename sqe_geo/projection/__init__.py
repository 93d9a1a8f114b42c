"""Small-area population projection per quarter (cohort-component method).

Per quarter, sex (where the data has it) and age band, year by year: survival from a life
table, ageing on, births from age-specific fertility, and net migration from the quarters'
own history or from rates the study supplies; low / main / high migration variants; optional
raking to the municipality's official projected total. Projected counts are model output,
never published counts: :func:`projected_demographics` rounds them to whole persons and marks
every row as "Prognose" with its variant.

>>> from sqe_geo.projection import load_rates
>>> rates = load_rates()
>>> round(float(rates.fertility.sum()), 2)  # total fertility rate of the shipped table
1.35
"""

from sqe_geo.projection.migration import VARIANTS, migration_from_history, migration_from_table
from sqe_geo.projection.model import Migration, Step, age_and_survive, step_year
from sqe_geo.projection.projection import (
    DEFAULT_TARGET_YEAR,
    OfficialTotal,
    ProjectionModel,
    band_column,
    project,
    reported_years,
)
from sqe_geo.projection.raking import rake, round_to_total
from sqe_geo.projection.rates import AgeBand, BandRates, Rates, band_rates, load_rates, parse_bands
from sqe_geo.projection.tables import (
    ProjectionBase,
    base_from_bands,
    base_from_demographics,
    projected_demographics,
)

__all__ = [
    "DEFAULT_TARGET_YEAR",
    "VARIANTS",
    "AgeBand",
    "BandRates",
    "Migration",
    "OfficialTotal",
    "ProjectionBase",
    "ProjectionModel",
    "Rates",
    "Step",
    "age_and_survive",
    "band_column",
    "band_rates",
    "base_from_bands",
    "base_from_demographics",
    "load_rates",
    "migration_from_history",
    "migration_from_table",
    "parse_bands",
    "project",
    "projected_demographics",
    "rake",
    "reported_years",
    "round_to_total",
    "step_year",
]
