"""Loading a study: read, validate and reproject every input named in the study file.

:func:`load_study` returns a :class:`Study` with the quarters (and their planning area),
the canonical demographics table, the services and the data-quality report. The walking
network and the residents' locations are read by the accessibility step, which needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sqe_geo.config import StudyConfig, load_config
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport
from sqe_geo.study_demographics import read_demographics, read_grid_cells
from sqe_geo.study_quarters import read_quarters
from sqe_geo.study_services import check_service_extent, read_services


@dataclass
class Study:
    """A loaded study: validated inputs in the analysis CRS plus the data-quality report."""

    config: StudyConfig
    quarters: gpd.GeoDataFrame
    demographics: pd.DataFrame
    services: gpd.GeoDataFrame | None
    report: QualityReport = field(default_factory=QualityReport)
    grid_cells: gpd.GeoDataFrame | None = None

    @property
    def years(self) -> list[int]:
        """The years of the demographics, ascending."""
        return sorted(int(y) for y in self.demographics["year"].unique())

    @property
    def planning_areas(self) -> list[str]:
        """Planning-area names in order of first appearance."""
        return list(dict.fromkeys(self.quarters["planning_area"]))

    @property
    def age_groups(self) -> list[str]:
        """The age groups present in the demographics."""
        return [c for c in self.demographics.columns if c not in ("quarter_id", "year")]


def load_study(study: str | Path | StudyConfig) -> Study:
    """Load a study from its file (or an already validated config).

    Parameters
    ----------
    study
        Path of a TOML study file, or a :class:`~sqe_geo.config.StudyConfig`.

    Returns
    -------
    Study
        Quarters, demographics and services in the analysis CRS, and the data-quality
        report of everything that was matched loosely, repaired or left out.

    Raises
    ------
    SqeGeoError
        For every input a user has to fix (the message names file, column or key).
    """
    config = study if isinstance(study, StudyConfig) else load_config(study)
    report = QualityReport()
    quarters = read_quarters(config.quarters, config.planning_areas, config.analysis_crs, report)
    cells = read_grid_cells(config.population_grid, config.age_groups, quarters, report)
    demographics = read_demographics(
        config.demographics, config.age_groups, quarters, report, cells
    )
    services = read_services(config.services, config.analysis_crs, report)
    if services is not None:
        inside = services.sjoin(quarters[["geometry"]], predicate="within", how="left")
        outside = inside[~inside.index.duplicated()]["index_right"].isna()
        if outside.any():
            report.add(
                "service_outside_study_area",
                "services",
                Message("study.services.outside_study_area", n=int(outside.sum())),
                severity="info",
                items=services.loc[outside.to_numpy(), "service_id"],
            )
        check_service_extent(services, quarters, report)
    return Study(
        config=config, quarters=quarters, demographics=demographics, services=services,
        report=report, grid_cells=cells,
    )  # fmt: skip
