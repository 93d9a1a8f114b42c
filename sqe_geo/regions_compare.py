"""Current planning areas beside a proposal: totals, spread and compactness per area.

:func:`compare_areas` puts a mapping table of quarters to planning areas (a proposal of
:func:`sqe_geo.regions.propose_areas`, or any other) beside the study's current areas;
:func:`mapping_csv` writes the table as a study's ``[planning_areas]`` file.

Counts and disclosure
---------------------
The exact counts per quarter only enter as sums per area. The areas of a proposal are new,
free-form units, so every count shown per area (:func:`compare_areas`) is disclosed like
the counts of a catchment (:func:`sqe_geo.catchments.disclose_area_counts`: multiples of
10, none below 10, with disclosure control on) — for the current areas too, so that both
sides are comparable; the spread (max/min, coefficient of variation) is computed from the
disclosed totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError, listing
from sqe_geo.catchments import disclose_area_counts
from sqe_geo.i18n.messages import Message, text
from sqe_geo.regions import need_score, quarter_counts, study_year
from sqe_geo.results import Results

__all__ = [
    "SHOWN_COUNTS",
    "AreaComparison",
    "compare_areas",
    "labelled",
    "mapping_csv",
    "polsby_popper",
]

#: Counts shown per area in the comparison (those the study has).
SHOWN_COUNTS = ("total", "older", "oldest_old")
#: Decimals of the measures in tables for people.
DECIMALS = {"max_min": 2, "cv": 3, "polsby_popper": 2}


def polsby_popper(geometry: gpd.GeoSeries) -> np.ndarray:
    """Compactness 4πA/P² per polygon: 1 for a circle, about 0.785 for a square.

    >>> import shapely
    >>> polsby_popper(gpd.GeoSeries([shapely.box(0, 0, 1, 1)])).round(3).tolist()
    [0.785]
    """
    return np.asarray(4 * np.pi * geometry.area / geometry.length**2, dtype=float)


@dataclass
class AreaComparison:
    """The current planning areas beside a proposal.

    Attributes
    ----------
    areas
        One row per area and scheme (``current``, ``proposal``): ``scheme``,
        ``planning_area``, ``quarters`` (number), the disclosed counts, ``need`` (the
        balanced score, disclosed) and ``polsby_popper``.
    spread
        One row per scheme: ``areas``, ``max_min`` (largest over smallest need),
        ``cv`` (coefficient of variation of the need), ``polsby_popper`` (mean).
    geometry
        The dissolved areas of both schemes (``scheme``, ``planning_area``).
    """

    areas: pd.DataFrame
    spread: pd.DataFrame
    geometry: gpd.GeoDataFrame


def compare_areas(
    results: Results,
    mapping: pd.DataFrame,
    *,
    balance: Mapping[str, float] | None = None,
    year: int | None = None,
) -> AreaComparison:
    """Per-area totals, spread and compactness of the current areas and a proposal.

    Parameters
    ----------
    results
        The study's results.
    mapping
        A mapping table (``quarter_id``, ``planning_area``) covering every quarter.
    balance
        The need score (default: 65+).
    year
        The year of the counts (default: the latest).

    Returns
    -------
    AreaComparison
        Tables and geometry of both schemes.
    """
    year = study_year(results, year)
    balance = {"older": 1.0} if balance is None else balance
    quarters = results.study.quarters.reset_index(drop=True)
    lookup = mapping.assign(quarter_id=mapping["quarter_id"].astype(str)).set_index("quarter_id")
    proposed = quarters["quarter_id"].astype(str).map(lookup["planning_area"])
    if proposed.isna().any():
        missing = listing(quarters.loc[proposed.isna(), "quarter_id"])
        raise InputDataError(Message("regions.mapping_incomplete", quarters=missing))
    counts = quarter_counts(results, year)
    shown = [c for c in SHOWN_COUNTS if c in counts.columns]
    data = counts[shown].astype(float).reset_index(drop=True)
    data["need"] = need_score(results, balance, year).to_numpy()
    enabled = results.study.config.disclosure.enabled
    areas, spread, geometry = [], [], []
    for scheme, labels in (("current", quarters["planning_area"]), ("proposal", proposed)):
        labels = labels.astype(str).to_numpy()
        sums = data.groupby(labels, sort=False).sum()
        table = disclose_area_counts(sums, enabled)
        shapes = quarters.assign(planning_area=labels).dissolve("planning_area", sort=False)
        table["quarters"] = pd.Series(labels).value_counts().reindex(table.index).to_numpy()
        table["polsby_popper"] = polsby_popper(shapes.geometry.reindex(table.index))
        table = table.rename_axis("planning_area").reset_index().assign(scheme=scheme)
        areas.append(table)
        need = table["need"].astype(float)
        spread.append(
            {
                "scheme": scheme,
                "areas": len(table),
                "max_min": need.max() / need.min() if need.min() > 0 else np.nan,
                "cv": need.std(ddof=0) / need.mean() if need.mean() > 0 else np.nan,
                "polsby_popper": float(table["polsby_popper"].mean()),
            }
        )
        geometry.append(shapes.reset_index()[["planning_area", "geometry"]].assign(scheme=scheme))
    order = ["scheme", "planning_area", "quarters", *shown, "need", "polsby_popper"]
    return AreaComparison(
        areas=pd.concat(areas, ignore_index=True)[order],
        spread=pd.DataFrame(spread),
        geometry=gpd.GeoDataFrame(pd.concat(geometry, ignore_index=True), crs=quarters.crs),
    )


def mapping_csv(mapping: pd.DataFrame) -> bytes:
    """The mapping table as a study's ``[planning_areas]`` file (UTF-8 CSV, comma)."""
    columns = [c for c in ("quarter_id", "name", "planning_area") if c in mapping.columns]
    data: str = mapping[columns].to_csv(index=False)
    return data.encode("utf-8")


def labelled(table: pd.DataFrame, language: str = "de") -> pd.DataFrame:
    """A table of :class:`AreaComparison` with labelled columns and divisions, for people.

    Parameters
    ----------
    table
        ``AreaComparison.areas`` or ``AreaComparison.spread``.
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        The same values (measures rounded, :data:`DECIMALS`); ``scheme`` as
        "bisher"/"Vorschlag", headers from the catalog.
    """
    shown = table.assign(scheme=[text(f"regions.table.{s}", language) for s in table["scheme"]])
    shown = shown.round({c: d for c, d in DECIMALS.items() if c in shown.columns})
    names = {c: text(f"regions.table.{c}", language) for c in shown.columns}
    return shown.rename(columns=names)
