"""Status of indicator cells: computed, not computed (with the reason), partial, approximate.

Not computed is a value. A quarter's accessibility figures are "nicht berechnet" — never
0 % or 100 % — when its residents could not be located, or when too many of its older
residents lie off the walking network. :func:`quarter_status` decides per quarter and
category, :func:`level_status` carries the reason to every indicator cell of every level
(planning areas and the city are computed from their computed quarters and marked
``partial``). The value of a not-computed cell is NaN; its reason travels beside it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import overload

import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.access.coverage import LOCATION_COUNT_PREFIXES
from sqe_geo.i18n.messages import LANGUAGES, Message, text
from sqe_geo.stats.aggregate import Level
from sqe_geo.stats.indicators import Indicator

#: Residents of the quarter could not be located (no address point, cell or grid point
#: inside it: all of them would sit on one representative point).
NOT_LOCATED = "not_located"
#: More than the study's ``max_unlocated_share`` of the quarter's older residents lie
#: beyond the snap distance or on a network island without a service of the category.
UNREACHABLE_SHARE = "unreachable_share"
#: A planning area or the city computed from its computed quarters only (others left out).
PARTIAL = "partial"
#: Residents were spread over an even grid of the quarter instead of located.
APPROXIMATION = "approximation"
#: A change indicator in its base year: there is nothing to compare with (no value).
BASE_YEAR = "base_year"
#: The mark of a value that is not meaningful in tables (official statistics' "x").
NOT_MEANINGFUL_MARK = "x"
#: Reasons that leave a cell without a value (NaN).
NOT_COMPUTED_REASONS: tuple[str, ...] = (NOT_LOCATED, UNREACHABLE_SHARE)
#: The marker of a not-computed value in tables (distinct from "." for withheld).
NOT_COMPUTED_MARK: dict[str, str] = {
    language: text("stats.not_computed_mark", language) for language in LANGUAGES
}
#: The label of each status code per language (catalog keys ``stats.status.<code>``).
STATUS_LABELS: dict[str, dict[str, str]] = {
    language: {
        code: text(f"stats.status.{code}", language)
        for code in (NOT_LOCATED, UNREACHABLE_SHARE, PARTIAL, APPROXIMATION, BASE_YEAR)
    }
    for language in LANGUAGES
}


def status_label(code: str, language: str = "de") -> str:
    """The human label of a status code (``""`` for a computed value)."""
    return STATUS_LABELS.get(language, STATUS_LABELS["en"]).get(code, code) if code else ""


@overload
def is_not_computed(status: str) -> bool: ...
@overload
def is_not_computed(status: pd.DataFrame) -> pd.DataFrame: ...
@overload
def is_not_computed(status: pd.Series) -> pd.Series: ...
def is_not_computed(status: pd.Series | pd.DataFrame | str) -> pd.Series | pd.DataFrame | bool:
    """Whether status codes mean "not computed" (no value)."""
    if isinstance(status, str):
        return status in NOT_COMPUTED_REASONS
    return status.isin(NOT_COMPUTED_REASONS)


def status_note(codes: Sequence[str], language: str = "de") -> str:
    """The explanation of the status codes used in a table (for notes under tables)."""
    known = (NOT_LOCATED, UNREACHABLE_SHARE, PARTIAL, APPROXIMATION, BASE_YEAR)
    used = [c for c in known if c in codes]
    if not used:
        return ""
    mark = NOT_COMPUTED_MARK.get(language, NOT_COMPUTED_MARK["en"])
    parts = []
    for code in used:
        label = status_label(code, language)
        if code in NOT_COMPUTED_REASONS:
            label = f"{mark} = {label}"
        elif code == BASE_YEAR:
            label = f"{NOT_MEANINGFUL_MARK} = {label}"
        parts.append(label)
    return "; ".join(parts)


def quarter_status(
    origins: pd.DataFrame,
    cut_off: pd.DataFrame,
    *,
    not_located: Sequence[Hashable] = (),
    approximated: Sequence[Hashable] = (),
    max_unlocated_share: float = 0.2,
    quarter_ids: Sequence[Hashable] | None = None,
    quarter_column: str = "quarter_id",
    group: str = "older",
) -> pd.DataFrame:
    """Status code per quarter and category of the location-dependent figures.

    Parameters
    ----------
    origins
        One row per origin with ``quarter_column`` and resident counts (``group``, else
        ``total``).
    cut_off
        Origins × categories booleans, row-aligned: the origin lies beyond the snap distance
        or on a network island without that category (see
        :func:`sqe_geo.access.accessibility.cut_off_from_services`).
    not_located
        Quarters whose residents could not be located (one representative point).
    approximated
        Quarters whose residents were spread evenly (an approximation).
    max_unlocated_share
        A quarter whose share of cut-off residents (of ``group``) exceeds this is not computed.

    Returns
    -------
    pandas.DataFrame
        Index quarter ids, one column per category; ``""`` computed, else a reason code.
    """
    if len(cut_off) != len(origins):
        raise InputDataError(Message("stats.status.cut_off_rows"))
    column = group if group in origins.columns else "total"
    pop = origins[column].to_numpy(dtype=float)
    quarter = origins[quarter_column].to_numpy()
    ids = pd.Index(
        quarter_ids if quarter_ids is not None else pd.unique(quarter[pd.notna(quarter)])
    )
    out = pd.DataFrame("", index=ids, columns=list(cut_off.columns), dtype=object)
    residents = pd.Series(pop).groupby(quarter).sum().reindex(ids).fillna(0.0)
    for cat in cut_off.columns:
        lost = pd.Series(pop * cut_off[cat].to_numpy(dtype=bool)).groupby(quarter).sum()
        share = (lost.reindex(ids).fillna(0.0) / residents.where(residents > 0)).fillna(0.0)
        out.loc[share.to_numpy() > max_unlocated_share + 1e-12, cat] = UNREACHABLE_SHARE
    approx = ids.isin(pd.Index(approximated))
    out.loc[approx] = out.loc[approx].where(out.loc[approx] != "", APPROXIMATION)
    out.loc[ids.isin(pd.Index(not_located))] = NOT_LOCATED
    out.index.name = quarter_column
    return out


def level_status(
    catalog: Iterable[Indicator],
    quarter_status_by_year: pd.DataFrame,
    area_of: pd.Series,
    index: Mapping[Level, pd.Index],
    city_id: str,
) -> dict[Level, pd.DataFrame]:
    """Status tables per level aligned with the indicator values.

    Parameters
    ----------
    catalog
        The indicators (``category`` and ``inputs`` tell which depend on locations).
    quarter_status_by_year
        Index ``(quarter_id, year)``, one column per category (see :func:`quarter_status`).
    area_of
        Planning area per quarter id.
    index
        Level -> the ``(unit_id, year)`` index of that level's values.
    city_id
        Unit id of the city.

    Returns
    -------
    dict
        Level -> DataFrame of status codes (``""`` computed), one column per indicator.

    Notes
    -----
    A planning area or the city is computed from its computed quarters (their counts are
    summed, the others are left out) and marked ``partial``; when none of its quarters is
    computed it takes the reason of its quarters. An approximation in any of its quarters
    marks it as an approximation.
    """
    indicators = list(catalog)
    out: dict[Level, pd.DataFrame] = {}
    per_cat = _unit_status(quarter_status_by_year, area_of, city_id)
    for level, idx in index.items():
        table = pd.DataFrame("", index=idx, columns=[i.id for i in indicators], dtype=object)
        status = per_cat.get(level)
        if status is not None and len(status.columns):
            status = status.reindex(idx).fillna("")
            for ind in indicators:
                if ind.category in status.columns and depends_on_location(ind):
                    table[ind.id] = status[ind.category].to_numpy()
        out[level] = table
    return out


def depends_on_location(ind: Indicator) -> bool:
    """Whether an indicator's value depends on where residents are (distances, coverage)."""
    prefixes = (*LOCATION_COUNT_PREFIXES, "e2sfca_", "median_")
    return any(str(col).startswith(prefixes) for col in ind.inputs.values())


def _unit_status(
    quarter_status_by_year: pd.DataFrame, area_of: pd.Series, city_id: str
) -> dict[str, pd.DataFrame]:
    if quarter_status_by_year.empty:
        return {}
    q = quarter_status_by_year.copy()
    q.index = q.index.set_names(["unit_id", "year"])
    out = {"quarter": q}
    units = q.index.get_level_values("unit_id")
    years = q.index.get_level_values("year")
    # pandas-stubs: Index.map takes a Series too
    area_ids = units.map(area_of)  # type: ignore[arg-type]
    for level, key in (("planning_area", area_ids), ("city", [city_id] * len(q))):
        rows = {}
        for (unit, year), part in q.groupby([pd.Index(key), years], sort=False):
            rows[(unit, year)] = {cat: _combine(part[cat]) for cat in q.columns}
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index = pd.MultiIndex.from_tuples(table.index, names=["unit_id", "year"])
        out[level] = table
    return out


def _combine(codes: pd.Series) -> str:
    failed = codes[codes.isin(NOT_COMPUTED_REASONS)]
    if len(failed) == len(codes):
        return str(failed.mode().sort_values().iloc[0])
    if len(failed):
        return PARTIAL
    return APPROXIMATION if (codes == APPROXIMATION).any() else ""


def mark_base_year(
    status: dict[Level, pd.DataFrame],
    values: Mapping[Level, pd.DataFrame],
    change_ids: Sequence[str],
    base_year: int,
) -> None:
    """Mark change indicators in their base year as :data:`BASE_YEAR` (in place).

    Only cells without another status and without a value are marked, so the app, the
    maps and the exports say "kein Wert im Basisjahr" instead of a bare dash.
    """
    for level, frame in status.items():
        columns = [c for c in change_ids if c in frame.columns]
        if not columns:
            continue
        at_base = frame.index.get_level_values("year") == base_year
        blank = values[level][columns].isna().to_numpy() & (frame[columns] == "").to_numpy()
        cells = blank & at_base[:, None]
        frame[columns] = frame[columns].mask(cells, BASE_YEAR)
