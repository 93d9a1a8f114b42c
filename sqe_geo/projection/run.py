"""One projection of a study's demographics: the steps in order, data in and data out.

:func:`run_projection` takes the canonical demographics table and the age groups (what a
loaded study holds) and the :class:`ProjectionOptions`, and returns the projected
demographics table (whole persons, "Prognose" and the variant in every row) together with
what a reader must know about it: where migration came from, persons cut off at zero, the gap
between published totals and the bands, and the sources of the rates. The CLI
(``sqe-geo project``) and, later, the pipeline and the app call this one function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Language, Message
from sqe_geo.projection.inputs import read_migration_rates, read_official_totals
from sqe_geo.projection.migration import (
    VARIANTS,
    migration_from_history,
    migration_from_table,
)
from sqe_geo.projection.projection import (
    DEFAULT_TARGET_YEAR,
    ProjectionModel,
    project,
)
from sqe_geo.projection.rates import band_rates, load_rates
from sqe_geo.projection.tables import base_from_demographics, projected_demographics
from sqe_geo.quality import QualityReport

__all__ = ["ProjectionOptions", "ProjectionRun", "run_projection"]


@dataclass(frozen=True)
class ProjectionOptions:
    """Settings of a projection (defaults: to 2040, yearly, main variant, shipped rates).

    ``migration`` is a table of rates per 1,000 (else the study's history is used);
    ``official`` a table of the municipality's projected totals to rake to; ``damping`` a
    factor on the migration observed in the history.
    """

    target_year: int = DEFAULT_TARGET_YEAR
    step: int = 1
    variants: tuple[str, ...] = ("main",)
    base_year: int | None = None
    migration: Path | None = None
    official: Path | None = None
    survival: Path | None = None
    fertility: Path | None = None
    damping: float = 1.0


@dataclass
class ProjectionRun:
    """The projected demographics table and the notes that belong with it."""

    table: pd.DataFrame
    base_year: int
    bands: tuple[str, ...]
    notes: list[Message] = field(default_factory=list)
    report: QualityReport = field(default_factory=QualityReport)


def run_projection(
    demographics: pd.DataFrame,
    age_groups: Mapping[str, str],
    options: ProjectionOptions,
    *,
    language: Language = "de",
) -> ProjectionRun:
    """Project a study's demographics per quarter.

    Parameters
    ----------
    demographics
        Canonical table (``quarter_id``, ``year``, ``total``, age groups).
    age_groups
        Age group → range text.
    options
        Horizon, step, variants, base year and the optional input tables.
    language
        Language of the ``kind`` column.

    Returns
    -------
    ProjectionRun
        The demographics table of the projected years and the notes.

    Raises
    ------
    InputDataError
        If the base year is not in the data, a variant is unknown, migration cannot be
        derived or an input table is wrong.
    """
    for variant in options.variants:
        if variant not in VARIANTS:
            raise InputDataError(
                Message("projection.variant_unknown", variant=variant, known=", ".join(VARIANTS))
            )
    base = base_from_demographics(demographics, age_groups)
    years = sorted(base.history)
    base_year = options.base_year if options.base_year is not None else years[-1]
    if base_year not in base.history:
        raise InputDataError(
            Message(
                "projection.base_year_missing", year=base_year, years=", ".join(map(str, years))
            )
        )
    rates = load_rates(options.survival, options.fertility)
    per_band = band_rates(rates, base.bands, base.sexes)
    run = ProjectionRun(pd.DataFrame(), base_year, tuple(b.label for b in base.bands))
    if options.migration is not None:
        table = read_migration_rates(options.migration, run.report)
        migration = migration_from_table(
            table, base.quarters, per_band.sexes, base.bands, source=options.migration.name
        )
        run.notes.append(
            Message("projection.cli.migration_source_table", path=options.migration.name)
        )
    else:
        past = {y: v for y, v in base.history.items() if y <= base_year}
        migration = migration_from_history(past, per_band, base.bands, damping=options.damping)
        years_text = ", ".join(map(str, sorted(past)))
        run.notes.append(Message("projection.cli.migration_source_history", years=years_text))
    official = (
        read_official_totals(options.official, base.bands, run.report)
        if options.official is not None
        else None
    )
    model = ProjectionModel(per_band, base.bands, migration)
    projection = project(
        base.history[base_year], base.quarters, base_year, model=model,
        target_year=options.target_year, step=options.step, official=official,
        variants=options.variants,
    )  # fmt: skip
    run.table = projected_demographics(
        projection, base.bands, age_groups, language=language, official=official
    )
    clipped = projection[projection["clipped"] > 0]
    if len(clipped):
        run.notes.append(
            Message(
                "projection.cli.clipped", n=len(clipped), persons=round(clipped["clipped"].sum())
            )
        )
    gap = base.total_gap.get(base_year, 0.0)
    if abs(gap) >= 0.5:
        run.notes.append(
            Message("projection.cli.total_gap", year=base_year, gap=f"{round(gap):+d}")
        )
    run.notes.append(Message("projection.cli.rates_note", sources="; ".join(rates.sources)))
    if not rates.verified:
        run.notes.append(Message("projection.cli.rates_unverified"))
    return run
