"""From distances per resident location to additive counts per quarter.

:func:`quarter_counts` turns origins × categories distances into count columns per quarter
(residents within the threshold, unreachable, distance sums, E2SFCA sums, services) that
higher levels can simply add up. Medians cannot be summed, so :func:`weighted_median`
computes them per grouping key (quarter, planning area, city) from the origins.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.access.accessibility import GROUPS
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport


def quarter_counts(
    origins: pd.DataFrame,
    distances: pd.DataFrame,
    thresholds_m: Mapping[str, float],
    *,
    e2sfca: pd.DataFrame | None = None,
    services: pd.DataFrame | None = None,
    quarter_ids: Sequence[Hashable] | None = None,
    quarter_column: str = "quarter_id",
    report: QualityReport | None = None,
) -> pd.DataFrame:
    """Additive count columns per quarter (higher levels sum them).

    Parameters
    ----------
    origins
        One row per origin with ``quarter_column`` and resident counts in any of the
        columns :data:`GROUPS` (``total``, ``young``, ``working_age``, ``older``,
        ``young_old``, ``oldest_old``).
    distances
        Origins × categories distances in metres (NaN = unreachable), row-aligned with
        ``origins`` (same length; positions are used).
    thresholds_m
        Coverage threshold per category; its keys are the categories counted.
    e2sfca
        Optional origins × categories E2SFCA values A_i (row-aligned).
    services
        One row per service with its quarter id (column ``quarter_column``, NaN outside
        every quarter) and its ``category``, for ``services_{cat}``.
    quarter_ids
        All quarters to list (quarters without origins get zeros); default: those present.
    quarter_column
        Name of the quarter id column.
    report
        Receives origins and services without a quarter id (they are not counted) and
        origins whose quarter is not in ``quarter_ids``.

    Returns
    -------
    pandas.DataFrame
        Indexed by quarter id, columns ``origins_{group}``, ``counted_{cat}_{group}`` (the
        residents a category's figures are taken over; equal to ``origins_{group}`` unless
        the quarter is not computed for that category), ``within_{cat}_{group}``,
        ``unreachable_{cat}_{group}``, ``reached_{cat}_{group}``, ``distsum_{cat}_{group}``,
        ``e2sfca_{cat}_{group}_wsum`` (with ``e2sfca``) and ``services_{cat}``.
    """
    groups = _check_counts_inputs(origins, distances, thresholds_m, e2sfca, quarter_column)
    pop = origins[groups].to_numpy(dtype=float)
    if not np.isfinite(pop).all() or (pop < 0).any():
        raise InputDataError(Message("access.coverage.bad_residents", columns=str(groups)))
    frame = pd.DataFrame(_count_columns(pop, groups, distances, thresholds_m, e2sfca))
    quarter = origins[quarter_column].to_numpy()
    frame[quarter_column] = quarter
    no_quarter = pd.isna(quarter)
    if no_quarter.any():
        # groupby would drop them silently; say how many residents are left out
        _report_not_counted(report, "origin_without_quarter", no_quarter, pop, groups)
    if quarter_ids is not None:
        # pandas-stubs: Index() takes any sequence of hashables
        known_ids = pd.Index(quarter_ids)  # type: ignore[arg-type]
        unknown = ~no_quarter & ~pd.Index(quarter).isin(known_ids)
        if unknown.any():
            _report_not_counted(report, "origin_unknown_quarter", unknown, pop, groups)
    out = frame.groupby(quarter_column, sort=True).sum()
    if services is not None:
        for cat, column in _service_counts(services, thresholds_m, quarter_column, report).items():
            out[f"services_{cat}"] = column.reindex(out.index).fillna(0).astype(np.int64)
    if quarter_ids is not None:
        out = out.reindex(pd.Index(quarter_ids, name=quarter_column), fill_value=0)
    out.index.name = quarter_column
    return out


def _check_counts_inputs(
    origins: pd.DataFrame,
    distances: pd.DataFrame,
    thresholds_m: Mapping[str, float],
    e2sfca: pd.DataFrame | None,
    quarter_column: str,
) -> list[str]:
    """The resident groups present; raises on inputs that cannot be counted."""
    if quarter_column not in origins.columns:
        raise InputDataError(Message("access.coverage.no_quarter_column", column=quarter_column))
    groups = [g for g in GROUPS if g in origins.columns]
    if not groups:
        raise InputDataError(Message("access.coverage.no_groups", groups=", ".join(GROUPS)))
    if len(distances) != len(origins):
        raise InputDataError(
            Message("access.coverage.distances_length", n=len(distances), m=len(origins))
        )
    missing = [c for c in thresholds_m if c not in distances.columns]
    if missing:
        raise InputDataError(Message("access.coverage.no_distances", categories=str(missing)))
    if e2sfca is not None and len(e2sfca) != len(origins):
        raise InputDataError(Message("access.coverage.e2sfca_length"))
    return groups


def _count_columns(
    pop: np.ndarray,
    groups: list[str],
    distances: pd.DataFrame,
    thresholds_m: Mapping[str, float],
    e2sfca: pd.DataFrame | None,
) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {f"origins_{g}": pop[:, k] for k, g in enumerate(groups)}
    for cat, threshold in thresholds_m.items():
        d = distances[cat].to_numpy(dtype=float)
        reached = np.isfinite(d)
        within = reached & (d <= threshold)
        d0 = np.where(reached, d, 0.0)
        for k, g in enumerate(groups):
            p = pop[:, k]
            cols[f"counted_{cat}_{g}"] = p
            cols[f"within_{cat}_{g}"] = p * within
            cols[f"unreachable_{cat}_{g}"] = p * ~reached
            cols[f"reached_{cat}_{g}"] = p * reached
            cols[f"distsum_{cat}_{g}"] = p * d0
        if e2sfca is not None and cat in e2sfca.columns:
            a = e2sfca[cat].to_numpy(dtype=float)
            a0 = np.where(np.isfinite(a), a, 0.0)
            for k, g in enumerate(groups):
                cols[f"e2sfca_{cat}_{g}_wsum"] = pop[:, k] * a0
    return cols


def _service_counts(
    services: pd.DataFrame,
    thresholds_m: Mapping[str, float],
    quarter_column: str,
    report: QualityReport | None,
) -> dict[str, pd.Series]:
    """Services per quarter of each counted category."""
    svc = pd.DataFrame({"q": services[quarter_column], "c": services["category"]})
    lost = svc["q"].isna() & svc["c"].isin(list(thresholds_m))
    if lost.any() and report is not None:
        report.add(
            "service_without_quarter",
            "services",
            Message("access.coverage.service_without_quarter", n=int(lost.sum())),
            items=svc.index[lost],
        )
    table = pd.crosstab(svc["q"], svc["c"])
    return {
        cat: table[cat] if cat in table.columns else pd.Series(dtype=float) for cat in thresholds_m
    }


def _report_not_counted(
    report: QualityReport | None,
    check: str,
    mask: np.ndarray,
    pop: np.ndarray,
    groups: list[str],
) -> None:
    if report is None:
        return
    residents = ", ".join(f"{g}: {pop[mask, k].sum():g}" for k, g in enumerate(groups))
    key = "no_quarter" if check == "origin_without_quarter" else "unknown_quarter"
    report.add(
        check,
        "origins",
        Message(f"access.coverage.{key}", n=int(mask.sum()), residents=residents),
        items=np.flatnonzero(mask),
    )


def weighted_median(
    values: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series,
    by: np.ndarray | pd.Series | None = None,
) -> pd.Series:
    """Lower weighted median of ``values`` per group of ``by`` (NaN values are skipped).

    The median is the smallest value at which the cumulative weight reaches half of the
    group's total weight (of non-NaN values). Groups without any weight give NaN. Use it for
    median distance per quarter, planning area or city (``by=None``): medians cannot be
    summed from quarter figures.

    Parameters
    ----------
    values
        Values (distances); NaN values are skipped.
    weights
        Weight per value (residents).
    by
        Group key per value; ``None``: one group ``"city"``.

    Returns
    -------
    pandas.Series
        ``median_m`` per group, sorted by group key.

    Examples
    --------
    >>> weighted_median([100.0, 200.0, 300.0], [1.0, 1.0, 5.0]).tolist()
    [300.0]
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keys = np.zeros(v.size, dtype=np.int64) if by is None else np.asarray(by)
    if not (v.size == w.size == keys.size):
        raise InputDataError(Message("access.coverage.median_lengths"))
    codes, uniques = pd.factorize(keys, sort=True)
    n_groups = len(uniques)
    ok = np.isfinite(v) & (w > 0) & (codes >= 0)
    v, w, codes = v[ok], w[ok], codes[ok]
    order = np.lexsort((v, codes))
    v, w, codes = v[order], w[order], codes[order]
    total = np.bincount(codes, weights=w, minlength=n_groups)
    cum = np.cumsum(w)
    start = np.concatenate([[0.0], cum])[np.searchsorted(codes, np.arange(n_groups))]
    within = cum - start[codes]
    hit = within >= 0.5 * total[codes] * (1 - 1e-12)
    first = np.full(n_groups, -1)
    idx = np.flatnonzero(hit)
    # first hit per group: hits are sorted by group, so keep the first of each run
    grp = codes[idx]
    lead = np.ones(idx.size, dtype=bool)
    lead[1:] = grp[1:] != grp[:-1]
    first[grp[lead]] = idx[lead]
    med = np.where(first >= 0, v[np.maximum(first, 0)] if v.size else np.nan, np.nan)
    index = pd.Index(["city"] if by is None else uniques)
    return pd.Series(med, index=index, name="median_m")


#: Count columns (``{prefix}{cat}_{group}``) that depend on where residents are.
LOCATION_COUNT_PREFIXES = ("counted_", "within_", "unreachable_", "reached_", "distsum_")


def more_key(category: str, threshold_m: float) -> str:
    """Count key of a further coverage threshold of a category.

    Parameters
    ----------
    category
        Category key.
    threshold_m
        The further threshold in metres.

    Returns
    -------
    str
        The key, e.g. ``"transit_stop_500m"``.

    Examples
    --------
    >>> more_key("transit_stop", 500.0)
    'transit_stop_500m'
    """
    return f"{category}_{threshold_m:g}m"


def location_columns(category: str, groups: Sequence[str]) -> list[str]:
    """The count columns of one category that depend on residents' locations.

    Parameters
    ----------
    category
        Category (or further-threshold) key.
    groups
        Resident groups present.

    Returns
    -------
    list of str
        The ``{prefix}{category}_{group}`` and ``e2sfca_{category}_{group}_wsum`` columns.
    """
    cols = [f"{p}{category}_{g}" for p in LOCATION_COUNT_PREFIXES for g in groups]
    return cols + [f"e2sfca_{category}_{g}_wsum" for g in groups]


def distance_class(distance_m: float, threshold_m: float) -> str:
    """The class of a walking distance: ``within`` (≤ threshold), ``within_2x`` (≤ 2 ×
    threshold), ``farther``, or ``unreachable`` (NaN: no path within the search limit)."""
    if distance_m is None or not math.isfinite(float(distance_m)):
        return "unreachable"
    if distance_m <= threshold_m:
        return "within"
    if distance_m <= 2 * threshold_m:
        return "within_2x"
    return "farther"
