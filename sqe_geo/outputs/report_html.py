"""The quarter profile: key figures of one quarter, and a printable HTML report of them.

:func:`quarter_profile` gathers what the app's profile page shows (key figures, age
structure, accessibility per service category, comparison with the planning area and the
city); :func:`profile_html` renders the same as one self-contained, print-friendly HTML
document (inline CSS, inline SVG map and chart, no scripts, no external files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from markupsafe import Markup

from sqe_geo._version import __version__
from sqe_geo.i18n.formatting import WITHHELD_MARK, format_number
from sqe_geo.i18n.messages import as_language, catalog, text
from sqe_geo.outputs.classify import classify, ranks
from sqe_geo.outputs.svg_maps import svg_map
from sqe_geo.outputs.templating import render
from sqe_geo.stats.aggregate import CITY_ID, Level
from sqe_geo.stats.status import (
    BASE_YEAR,
    NOT_COMPUTED_MARK,
    is_not_computed,
    status_label,
    status_note,
)

if TYPE_CHECKING:
    from sqe_geo.results import Results

#: Indicators shown as key figures (those present in the catalog, in this order).
KEY_FIGURES = (
    "population",
    "population_older",
    "population_oldest_old",
    "share_older",
    "share_oldest_old",
    "old_age_dependency",
    "change_older_pct",
)
#: Non-overlapping age groups for the age-structure chart (first present set wins).
AGE_STRUCTURE = (
    ("young", "working_age", "young_old", "oldest_old"),
    ("young", "working_age", "older"),
)

_SECTION = "outputs.profile."


def _texts(language: str) -> dict[str, str]:
    """The profile's texts (catalog section ``outputs.profile``) without the prefix."""
    texts = catalog(as_language(language))
    return {k.removeprefix(_SECTION): v for k, v in texts.items() if k.startswith(_SECTION)}


@dataclass
class KeyFigure:
    """One key figure of a quarter."""

    indicator_id: str
    label: str
    value: float | None
    text: str
    unit: str
    rank: int | None = None


@dataclass
class QuarterProfile:
    """Everything the profile page and report show about one quarter and year."""

    quarter_id: str
    name: str
    planning_area: str
    year: int
    language: str
    key_figures: list[KeyFigure]
    age_structure: pd.DataFrame
    comparison: pd.DataFrame
    accessibility: dict[str, pd.DataFrame] = field(default_factory=dict)
    n_quarters: int = 0


def _value(
    results: Results, level: Level, unit_id: str, year: int, ind_id: str
) -> tuple[float, bool | str]:
    """The value and True when withheld, or the status code when it is not computed."""
    values = results.values[level]
    mask = results.suppressed[level]
    key = (unit_id, year)
    if key not in values.index or ind_id not in values.columns:
        return float("nan"), False
    code = (
        cast(str, results.status_of(level).at[key, ind_id]) if hasattr(results, "status_of") else ""
    )
    if is_not_computed(code) or code == BASE_YEAR:
        return float("nan"), code
    withheld = bool(mask.loc[key, ind_id]) if ind_id in mask.columns else False
    value = cast(float, values.loc[key, ind_id])  # a cell of a value table
    return (float("nan") if withheld else float(value)), withheld


def _text(value: float, withheld: bool | str, decimals: int, language: str) -> str:
    if withheld == BASE_YEAR:  # a change in its base year: nothing to compare with
        return status_label(BASE_YEAR, language)
    if isinstance(withheld, str):  # not computed: its own marker, never a number
        return NOT_COMPUTED_MARK[as_language(language)]
    if withheld:
        return WITHHELD_MARK
    return format_number(value, decimals, language) if not pd.isna(value) else "–"


def category_label(results: Results, key: str, language: str = "de") -> str:
    """The label of a service category (its key when the study does not define it)."""
    services = results.study.config.services
    cat = services.categories.get(key) if services is not None else None
    if cat is None:
        return key
    return cat.label(language)


def age_structure(
    results: Results, quarter_id: str, year: int, language: str = "de"
) -> pd.DataFrame:
    """Persons and share of the published total per non-overlapping age group.

    Counts come through disclosure control (:meth:`sqe_geo.pipeline.Results.count`): a
    withheld count, and its share, are NaN (shown as withheld). Shares use the published
    total, as the catalog's shares do, so they need not add up to 100 where the bands miss
    persons; a share on a total below the minimum base is withheld.
    """
    counts = results.counts["quarter"]
    key = (quarter_id, year)
    labels = results.study.config.age_groups.labels()
    texts = _texts(language)
    for groups in AGE_STRUCTURE:
        if key in counts.index and all(g in counts.columns for g in groups):
            break
    else:
        return pd.DataFrame(columns=[texts["age_group"], texts["persons"], texts["share"]])
    nan = float("nan")
    persons = [results.count("quarter", quarter_id, year, g) for g in groups]
    total = results.count("quarter", quarter_id, year, "total")
    disclosure = results.study.config.disclosure
    base_ok = total is not None and total > 0
    if disclosure.enabled and total is not None:
        base_ok = base_ok and total >= disclosure.min_denominator
    shares = [
        round(p / total * 100, 1) if p is not None and base_ok and total else nan for p in persons
    ]
    return pd.DataFrame(
        {
            texts["age_group"]: [labels.get(g, g) for g in groups],
            texts["persons"]: [nan if p is None else p for p in persons],
            texts["share"]: shares,
        }
    )


def quarter_profile(
    results: Results, quarter_id: str, year: int, language: str = "de"
) -> QuarterProfile:
    """Collect the profile of one quarter.

    Parameters
    ----------
    results
        :class:`sqe_geo.pipeline.Results`.
    quarter_id
        The quarter.
    year
        The year.
    language
        ``"de"`` or ``"en"``.
    """
    units = results.units["quarter"].set_index("unit_id")
    if quarter_id not in units.index:
        raise KeyError(text("outputs.unknown_quarter", quarter=quarter_id))
    name = str(units.loc[quarter_id, "name"])
    area = str(units.loc[quarter_id, "planning_area"])
    texts = _texts(language)
    catalog = results.catalog
    quarter_values = results.values["quarter"].xs(year, level="year")
    quarter_mask = results.suppressed["quarter"].xs(year, level="year")
    n_quarters = len(quarter_values)

    figures = []
    for ind_id in KEY_FIGURES:
        if ind_id not in catalog:
            continue
        ind = catalog[ind_id]
        value, withheld = _value(results, "quarter", quarter_id, year, ind_id)
        column = quarter_values[ind_id].mask(quarter_mask[ind_id])
        rank = ranks(column).get(quarter_id)
        figures.append(
            KeyFigure(
                ind_id,
                ind.label(language),
                None if pd.isna(value) else value,
                _text(value, withheld, ind.decimals, language),
                ind.unit(language),
                None if rank is None or pd.isna(rank) else int(rank),
            )
        )

    rows = []
    for ind in catalog:
        if ind.category is not None:
            continue
        q = _value(results, "quarter", quarter_id, year, ind.id)
        a = _value(results, "planning_area", area, year, ind.id)
        c = _value(results, "city", CITY_ID, year, ind.id)
        rows.append(
            {
                texts["indicator"]: ind.label(language),
                texts["unit"]: ind.unit(language),
                texts["quarter"]: _text(*q, ind.decimals, language),
                texts["planning_area"]: _text(*a, ind.decimals, language),
                texts["city"]: _text(*c, ind.decimals, language),
            }
        )
    comparison_table = pd.DataFrame(rows)

    access_rows: dict[str, list[dict[str, str]]] = {}
    for ind in catalog:
        if ind.category is None:
            continue
        label = category_label(results, ind.category, language)
        q = _value(results, "quarter", quarter_id, year, ind.id)
        a = _value(results, "planning_area", area, year, ind.id)
        c = _value(results, "city", CITY_ID, year, ind.id)
        access_rows.setdefault(label, [])
        access_rows[label].append(
            {
                # the tab or heading names the category already
                texts["indicator"]: ind.label(language).removeprefix(f"{label}: "),
                texts["unit"]: ind.unit(language),
                texts["quarter"]: _text(*q, ind.decimals, language),
                texts["planning_area"]: _text(*a, ind.decimals, language),
                texts["city"]: _text(*c, ind.decimals, language),
            }
        )
    accessibility = {k: pd.DataFrame(v) for k, v in access_rows.items()}
    return QuarterProfile(
        quarter_id,
        name,
        area,
        year,
        language,
        figures,
        age_structure(results, quarter_id, year, language),
        comparison_table,
        accessibility,
        n_quarters,
    )


def location_svg(
    results: Results,
    quarter_id: str,
    year: int,
    indicator_id: str | None = None,
    *,
    width: int = 320,
) -> str:
    """The city's quarters as an SVG with the quarter outlined (and optionally coloured by an
    indicator's classes)."""
    quarters = results.study.quarters.rename(columns={"quarter_id": "unit_id"})
    fills: dict[object, str] = {}
    if indicator_id is not None and indicator_id in results.catalog:
        values = results.values["quarter"].xs(year, level="year")[indicator_id]
        values = values.mask(results.suppressed["quarter"].xs(year, level="year")[indicator_id])
        cls = classify(values, "quantiles", 5, direction=results.catalog[indicator_id].direction)
        fills = {uid: color for uid in values.index if (color := cls.color_of(uid))}
    else:
        fills = dict.fromkeys(quarters["unit_id"], "#eeeeee")
        fills[quarter_id] = "#9ecae1"
    labels = dict(zip(quarters["unit_id"], quarters["name"], strict=True))
    return svg_map(
        quarters,
        fills,
        width=width,
        highlight=quarter_id,
        labels=labels,
        title=labels.get(quarter_id, quarter_id),
    )


def _age_bars(table: pd.DataFrame, language: str) -> dict[str, object] | None:
    """Geometry and labels of the age-structure bar chart (drawn by the template)."""
    if not len(table):
        return None
    width, bar_h, gap, label_w = 420, 18, 6, 70
    shares = table.iloc[:, 2].astype(float)
    top = max(float(shares.max()) if shares.notna().any() else 1.0, 1.0)
    rows = []
    for i, (group, persons, share) in enumerate(table.itertuples(index=False)):
        y = gap + i * (bar_h + gap)
        bar: dict[str, object] = {"group": str(group), "y": y, "text_y": y + bar_h - 4}
        if pd.isna(share):
            bar["width"] = None
        else:
            bar["width"] = (width - label_w - 120) * float(share) / top
            share_text = format_number(share, 1, language)
            bar["label"] = f"{share_text} % ({format_number(persons, 0, language)})"
        rows.append(bar)
    height = len(table) * (bar_h + gap) + gap
    return {"width": width, "height": height, "bar_h": bar_h, "label_w": label_w, "rows": rows}


def _frame(table: pd.DataFrame) -> dict[str, list[Any]]:
    """A table as header and rows of text for the template."""
    rows = [[str(v) for v in row] for row in table.itertuples(index=False)]
    return {"columns": [str(c) for c in table.columns], "rows": rows}


def profile_html(
    results: Results,
    quarter_id: str,
    year: int,
    language: str = "de",
    *,
    indicator_id: str | None = None,
) -> str:
    """The quarter profile as one self-contained, printable HTML document.

    Rendered by the template ``profile.html.j2`` with autoescape: withheld values show
    ".", values that could not be computed their mark ("n. b."), explained under the
    tables.

    Parameters
    ----------
    results
        :class:`sqe_geo.pipeline.Results`.
    quarter_id, year
        The quarter and year.
    language
        ``"de"`` or ``"en"``.
    indicator_id
        Colour the location map by this indicator (plain outline map when None).

    Returns
    -------
    str
        The HTML document.
    """
    texts = _texts(language)
    profile = quarter_profile(results, quarter_id, year, language)
    config = results.study.config
    flags = [texts["demo"]] if config.demo else []
    if config.schematic_boundaries:
        flags.append(texts["schematic"])
    codes = {
        str(c)
        for level in ("quarter", "planning_area", "city")
        for c in np.unique(results.status_of(level).to_numpy(dtype=str))
    }
    sources = [
        " – ".join(b for b in (s.name, s.licence, s.date, s.url, s.note) if b)
        for s in config.sources
    ]
    generated = texts["generated"].format(
        version=__version__, date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    )
    return render(
        "profile.html.j2",
        language=language,
        t=texts,
        name=profile.name,
        planning_area=profile.planning_area,
        year=year,
        study_title=config.title or "",
        flags=flags,
        figures=profile.key_figures,
        rank_text=texts["rank"].format(n=profile.n_quarters),
        bars=_age_bars(profile.age_structure, language),
        location_svg=Markup(location_svg(results, quarter_id, year, indicator_id, width=300)),
        comparison=_frame(profile.comparison),
        accessibility=[(label, _frame(t)) for label, t in profile.accessibility.items()],
        # what "n. b." and partial figures mean, as in the exported tables
        status_note=status_note(sorted(codes - {""}), language),
        sources=sources,
        generated=generated,
    )
