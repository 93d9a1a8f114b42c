"""Best new locations for a study: where ``k`` new facilities of a category help most.

:func:`study_locations` takes the study's residents' locations (their older residents as
weights), its facilities of the category (locked in) and candidate sites — points of a file,
or the residents' locations inside a quarter or planning area — and solves the maximal
covering problem over the walking network at the category's threshold
(:mod:`sqe_geo.access.locations`).

The residents a site gains are counts over a free-form area: with disclosure control on they
are rounded to multiples of 10 and fewer than 10 are not given, as for walking catchments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo._errors import InputDataError
from sqe_geo.access.locations import LocationChoice, coverage_matrix, maximal_covering
from sqe_geo.access.snapping import snap_points
from sqe_geo.access.study_origins import study_network
from sqe_geo.catchments import disclose_area_counts
from sqe_geo.i18n.messages import Message
from sqe_geo.io.layers import read_vector
from sqe_geo.quality import QualityReport
from sqe_geo.results import Results
from sqe_geo.study_access import thresholds_m

__all__ = ["LocationRequest", "study_locations"]


@dataclass(frozen=True)
class LocationRequest:
    """What to choose.

    Attributes
    ----------
    category
        The service category (e.g. ``"pharmacy"``).
    k
        Number of new sites.
    candidates
        A point file of candidate sites, or None to use the residents' locations of ``within``.
    within
        A quarter id or planning-area name whose residents' locations are the candidates
        (None: the whole city).
    group
        Whose coverage counts: ``"older"`` (65+) or ``"oldest_old"`` (80+).
    year
        Year of the residents (default: the latest with residents' locations).
    """

    category: str
    k: int = 1
    candidates: Path | None = None
    within: str | None = None
    group: str = "older"
    year: int | None = None


def _candidates(
    results: Results, request: LocationRequest, origins: gpd.GeoDataFrame
) -> np.ndarray:
    """Coordinates of the candidate sites (analysis CRS)."""
    if request.candidates is not None:
        points = read_vector(
            request.candidates, target_crs=results.study.config.analysis_crs, what="candidates"
        )
        return np.asarray(shapely.get_coordinates(points.geometry.representative_point()))
    chosen = origins
    if request.within is not None:
        quarters = results.units["quarter"]
        in_area = quarters.loc[quarters["planning_area"] == request.within, "unit_id"]
        ids = set(in_area) | ({request.within} & set(quarters["unit_id"]))
        if not ids:
            raise InputDataError(Message("study.locate.unknown_unit", unit=request.within))
        chosen = origins[origins["quarter_id"].isin(ids)]
    return np.asarray(shapely.get_coordinates(chosen.geometry.to_numpy()))


def study_locations(results: Results, request: LocationRequest) -> gpd.GeoDataFrame:
    """The best new sites of one category for a study.

    Parameters
    ----------
    results
        The study's results (residents' locations per year).
    request
        Category, number of sites, candidates, group and year.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site in the order of its gain: ``rank``, ``gain`` (the group's residents
        it adds, disclosed), ``method`` (``exact``/``greedy``), ``gap`` and the point; the
        attributes ``covered_before`` and ``covered_after`` (disclosed) are in ``.attrs``.

    Raises
    ------
    InputDataError
        No network, no residents' locations, an unknown category, group, year or unit.
    """
    config = results.study.config
    services = results.study.services
    if config.network is None or not results.origins:
        raise InputDataError(Message("study.locate.no_network"))
    if (
        services is None
        or config.services is None
        or request.category not in config.services.categories
    ):
        known = ", ".join(config.services.categories) if config.services else ""
        raise InputDataError(
            Message("study.locate.unknown_category", category=request.category, known=known)
        )
    year = max(results.origins) if request.year is None else request.year
    if year not in results.origins or request.group not in ("older", "oldest_old"):
        raise InputDataError(
            Message("study.locate.bad_year_or_group", year=year, group=request.group)
        )
    origins = results.origins[year]
    network = study_network(config.network, config.analysis_crs, QualityReport())
    assert network is not None
    threshold = thresholds_m(config, [request.category])[request.category]
    snapped = snap_points(network, shapely.get_coordinates(origins.geometry.to_numpy()))
    existing_xy = shapely.get_coordinates(
        services.loc[services["category"] == request.category].geometry.to_numpy()
    )
    candidates_xy = _candidates(results, request, origins)
    existing = coverage_matrix(network, snapped, existing_xy, threshold)
    candidates = coverage_matrix(network, snapped, candidates_xy, threshold)
    choice = maximal_covering(existing, candidates, origins[request.group].to_numpy(), request.k)
    return _sites(choice, candidates_xy, config.disclosure.enabled, origins.crs)


def _sites(
    choice: LocationChoice, xy: np.ndarray, disclosure: bool, crs: object
) -> gpd.GeoDataFrame:
    gains = disclose_area_counts(pd.DataFrame({"gain": choice.gains}, dtype=float), disclosure)
    covered = disclose_area_counts(
        pd.DataFrame({"n": [choice.covered_before, choice.covered_after]}), disclosure
    )["n"].tolist()
    sites = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(choice.sites) + 1),
            "gain": gains["gain"].to_numpy(),
            "method": choice.method,
            "gap": choice.gap,
        },
        geometry=gpd.points_from_xy(xy[choice.sites, 0], xy[choice.sites, 1])
        if choice.sites
        else [],
        crs=crs,
    )
    sites.attrs["covered_before"], sites.attrs["covered_after"] = covered
    return sites
