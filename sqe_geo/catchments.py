"""Walking catchments of a study: bands around a point with the residents inside them.

:func:`study_catchments` takes a point (a facility, a clicked place) in any CRS, builds the
areas reachable on foot within each band of minutes over the study's walking network at the
study's walking speed (:mod:`sqe_geo.access.isochrones`), and counts the residents (total,
65+, 80+) whose location lies inside.

Disclosure control applies: a catchment can be drawn anywhere, so its counts are a finer
geography than the quarters. With disclosure control on, the counts are rounded half up to
multiples of :data:`ROUND_TO` and counts below it are not given (NaN, noted); differences
of two published bands are then uncertain by at least ± 5, beyond the protection level of 3.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
from pyproj import Transformer

from sqe_geo._errors import InputDataError
from sqe_geo.access.isochrones import residents_in, walking_catchments
from sqe_geo.access.study_origins import study_network
from sqe_geo.i18n.formatting import format_number, round_half_up
from sqe_geo.i18n.messages import Message, current_language, text
from sqe_geo.quality import QualityReport
from sqe_geo.results import Results

__all__ = [
    "COUNTED", "ROUND_TO", "catchment_note", "count_text", "disclose_area_counts",
    "study_catchments",
]  # fmt: skip

#: The groups counted in every band.
COUNTED = ("total", "older", "oldest_old")
#: Counts of a catchment are published in steps of this size (disclosure control on).
ROUND_TO = 10


def disclose_area_counts(counts: pd.DataFrame, enabled: bool) -> pd.DataFrame:
    """Counts of free-form areas as they may be published.

    Parameters
    ----------
    counts
        Exact counts (one row per area).
    enabled
        Whether the study's disclosure control is on; off gives the counts rounded to
        whole persons.

    Returns
    -------
    pandas.DataFrame
        Rounded half up to multiples of :data:`ROUND_TO`, NaN below it (disclosure control
        on); whole persons otherwise.

    Examples
    --------
    >>> disclose_area_counts(pd.DataFrame({"older": [4.0, 15.0, 1234.4]}), True)["older"].tolist()
    [nan, 20.0, 1230.0]
    """
    if not enabled:
        return counts.apply(lambda column: round_half_up(column, 0))
    rounded = counts.apply(lambda column: round_half_up(column / ROUND_TO, 0) * ROUND_TO)
    return rounded.where(counts >= ROUND_TO)


def count_text(value: object, language: str | None = None) -> str:
    """A disclosed count for people: the number, or "fewer than 10" where it is not given.

    >>> count_text(1230.0, "de"), count_text(float("nan"), "en")
    ('1.230', 'fewer than 10')
    """
    lang = language if language is not None else current_language()
    if pd.isna(value):  # type: ignore[call-overload]
        return text("study.catchment.few", lang, step=ROUND_TO)
    return format_number(value, 0, lang)


def catchment_note(disclosure: bool, language: str | None = None) -> str:
    """What the residents' counts of a catchment are: rounded (disclosure control) or exact.

    Parameters
    ----------
    disclosure
        Whether the study's disclosure control is on.
    language
        ``"de"`` or ``"en"`` (default: the current language).
    """
    key = "note_rounded" if disclosure else "note_exact"
    return text(f"study.catchment.{key}", language, step=ROUND_TO)


def study_catchments(
    results: Results,
    point: tuple[float, float],
    *,
    minutes: Sequence[float] = (5.0, 10.0, 15.0),
    crs: object | None = None,
    year: int | None = None,
) -> gpd.GeoDataFrame:
    """The walking catchments of a point with the residents inside each band.

    Parameters
    ----------
    results
        The study's results (its residents' locations per year).
    point
        ``(x, y)``; in ``crs`` (e.g. ``EPSG:4326`` as longitude, latitude), else in the
        study's analysis CRS.
    minutes
        The bands (cumulative).
    crs
        The CRS of ``point``.
    year
        The year of the residents (default: the latest with residents' locations).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per band in the analysis CRS: ``minutes``, ``distance_m``, ``reached_m``,
        ``residents_total``, ``residents_older``, ``residents_oldest_old`` (disclosed, see
        :func:`disclose_area_counts`), ``year`` and ``note``.

    Raises
    ------
    InputDataError
        The study has no walking network or no residents' locations, the year has none, or
        the point lies off the network.
    """
    config = results.study.config
    if config.network is None:
        raise InputDataError(Message("study.catchment.no_network"))
    if not results.origins:
        raise InputDataError(Message("study.catchment.no_origins"))
    year = max(results.origins) if year is None else int(year)
    if year not in results.origins:
        years = ", ".join(str(y) for y in sorted(results.origins))
        raise InputDataError(Message("study.catchment.no_year", year=year, years=years))
    xy = point
    if crs is not None:
        to_analysis = Transformer.from_crs(crs, config.analysis_crs, always_xy=True)
        xy = to_analysis.transform(*point)
    network = study_network(config.network, config.analysis_crs, QualityReport())
    assert network is not None  # config.network is set
    access = config.accessibility
    bands = walking_catchments(
        network,
        (float(xy[0]), float(xy[1])),
        minutes,
        speed_mps=access.walking_speed_mps,
        max_snap_m=access.max_snap_m,
    )
    origins = results.origins[year].to_crs(bands.crs)
    counts = residents_in(bands, origins, COUNTED)
    shown = disclose_area_counts(counts.astype(float), config.disclosure.enabled)
    for column in COUNTED:
        bands[f"residents_{column}"] = shown[column].to_numpy(dtype=float)
    bands["year"] = year
    bands["note"] = catchment_note(config.disclosure.enabled)
    return bands[[c for c in bands.columns if c != "geometry"] + ["geometry"]]
