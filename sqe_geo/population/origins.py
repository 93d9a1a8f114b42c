"""Checks and helpers shared by the modules that say where residents live.

:mod:`sqe_geo.population.residents` (rasters, point layers, dasymetric allocation) and
:mod:`sqe_geo.population.zensus` (the Zensus 2022 grid) build *origins* — resident locations with
counts per age group — the same way: the same age-group vocabulary, checks of the quarters
layer and of count columns, assignment of points to quarters, and findings in the
data-quality report. They live here, public, instead of being imported as private names
across modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport, Severity

#: The age-group vocabulary of origins and quarter demographics (default bands in brackets):
#: ``total``, ``young`` (0–19), ``working_age`` (20–64), ``older`` (65+), ``young_old``
#: (65–79), ``oldest_old`` (80+).
AGE_GROUPS: tuple[str, ...] = (
    "total",
    "young",
    "working_age",
    "older",
    "young_old",
    "oldest_old",
)

#: Key under which a report created by a function (no ``report`` given) is attached to
#: ``result.attrs``.
REPORT_ATTR = "quality_report"


def new_report(report: QualityReport | None) -> tuple[QualityReport, bool]:
    """Return the report to write to and whether it was created here.

    Parameters
    ----------
    report
        The caller's report, or ``None``.
    """
    if report is None:
        return QualityReport(), True
    return report, False


_Frame = TypeVar("_Frame", bound="pd.DataFrame | pd.Series[Any]")


def attach_report(result: _Frame, report: QualityReport, created: bool) -> _Frame:
    """Attach a report that the caller did not pass in, so findings are never lost.

    Parameters
    ----------
    result
        The table a function returns.
    report
        Receives the findings.
    created
        Whether the report was created by that function (then it is attached).
    """
    if created:
        result.attrs[REPORT_ATTR] = report
    return result


def check_quarters(quarters: gpd.GeoDataFrame, *, layer: str = "quarters") -> None:
    """Validate the quarters layer: ``quarter_id`` strings, unique, a projected CRS.

    Parameters
    ----------
    quarters
        The quarters layer.
    layer
        Its name in messages.
    """
    if not isinstance(quarters, gpd.GeoDataFrame):
        raise InputDataError(Message("population.origins.not_a_layer", layer=layer))
    if "quarter_id" not in quarters.columns:
        raise InputDataError(
            Message("population.origins.no_quarter_id", layer=layer, found=list(quarters.columns))
        )
    ids = quarters["quarter_id"]
    if not pd.api.types.is_string_dtype(ids) or ids.isna().any():
        raise InputDataError(
            Message("population.origins.quarter_id_not_text", layer=layer, dtype=str(ids.dtype))
        )
    dup = ids[ids.duplicated()].unique()
    if len(dup):
        raise InputDataError(
            Message(
                "population.origins.quarter_id_not_unique",
                layer=layer,
                ids=", ".join(map(str, dup[:10])),
            )
        )
    if quarters.crs is None:
        raise InputDataError(Message("population.origins.quarters_no_crs", layer=layer))
    if not CRS.from_user_input(quarters.crs).is_projected:
        raise InputDataError(
            Message(
                "population.origins.quarters_geographic", layer=layer, crs=quarters.crs.to_string()
            )
        )


def check_group(name: str, *, where: Message | str) -> None:
    """Refuse a name that is not in :data:`AGE_GROUPS`; ``where`` says where it was found.

    Parameters
    ----------
    name
        The name to check.
    where
        Where it was found (for the message).
    """
    if name not in AGE_GROUPS:
        raise InputDataError(
            Message(
                "population.origins.not_an_age_group",
                where=where,
                name=name,
                groups=", ".join(AGE_GROUPS),
            )
        )


def assign_quarters(
    geometry: gpd.GeoSeries | np.ndarray, quarters: gpd.GeoDataFrame
) -> tuple[np.ndarray, int]:
    """Assign each geometry (same CRS as ``quarters``) to the quarter it intersects.

    Points on a shared boundary intersect two quarters; they go to the quarter listed first
    in ``quarters`` (deterministic). Returns the quarter ids (``None`` where no quarter
    matches) and the number of such boundary ties.

    Parameters
    ----------
    geometry
        Points or other geometries in the CRS of ``quarters``.
    quarters
        Quarter polygons with ``quarter_id``.
    """
    geoms = np.asarray(geometry)
    out = np.full(len(geoms), None, dtype=object)
    if len(geoms) == 0 or len(quarters) == 0:
        return out, 0
    src, tree = quarters.sindex.query(geoms, predicate="intersects")
    order = np.lexsort((tree, src))
    src, tree = src[order], tree[order]
    first_src, first_pos, n_hits = np.unique(src, return_index=True, return_counts=True)
    out[first_src] = quarters["quarter_id"].to_numpy()[tree[first_pos]]
    return out, int((n_hits > 1).sum())


def residents_text(counts: pd.DataFrame) -> str:
    """Render column sums as ``total=12, older=3``.

    Parameters
    ----------
    counts
        Resident counts, one column per age group.
    """
    sums = counts.sum(axis=0)
    return ", ".join(f"{k}={_fmt(v)}" for k, v in sums.items())


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def origins_frame(
    origin_id: Sequence[str] | np.ndarray,
    quarter_id: Sequence[str] | np.ndarray,
    counts: pd.DataFrame,
    geometry: Any,
    crs: Any,
) -> gpd.GeoDataFrame:
    """Build an origins table with the columns in contract order.

    Parameters
    ----------
    origin_id
        Id of each origin.
    quarter_id
        Quarter of each origin.
    counts
        Counts, one column per age group.
    geometry
        Point of each origin.
    crs
        CRS of the points.
    """
    data: dict[str, Any] = {
        "origin_id": pd.Series(np.asarray(origin_id, dtype=object), dtype=object).astype(str),
        "quarter_id": pd.Series(np.asarray(quarter_id, dtype=object), dtype=object).astype(str),
    }
    for group in AGE_GROUPS:
        if group in counts.columns:
            data[group] = counts[group].to_numpy()
    frame = pd.DataFrame(data)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry).values, crs=crs)


def split_outside(
    ids: np.ndarray,
    quarter_id: np.ndarray,
    counts: pd.DataFrame,
    *,
    report: QualityReport,
    layer: str,
    what: Message,
    severity: Severity = "warning",
    hint: Message | None = None,
) -> np.ndarray:
    """Report records with residents that lie outside every quarter; return the inside mask.

    Parameters
    ----------
    ids
        Record ids.
    quarter_id
        Quarter of each record, ``None`` outside every quarter.
    counts
        Resident counts of the records.
    report
        Receives the findings.
    layer
        The layer the finding is about.
    what
        What the records are (a message such as ``population.what.cells``).
    severity
        Severity of the finding.
    hint
        What to do, appended to the finding; default: check the CRS or the extent.
    """
    inside = pd.notna(quarter_id)
    outside = ~inside
    if outside.any():
        lost = counts.loc[outside]
        report.add(
            "outside_quarters",
            layer,
            Message(
                "population.origins.outside_quarters",
                n=int(outside.sum()),
                what=what,
                residents=residents_text(lost),
                hint=hint or Message("population.origins.outside_hint"),
            ),
            severity=severity,
            items=ids[outside],
        )
    return inside


def report_ties(report: QualityReport, layer: str, n_ties: int, what: Message) -> None:
    """Report records that lie on a boundary between quarters (``what``: what they are).

    Parameters
    ----------
    report
        Receives the findings.
    layer
        The layer the finding is about.
    n_ties
        Number of records on a boundary.
    what
        What the records are (a message).
    """
    if n_ties:
        report.add(
            "boundary_ties",
            layer,
            Message("population.origins.boundary_ties", n=n_ties, what=what),
            severity="info",
            count=n_ties,
        )


def check_counts(values: pd.DataFrame, *, where: Message | str) -> pd.DataFrame:
    """Coerce count columns to float, refuse negative values; NaN stays NaN.

    Parameters
    ----------
    values
        The count columns.
    where
        Where they come from (for the message).
    """
    out = {}
    for column in values.columns:
        series = pd.to_numeric(values[column], errors="coerce")
        bad = values[column].notna() & series.isna()
        if bad.any():
            raise InputDataError(
                Message(
                    "population.origins.counts_not_numeric",
                    where=where,
                    column=column,
                    values=", ".join(map(str, values[column][bad].unique()[:5])),
                )
            )
        if (series < 0).any():
            raise InputDataError(
                Message("population.origins.counts_negative", where=where, column=column)
            )
        out[column] = series.astype("float64")
    return pd.DataFrame(out, index=values.index)
