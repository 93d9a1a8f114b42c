"""The quarter profile: key figures of one quarter, and a printable HTML report of them.

:func:`quarter_profile` gathers what the app's profile page shows (key figures, age
structure, accessibility per service category, comparison with the planning area and the
city); :func:`profile_html` renders the same as one self-contained, print-friendly HTML
document (inline CSS, inline SVG map and chart, no scripts, no external files).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from sqe_geo._version import __version__
from sqe_geo.i18n.formatting import format_number
from sqe_geo.outputs.classify import classify, ranks
from sqe_geo.outputs.svg_maps import svg_map
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

TEXT = {
    "de": {
        "title": "Quartiersprofil",
        "planning_area": "Planungsraum",
        "year": "Jahr",
        "key_figures": "Kennzahlen",
        "age_structure": "Altersstruktur",
        "age_group": "Altersgruppe",
        "persons": "Personen",
        "share": "Anteil (%)",
        "accessibility": "Erreichbarkeit zu Fuß",
        "no_accessibility": "Für diese Studie wurden keine Erreichbarkeitsindikatoren berechnet.",
        "comparison": "Vergleich mit Planungsraum und Stadt",
        "indicator": "Indikator",
        "unit": "Einheit",
        "quarter": "Quartier",
        "city": "Stadt",
        "rank": "Rang unter {n} Quartieren (1 = höchster Wert)",
        "map": "Lage im Stadtgebiet",
        "demo": "Demo-Daten – nicht für Entscheidungen verwenden",
        "schematic": "schematische Grenzen",
        "withheld": "„.“ = aus Gründen der Geheimhaltung zurückgehalten",
        "sources": "Quellen und Lizenzen",
        "generated": "Erstellt mit sqe-geo {version} am {date}",
        "age_withheld": "zurückgehalten",
    },
    "en": {
        "title": "Quarter profile",
        "planning_area": "Planning area",
        "year": "Year",
        "key_figures": "Key figures",
        "age_structure": "Age structure",
        "age_group": "Age group",
        "persons": "Persons",
        "share": "Share (%)",
        "accessibility": "Walking accessibility",
        "no_accessibility": "No accessibility indicators were computed for this study.",
        "comparison": "Comparison with planning area and city",
        "indicator": "Indicator",
        "unit": "Unit",
        "quarter": "Quarter",
        "city": "City",
        "rank": "rank among {n} quarters (1 = highest value)",
        "map": "Location in the city",
        "demo": "Demo data – not for decisions",
        "schematic": "schematic boundaries",
        "withheld": '"." = withheld for confidentiality',
        "sources": "Sources and licences",
        "generated": "Generated with sqe-geo {version} on {date}",
        "age_withheld": "withheld",
    },
}


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
        return NOT_COMPUTED_MARK.get(language, NOT_COMPUTED_MARK["en"])
    if withheld:
        return "."
    return format_number(value, decimals, language) if not pd.isna(value) else "–"


def category_label(results: Results, key: str, language: str = "de") -> str:
    """The label of a service category (its key when the study does not define it)."""
    services = results.study.config.services
    cat = services.categories.get(key) if services is not None else None
    if cat is None:
        return key
    return cat.label_en if language == "en" else cat.label_de


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
    text = TEXT[language]
    for groups in AGE_STRUCTURE:
        if key in counts.index and all(g in counts.columns for g in groups):
            break
    else:
        return pd.DataFrame(columns=[text["age_group"], text["persons"], text["share"]])
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
            text["age_group"]: [labels.get(g, g) for g in groups],
            text["persons"]: [nan if p is None else p for p in persons],
            text["share"]: shares,
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
        raise KeyError(f"unknown quarter {quarter_id!r}")
    name = str(units.loc[quarter_id, "name"])
    area = str(units.loc[quarter_id, "planning_area"])
    text = TEXT[language]
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
                text["indicator"]: ind.label(language),
                text["unit"]: ind.unit(language),
                text["quarter"]: _text(*q, ind.decimals, language),
                text["planning_area"]: _text(*a, ind.decimals, language),
                text["city"]: _text(*c, ind.decimals, language),
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
                text["indicator"]: ind.label(language).removeprefix(f"{label}: "),
                text["unit"]: ind.unit(language),
                text["quarter"]: _text(*q, ind.decimals, language),
                text["planning_area"]: _text(*a, ind.decimals, language),
                text["city"]: _text(*c, ind.decimals, language),
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


def _age_bars_svg(table: pd.DataFrame, language: str) -> str:
    text = TEXT[language]
    width, bar_h, gap, label_w = 420, 18, 6, 70
    height = len(table) * (bar_h + gap) + gap
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
        f"<title>{html.escape(text['age_structure'])}</title>"
    ]
    shares = table[text["share"]].astype(float)
    top = max(float(shares.max()) if shares.notna().any() else 1.0, 1.0)
    for i, row in enumerate(table.itertuples(index=False)):
        group, persons, share = row
        y = gap + i * (bar_h + gap)
        out.append(
            f'<text x="0" y="{y + bar_h - 4}" font-size="12">{html.escape(str(group))}</text>'
        )
        if pd.isna(share):
            out.append(
                f'<text x="{label_w}" y="{y + bar_h - 4}" font-size="12" fill="#666">'
                f"{html.escape(text['age_withheld'])}</text>"
            )
            continue
        w = (width - label_w - 120) * float(share) / top
        out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#fc8d59"/>')
        label = f"{format_number(share, 1, language)} % ({format_number(persons, 0, language)})"
        out.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h - 4}" font-size="12">{label}</text>'
        )
    out.append("</svg>")
    return "".join(out)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color: #222;
       max-width: 900px; margin: 24px auto; padding: 0 16px; font-size: 14px; }
h1 { font-size: 24px; margin-bottom: 0; } h2 { font-size: 17px; margin-top: 26px;
     border-bottom: 1px solid #ccc; padding-bottom: 3px; }
.sub { color: #555; margin-top: 4px; }
.banner { background: #fff3cd; border: 1px solid #e0c36b; padding: 6px 10px; margin: 10px 0;
          font-weight: 600; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
           gap: 10px; }
.figure { border: 1px solid #ddd; border-radius: 4px; padding: 8px 10px; }
.figure .v { font-size: 20px; font-weight: 600; } .figure .l { color: #444; }
.figure .r { color: #777; font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin-top: 6px; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 6px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.row2 { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
footer { margin-top: 30px; color: #666; font-size: 12px; border-top: 1px solid #ccc;
         padding-top: 6px; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; }
               table, .figures, svg { page-break-inside: avoid; } }
"""


def _table_html(frame: pd.DataFrame, numeric_from: int = 2) -> str:
    head = "".join(
        f'<th class="{"num" if i >= numeric_from else ""}">{html.escape(str(c))}</th>'
        for i, c in enumerate(frame.columns)
    )
    body = []
    for row in frame.itertuples(index=False):
        cells = "".join(
            f'<td class="{"num" if i >= numeric_from else ""}">{html.escape(str(v))}</td>'
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def profile_html(
    results: Results,
    quarter_id: str,
    year: int,
    language: str = "de",
    *,
    indicator_id: str | None = None,
) -> str:
    """The quarter profile as one self-contained, printable HTML document.

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
    """
    text = TEXT[language]
    profile = quarter_profile(results, quarter_id, year, language)
    config = results.study.config
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{language}"><head><meta charset="utf-8">',
        f"<title>{esc(text['title'])}: {esc(profile.name)} ({year})</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{esc(text['title'])}: {esc(profile.name)}</h1>",
        f'<p class="sub">{esc(text["planning_area"])}: {esc(profile.planning_area)} · '
        f"{esc(text['year'])}: {year}"
        + (f" · {esc(config.title)}" if config.title else "")
        + "</p>",
    ]
    if config.demo or config.schematic_boundaries:
        flags = [text["demo"]] if config.demo else []
        if config.schematic_boundaries:
            flags.append(text["schematic"])
        parts.append(f'<div class="banner">{esc(" · ".join(flags))}</div>')
    parts.append(f"<h2>{esc(text['key_figures'])}</h2><div class='figures'>")
    for fig in profile.key_figures:
        rank = (
            f'<div class="r">{fig.rank}. – {esc(text["rank"].format(n=profile.n_quarters))}</div>'
            if fig.rank
            else ""
        )
        parts.append(
            f'<div class="figure"><div class="v">{esc(fig.text)} '
            f'<small>{esc(fig.unit)}</small></div><div class="l">{esc(fig.label)}</div>'
            f"{rank}</div>"
        )
    parts.append("</div>")
    parts.append('<div class="row2"><div>')
    parts.append(f"<h2>{esc(text['age_structure'])}</h2>")
    if len(profile.age_structure):
        parts.append(_age_bars_svg(profile.age_structure, language))
    parts.append("</div><div>")
    parts.append(f"<h2>{esc(text['map'])}</h2>")
    parts.append(location_svg(results, quarter_id, year, indicator_id, width=300))
    parts.append("</div></div>")
    parts.append(f"<h2>{esc(text['comparison'])}</h2>")
    parts.append(_table_html(profile.comparison))
    parts.append(f"<h2>{esc(text['accessibility'])}</h2>")
    if profile.accessibility:
        for label, table in profile.accessibility.items():
            parts.append(f"<h3>{esc(label)}</h3>")
            parts.append(_table_html(table))
    else:
        parts.append(f"<p>{esc(text['no_accessibility'])}</p>")
    parts.append(f"<p class='sub'>{esc(text['withheld'])}</p>")
    codes = {
        str(c)
        for level in ("quarter", "planning_area", "city")
        for c in np.unique(results.status_of(level).to_numpy(dtype=str))
    }
    note = status_note(sorted(codes - {""}), language)
    if note:  # what "n. b." and partial figures mean, as in the exported tables
        parts.append(f"<p class='sub'>{esc(note)}</p>")
    if config.sources:
        parts.append(f"<h2>{esc(text['sources'])}</h2><ul>")
        for src in config.sources:
            bits = [src.name, src.licence, src.date, src.url, src.note]
            parts.append(f"<li>{esc(' – '.join(b for b in bits if b))}</li>")
        parts.append("</ul>")
    generated = text["generated"].format(
        version=__version__, date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    )
    parts.append(f"<footer>{esc(generated)}</footer></body></html>")
    return "\n".join(parts)
