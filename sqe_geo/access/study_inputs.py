"""What the accessibility of a study needs: its data and the parts of its configuration.

:mod:`sqe_geo.pipeline` builds :class:`AccessInputs` and :class:`AccessSettings` from the
study and passes them to :func:`sqe_geo.study_access.accessibility_counts`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from sqe_geo.access.coverage import more_key
from sqe_geo.config import AccessibilityConfig, StudyConfig
from sqe_geo.config_layers import NetworkConfig, PopulationGridConfig, ServicesConfig

__all__ = ["AccessInputs", "AccessSettings", "category_thresholds", "more_thresholds"]


@dataclass(frozen=True)
class AccessInputs:
    """The data of a study that accessibility needs (all in the analysis CRS).

    Attributes
    ----------
    quarters
        Quarters with ``quarter_id``, ``name``, ``planning_area`` and geometry.
    demographics
        Resident counts per ``quarter_id`` and ``year``.
    services
        Services with ``service_id``, ``category`` and (capacity categories) ``capacity``.
    grid_cells
        Zensus grid cells read with the study, if any.
    """

    quarters: gpd.GeoDataFrame
    demographics: pd.DataFrame
    services: gpd.GeoDataFrame
    grid_cells: gpd.GeoDataFrame | None = None


@dataclass(frozen=True)
class AccessSettings:
    """The parts of the study configuration that accessibility needs.

    Attributes
    ----------
    accessibility
        The ``[accessibility]`` section.
    services
        The ``[services]`` section (categories, thresholds, capacities).
    population_grid
        The ``[population_grid]`` section (``None``: no residents' locations).
    network
        The ``[network]`` section (``None``: straight-line distances).
    analysis_crs
        The metric CRS of the analysis.
    """

    accessibility: AccessibilityConfig
    services: ServicesConfig
    population_grid: PopulationGridConfig | None = None
    network: NetworkConfig | None = None
    analysis_crs: str = "EPSG:25832"

    @classmethod
    def from_config(cls, config: StudyConfig) -> AccessSettings:
        """The accessibility parts of a study configuration (which must name services).

        Parameters
        ----------
        config
            The study configuration.

        Returns
        -------
        AccessSettings
        """
        assert config.services is not None, "accessibility needs a [services] section"
        return cls(
            accessibility=config.accessibility,
            services=config.services,
            population_grid=config.population_grid,
            network=config.network,
            analysis_crs=config.analysis_crs,
        )


def category_thresholds(
    services: ServicesConfig, walking_speed_mps: float, categories: list[str]
) -> dict[str, float]:
    """Coverage threshold per category in metres (minutes converted at walking speed).

    Parameters
    ----------
    services
        The ``[services]`` section with the categories.
    walking_speed_mps
        Walking speed in metres per second.
    categories
        Category keys.

    Returns
    -------
    dict
        Threshold in metres per category (1000 m when the category names none).
    """
    out = {}
    for key in categories:
        cat = services.categories[key]
        if cat.threshold_min is not None:
            out[key] = cat.threshold_min * 60.0 * walking_speed_mps
        else:
            out[key] = cat.threshold_m if cat.threshold_m is not None else 1000.0
    return out


def more_thresholds(services: ServicesConfig, categories: list[str]) -> dict[str, float]:
    """Further coverage thresholds of the categories under their own count keys.

    Parameters
    ----------
    services
        The ``[services]`` section with the categories.
    categories
        Category keys.

    Returns
    -------
    dict
        Threshold in metres per key (``"transit_stop_500m"``, see
        :func:`~sqe_geo.access.coverage.more_key`).
    """
    return {more_key(c, m): m for c in categories for m in services.categories[c].more_thresholds_m}
