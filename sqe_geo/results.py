"""The result of a run: indicators of one study at every level, protected for publication.

:class:`Results` is what :func:`sqe_geo.pipeline.run` returns and what the CLI, the exports,
the maps and the app read: counts, values after disclosure control, their masks and status
codes, the data-quality report and the run's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import geopandas as gpd
import pandas as pd

from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport
from sqe_geo.stats.aggregate import Level
from sqe_geo.stats.indicators import Catalog
from sqe_geo.study import Study
from sqe_geo.study_access_years import AccessState

__all__ = ["Results"]


@dataclass
class Results:
    """Indicators of one study at every level.

    Attributes
    ----------
    study
        The loaded study.
    catalog
        The indicators computed for this study (expanded, inputs available).
    counts
        Level -> additive counts, index ``(unit_id, year)``.
    values
        Level -> indicator values after disclosure control, index ``(unit_id, year)``.
    suppressed
        Level -> boolean mask of values withheld by disclosure control (same shape).
    units
        Level -> table of units (``unit_id``, ``name``, and ``planning_area`` for quarters).
    report
        The data-quality report of loading and computing.
    parameters
        Parameters and provenance for metadata sheets: text, or a catalog
        :class:`~sqe_geo.i18n.messages.Message` rendered in the reader's language.
    status
        Level -> reason codes per cell, aligned with ``values``: ``""`` computed,
        ``"not_located"`` / ``"unreachable_share"`` not computed (the value is NaN),
        ``"partial"`` (a level computed from its computed quarters only),
        ``"approximation"`` (see :mod:`sqe_geo.stats.status`).
    withheld
        Level -> True where disclosure control withholds a count cell (columns: the
        protected count variables and residuals such as persons of unknown age). Every
        surface that shows a count asks :meth:`count` instead of reading ``counts``.
    access
        What the accessibility run computed, for scenarios to reuse (None without it).
    """

    study: Study
    catalog: Catalog
    counts: dict[Level, pd.DataFrame]
    values: dict[Level, pd.DataFrame]
    suppressed: dict[Level, pd.DataFrame]
    units: dict[Level, pd.DataFrame]
    report: QualityReport
    parameters: dict[str, str | Message] = field(default_factory=dict)
    origins: dict[int, gpd.GeoDataFrame] = field(default_factory=dict)
    distances: dict[int, pd.DataFrame] = field(default_factory=dict)
    status: dict[Level, pd.DataFrame] = field(default_factory=dict)
    withheld: dict[Level, pd.DataFrame] = field(default_factory=dict)
    access: AccessState | None = None

    def status_of(self, level: Level) -> pd.DataFrame:
        """Status codes of one level aligned with ``values`` (``""`` where computed)."""
        values = self.values[level]
        table = self.status.get(level)
        if table is None:
            return pd.DataFrame("", index=values.index, columns=values.columns, dtype=object)
        return table.reindex(index=values.index, columns=values.columns).fillna("")

    def count(self, level: Level, unit_id: str, year: int, variable: str) -> float | None:
        """A count cell as it may be published: None when withheld or never published.

        Parameters
        ----------
        level, unit_id, year
            The cell's unit.
        variable
            A count column, e.g. ``"oldest_old"``.

        Returns
        -------
        float or None
            The count, or None when disclosure control withholds it, or when the variable
            is not a protected (publishable) count of this study while control is on.
        """
        withheld = self.withheld.get(level)
        key = (unit_id, year)
        if (
            withheld is not None
            and self.study.config.disclosure.enabled
            and (variable not in withheld.columns or bool(withheld.at[key, variable]))
        ):
            return None
        # a cell of a count table: a number or NaN
        value = cast(
            "float | None",
            self.counts[level].at[key, variable] if variable in self.counts[level] else None,
        )
        return None if value is None or pd.isna(value) else float(value)

    @property
    def years(self) -> list[int]:
        """Years with results, ascending."""
        return self.study.years

    def table(self, level: Level, *, year: int | None = None, language: str = "de") -> pd.DataFrame:
        """One row per unit (and year) with names and indicator values.

        Parameters
        ----------
        level
            ``"quarter"``, ``"planning_area"`` or ``"city"``.
        year
            Restrict to one year; all years when None.
        language
            Column labels stay ids; names of units are the same in both languages.
        """
        values = self.values[level].reset_index()
        table = self.units[level].merge(values, on="unit_id", how="right")
        if year is not None:
            table = table[table["year"] == year]
        return table.reset_index(drop=True)

    def quarters_geo(self, year: int) -> gpd.GeoDataFrame:
        """Quarter geometries with that year's indicator values (analysis CRS)."""
        geo = self.study.quarters.rename(columns={"quarter_id": "unit_id"})
        values = self.values["quarter"].xs(year, level="year")
        return geo.merge(values, left_on="unit_id", right_index=True, how="left")

    def planning_areas_geo(self, year: int) -> gpd.GeoDataFrame:
        """Planning-area geometries (dissolved quarters) with that year's values."""
        geo = (
            self.study.quarters.dissolve("planning_area", sort=False)
            .reset_index()[["planning_area", "geometry"]]
            .rename(columns={"planning_area": "unit_id"})
        )
        geo["name"] = geo["unit_id"]
        values = self.values["planning_area"].xs(year, level="year")
        return geo.merge(values, left_on="unit_id", right_index=True, how="left")
