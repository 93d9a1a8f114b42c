"""Best new locations for a study: where ``k`` new facilities of a category help most.

:func:`study_locations` takes the study's residents' locations (their older residents as
weights), its facilities of the category (locked in) and candidate sites — points of a file,
or the residents' locations inside a quarter or planning area — and solves the maximal
covering problem over the walking network at the category's threshold
(:mod:`sqe_geo.access.locations`) — or, with capacities (care homes), the capacitated
covering problem (:mod:`sqe_geo.access.capacitated`), or with ``objective="median"`` the
p-median: the least total walking distance of the older residents, walks longer than the
cut-off counted as the cut-off (:mod:`sqe_geo.access.p_median`).

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
from sqe_geo.access.capacitated import capacitated_covering
from sqe_geo.access.locations import (
    Coverage,
    LocationChoice,
    coverage_matrix,
    maximal_covering,
    site_distances,
)
from sqe_geo.access.p_median import MedianChoice, p_median
from sqe_geo.access.snapping import snap_points
from sqe_geo.access.study_origins import study_network
from sqe_geo.catchments import disclose_area_counts
from sqe_geo.i18n.formatting import round_half_up
from sqe_geo.i18n.messages import Message
from sqe_geo.io.layers import read_vector
from sqe_geo.quality import QualityReport
from sqe_geo.results import Results
from sqe_geo.study_access import thresholds_m

__all__ = ["OBJECTIVES", "LocationRequest", "study_locations"]

#: What the sites optimise: older residents within the threshold, or their total walk.
OBJECTIVES = ("coverage", "median")


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
    objective
        ``"coverage"``: most older residents within the category's threshold (maximal
        covering); ``"median"``: least total walking distance of the older residents to the
        nearest facility (p-median).
    capacity
        Places of every new site (coverage only): a site covers at most this many older
        residents, the existing facilities at most their ``capacity`` (missing: no limit).
    capacity_column
        Column of the candidates file with each site's places (coverage only).
    cutoff_m
        p-median: walks longer than this count as this (the penalty distance; default twice
        the category's threshold; at least the threshold).
    """

    category: str
    k: int = 1
    candidates: Path | None = None
    within: str | None = None
    group: str = "older"
    year: int | None = None
    objective: str = "coverage"
    capacity: float | None = None
    capacity_column: str | None = None
    cutoff_m: float | None = None

    @property
    def capacitated(self) -> bool:
        """Whether sites cover at most their places."""
        return self.capacity is not None or self.capacity_column is not None


def _places(points: gpd.GeoDataFrame, request: LocationRequest) -> np.ndarray:
    """Places per candidate of the file (the request's capacity, its column, or no limit)."""
    column = request.capacity_column
    if column is None:
        return np.full(len(points), np.nan if request.capacity is None else request.capacity)
    if column not in points.columns:
        columns = ", ".join(c for c in points.columns if c != "geometry")
        raise InputDataError(
            Message(
                "study.locate.no_capacity_column",
                file=str(request.candidates),
                column=column,
                columns=columns,
            )
        )
    places = np.asarray(pd.to_numeric(points[column], errors="coerce"), dtype=float)
    bad = np.flatnonzero(~(places >= 0))
    if bad.size:
        rows = ", ".join(str(r + 1) for r in bad[:10])
        raise InputDataError(
            Message(
                "study.locate.bad_capacity",
                file=str(request.candidates),
                column=column,
                n=int(bad.size),
                rows=rows,
            )
        )
    return places


def _candidates(
    results: Results, request: LocationRequest, origins: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of the candidate sites (analysis CRS) and their places (NaN: no limit)."""
    if request.candidates is not None:
        points = read_vector(
            request.candidates, target_crs=results.study.config.analysis_crs, what="candidates"
        )
        xy = np.asarray(shapely.get_coordinates(points.geometry.representative_point()))
        return xy, _places(points, request)
    if request.capacity_column is not None:
        raise InputDataError(
            Message("study.locate.capacity_column_needs_file", column=request.capacity_column)
        )
    chosen = origins
    if request.within is not None:
        quarters = results.units["quarter"]
        in_area = quarters.loc[quarters["planning_area"] == request.within, "unit_id"]
        ids = set(in_area) | ({request.within} & set(quarters["unit_id"]))
        if not ids:
            raise InputDataError(Message("study.locate.unknown_unit", unit=request.within))
        chosen = origins[origins["quarter_id"].isin(ids)]
    places = np.full(len(chosen), np.nan if request.capacity is None else request.capacity)
    return np.asarray(shapely.get_coordinates(chosen.geometry.to_numpy())), places


def _check(results: Results, request: LocationRequest) -> int:
    """The year to use; a user error for anything the study cannot answer."""
    config = results.study.config
    if config.network is None or not results.origins:
        raise InputDataError(Message("study.locate.no_network"))
    if (
        results.study.services is None
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
    if request.objective not in OBJECTIVES or (
        request.objective == "median" and request.capacitated
    ):
        raise InputDataError(
            Message(
                "study.locate.bad_objective",
                objective=request.objective,
                known=", ".join(OBJECTIVES),
            )
        )
    return year


def study_locations(results: Results, request: LocationRequest) -> gpd.GeoDataFrame:
    """The best new sites of one category for a study.

    Parameters
    ----------
    results
        The study's results (residents' locations per year).
    request
        Category, number of sites, candidates, group, year, objective and capacities.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site in the order of its gain: ``rank``, ``gain`` (the group's residents
        it adds within the threshold — with ``objective="median"``: whose nearest facility
        it becomes —, disclosed), ``method`` (``exact``/``greedy``), ``gap`` and the point;
        p-median also ``saved_km`` (the group's walking it saves, person-km; not given where
        ``gain`` is not). ``.attrs``: ``covered_before`` and ``covered_after`` (disclosed),
        ``objective``, ``capacitated``, ``existing_without_capacity`` (existing facilities
        without places, taken as unlimited); p-median also ``cutoff_m``,
        ``mean_distance_before_m``, ``mean_distance_after_m`` and ``beyond_before``,
        ``beyond_after`` (residents farther than the cut-off, disclosed).

    Raises
    ------
    InputDataError
        No network, no residents' locations, an unknown category, group, year, unit or
        objective, capacities with the p-median, or a bad capacity column.
    """
    year = _check(results, request)
    config = results.study.config
    services = results.study.services
    assert services is not None and config.network is not None
    origins = results.origins[year]
    network = study_network(config.network, config.analysis_crs, QualityReport())
    assert network is not None
    threshold = thresholds_m(config, [request.category])[request.category]
    snapped = snap_points(network, shapely.get_coordinates(origins.geometry.to_numpy()))
    mine = services.loc[services["category"] == request.category]
    existing_xy = shapely.get_coordinates(mine.geometry.to_numpy())
    candidates_xy, places = _candidates(results, request, origins)
    weight = np.nan_to_num(origins[request.group].to_numpy(dtype=float))
    disclosure = config.disclosure.enabled
    if request.objective == "median":
        cutoff = 2.0 * threshold if request.cutoff_m is None else float(request.cutoff_m)
        if cutoff < threshold:
            raise InputDataError(
                Message("study.locate.short_cutoff", cutoff=cutoff, threshold=threshold)
            )
        median = p_median(
            site_distances(network, snapped, existing_xy, cutoff),
            site_distances(network, snapped, candidates_xy, cutoff),
            np.where(snapped.snapped, weight, 0.0),
            request.k,
        )
        existing = coverage_matrix(network, snapped, existing_xy, threshold)
        candidates = coverage_matrix(network, snapped, candidates_xy[median.sites], threshold)
        sites = _median_sites(
            median, (existing, candidates), weight, candidates_xy, disclosure, origins.crs
        )
    else:
        existing = coverage_matrix(network, snapped, existing_xy, threshold)
        candidates = coverage_matrix(network, snapped, candidates_xy, threshold)
        if request.capacitated:
            existing_places = _existing_places(mine).to_numpy(dtype=float)
            choice = capacitated_covering(
                existing, existing_places, candidates, places, weight, request.k
            )
        else:
            choice = maximal_covering(existing, candidates, weight, request.k)
        sites = _sites(choice, candidates_xy, disclosure, origins.crs)
    sites.attrs["objective"] = request.objective
    sites.attrs["capacitated"] = request.capacitated
    unlimited = _existing_places(mine).isna().sum() if request.capacitated else 0
    sites.attrs["existing_without_capacity"] = int(unlimited)
    return sites


def _existing_places(services: pd.DataFrame) -> pd.Series:
    """Places of the existing facilities (NaN where not given: no limit)."""
    if "capacity" not in services.columns:
        return pd.Series(np.nan, index=services.index)
    return pd.to_numeric(services["capacity"], errors="coerce")


def _median_sites(
    median: MedianChoice,
    coverage: tuple[Coverage, Coverage],
    weight: np.ndarray,
    xy: np.ndarray,
    disclosure: bool,
    crs: object,
) -> gpd.GeoDataFrame:
    """The p-median sites with the residents they serve, the walking saved and the totals."""
    existing, chosen = coverage
    covered = np.asarray(existing.matrix.sum(axis=1)).ravel() > 0
    reached = covered | (np.asarray(chosen.matrix.sum(axis=1)).ravel() > 0)
    before, after = float(weight[covered].sum()), float(weight[reached].sum())
    choice = LocationChoice(median.sites, median.served, before, after, median.method, median.gap)
    sites = _sites(choice, xy, disclosure, crs)
    saved = round_half_up(pd.Series(median.savings, dtype=float) / 1000.0, 0).to_numpy()
    sites["saved_km"] = np.where(sites["gain"].isna(), np.nan, saved)
    counted = max(median.weight, 1e-12)
    sites.attrs["cutoff_m"] = median.cutoff_m
    sites.attrs["mean_distance_before_m"] = round(median.distance_before / counted)
    sites.attrs["mean_distance_after_m"] = round(median.distance_after / counted)
    beyond = pd.DataFrame({"n": [median.beyond_before, median.beyond_after]})
    sites.attrs["beyond_before"], sites.attrs["beyond_after"] = disclose_area_counts(
        beyond, disclosure
    )["n"].tolist()
    return sites


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
