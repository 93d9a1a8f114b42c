"""The indicator catalog and its evaluation from counts.

Indicators are data, not code: each ``[[indicator]]`` entry of ``indicators/*.toml`` gives
an id, German and English labels and units, a *kind*, named inputs (count columns), a
direction and a description. :func:`evaluate` computes them from a table of additive counts
at any level, so a planning area's share is its summed numerator over its summed
denominator, never a mean of quarter shares.

Kinds and their inputs
----------------------
``count``       value
``share``       numerator, denominator — numerator / denominator × 100
``ratio``       numerator, denominator — numerator / denominator × 100 ("per 100")
``per_1000``    numerator, denominator — numerator / denominator × 1000
``mean``        numerator, denominator — numerator / denominator (e.g. mean distance)
``minutes``     numerator, denominator — numerator / denominator / speed / 60
``change_abs``  value — value(year) − value(base year)
``change_pct``  value — (value(year) − value(base year)) / value(base year) × 100;
                at every level both sums run over the same quarters: those with the value
                in both years (see :func:`paired_change_counts`)
``value``       value — a column computed per level elsewhere (e.g. a median), taken as is;
                optional ``base``: the persons it is taken over (withheld when small)

An entry with ``for_each = "category"`` (or ``"capacity_category"``) is expanded once per
service category of the study; ``{cat}``, ``{cat_de}``, ``{cat_en}`` and ``{threshold}``
are filled in. ``{young}``, ``{older}``, … are replaced by the study's age ranges.
"""

from __future__ import annotations

import tomllib
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from sqe_geo._errors import StudyConfigError
from sqe_geo._resources import data_folder
from sqe_geo.stats.aggregate import Level

#: The catalog shipped with sqe-geo.
CATALOG_FOLDER = data_folder("sqe_geo.catalog", "indicators")

Kind = Literal[
    "count", "share", "ratio", "per_1000", "mean", "minutes", "change_abs", "change_pct", "value"
]
Direction = Literal["higher_is_better", "higher_is_worse", "neutral"]

_INPUTS: dict[str, tuple[str, ...]] = {
    "count": ("value",),
    "share": ("numerator", "denominator"),
    "ratio": ("numerator", "denominator"),
    "per_1000": ("numerator", "denominator"),
    "mean": ("numerator", "denominator"),
    "minutes": ("numerator", "denominator"),
    "change_abs": ("value",),
    "change_pct": ("value",),
    "value": ("value",),
}
#: Inputs a kind may have besides the required ones: ``base`` names the persons a
#: per-level value (e.g. a median distance) is taken over, for disclosure control.
_OPTIONAL_INPUTS: dict[str, tuple[str, ...]] = {"value": ("base",)}
_FACTOR = {"share": 100.0, "ratio": 100.0, "per_1000": 1000.0, "mean": 1.0}
_DIRECTIONS = ("higher_is_better", "higher_is_worse", "neutral")


@dataclass(frozen=True)
class Indicator:
    """One catalog entry (after template expansion)."""

    id: str
    kind: Kind
    inputs: Mapping[str, str]
    label_de: str
    label_en: str
    unit_de: str = ""
    unit_en: str = ""
    direction: Direction = "neutral"
    theme: str = "ageing"
    decimals: int = 1
    description_de: str = ""
    description_en: str = ""
    source: str = ""
    for_each: str | None = None
    #: Expand also once per further threshold of the category (``more_thresholds_m``).
    per_threshold: bool = False
    category: str | None = None

    def label(self, language: str = "de") -> str:
        """The label in ``"de"`` or ``"en"``."""
        return self.label_en if language == "en" else self.label_de

    def unit(self, language: str = "de") -> str:
        """The unit in ``"de"`` or ``"en"``."""
        return self.unit_en if language == "en" else self.unit_de

    def description(self, language: str = "de") -> str:
        """The description in ``"de"`` or ``"en"``."""
        return self.description_en if language == "en" else self.description_de

    @property
    def denominator(self) -> str | None:
        """The count column a ratio-like indicator divides by (for disclosure control)."""
        if self.kind == "change_pct":
            return self.inputs["value"]
        return self.inputs.get("denominator")

    @property
    def is_count(self) -> bool:
        """Whether the indicator publishes a count of persons (small numbers suppressed)."""
        return self.kind in ("count", "change_abs")

    def formula(self) -> str:
        """A short formula text for definition tables."""
        i = self.inputs
        match self.kind:
            case "count" | "value":
                return i["value"]
            case "share" | "ratio":
                return f"{i['numerator']} / {i['denominator']} × 100"
            case "per_1000":
                return f"{i['numerator']} / {i['denominator']} × 1000"
            case "mean":
                return f"{i['numerator']} / {i['denominator']}"
            case "minutes":
                return f"{i['numerator']} / {i['denominator']} / walking speed / 60"
            case "change_abs":
                return f"{i['value']}(year) − {i['value']}(base year)"
            case "change_pct":
                return f"({i['value']}(year) − {i['value']}(base)) / {i['value']}(base) × 100"
        return ""


@dataclass(frozen=True)
class Category:
    """What template expansion needs to know about a service category."""

    key: str
    label_de: str
    label_en: str
    threshold: str
    capacity: bool = False
    #: Further thresholds: (count key, e.g. ``"transit_stop_500m"``, label ``"500 m"``).
    more_thresholds: tuple[tuple[str, str], ...] = ()


@dataclass
class Catalog:
    """An ordered collection of indicators."""

    indicators: list[Indicator] = field(default_factory=list)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def __getitem__(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def __contains__(self, indicator_id: object) -> bool:
        return any(ind.id == indicator_id for ind in self.indicators)

    @property
    def ids(self) -> list[str]:
        """Indicator ids in catalog order."""
        return [ind.id for ind in self.indicators]

    def expand(
        self,
        age_labels: Mapping[str, str],
        categories: Iterable[Category] = (),
        *,
        base_year: int | None = None,
    ) -> Catalog:
        """Fill in age ranges (and ``{base_year}``) and expand per-category entries.

        Without ``base_year`` the placeholder reads "Basisjahr" / "base year".
        """
        categories = list(categories)
        base = {"base_year": str(base_year)} if base_year is not None else {}
        out: list[Indicator] = []
        for ind in self.indicators:
            if ind.for_each is None:
                out.append(_fill(ind, {**age_labels, **base}))
                continue
            for cat in categories:
                if ind.for_each == "capacity_category" and not cat.capacity:
                    continue
                context = {
                    **age_labels,
                    **base,
                    "cat": cat.key,
                    "cat_de": cat.label_de,
                    "cat_en": cat.label_en,
                    "threshold": cat.threshold,
                }
                out.append(replace(_fill(ind, context), category=cat.key))
                if ind.per_threshold:
                    for key, label in cat.more_thresholds:
                        extra = {**context, "cat": key, "threshold": label}
                        out.append(replace(_fill(ind, extra), category=cat.key))
        return Catalog(out)

    def available(self, columns: Iterable[str]) -> tuple[Catalog, list[Indicator]]:
        """Split into indicators whose inputs exist in ``columns`` and those that lack some."""
        present = set(columns)
        ok = [i for i in self.indicators if set(i.inputs.values()) <= present]
        missing = [i for i in self.indicators if not set(i.inputs.values()) <= present]
        return Catalog(ok), missing

    def definitions(self, language: str = "de") -> pd.DataFrame:
        """A table of definitions (for exports and the app)."""
        rows = [
            {
                "id": i.id,
                "label": i.label(language),
                "unit": i.unit(language),
                "kind": i.kind,
                "formula": i.formula(),
                "direction": i.direction,
                "description": i.description(language),
                "source": i.source,
            }
            for i in self.indicators
        ]
        return pd.DataFrame(rows)


def with_method(catalog: Catalog, which: Iterable[str], label_de: str, label_en: str) -> Catalog:
    """Name the distance method in the labels and descriptions of the indicators ``which``.

    Used when distances are straight line × detour factor, so every table header, sheet,
    legend and profile that shows the label says so.
    """
    wanted = set(which)
    out = []
    for ind in catalog:
        if ind.id in wanted:
            ind = replace(
                ind,
                label_de=f"{ind.label_de} ({label_de})",
                label_en=f"{ind.label_en} ({label_en})",
                description_de=f"{ind.description_de} Entfernungen: {label_de}.".strip(),
                description_en=f"{ind.description_en} Distances: {label_en}.".strip(),
            )
        out.append(ind)
    return Catalog(out)


#: The words for ``{base_year}`` when a catalog is expanded without a study's base year.
_BASE_YEAR_WORD = {"de": "Basisjahr", "en": "base year"}


def _fill(ind: Indicator, context: Mapping[str, str]) -> Indicator:
    def fmt(text: str, language: str = "de") -> str:
        given = {"base_year": _BASE_YEAR_WORD[language], **context}
        try:
            return text.format_map(given)
        except (KeyError, IndexError, ValueError) as exc:
            raise StudyConfigError(
                f"indicator {ind.id!r}: placeholder {exc} in {text!r} is unknown. Known: "
                f"{', '.join('{' + k + '}' for k in context)}."
            ) from None

    return replace(
        ind,
        id=fmt(ind.id),
        inputs={k: fmt(v) for k, v in ind.inputs.items()},
        label_de=fmt(ind.label_de),
        label_en=fmt(ind.label_en, "en"),
        unit_de=fmt(ind.unit_de),
        unit_en=fmt(ind.unit_en, "en"),
        description_de=fmt(ind.description_de),
        description_en=fmt(ind.description_en, "en"),
    )


def _parse_entry(entry: Mapping[str, Any], where: str) -> Indicator:
    entry = dict(entry)
    for key in ("id", "kind", "inputs", "label_de", "label_en"):
        if key not in entry:
            raise StudyConfigError(f"{where}: an indicator lacks the required key {key!r}.")
    kind = entry["kind"]
    if kind not in _INPUTS:
        raise StudyConfigError(
            f"{where}: indicator {entry['id']!r} has unknown kind {kind!r}; "
            f"use one of {', '.join(_INPUTS)}."
        )
    needed = set(_INPUTS[kind])
    allowed = needed | set(_OPTIONAL_INPUTS.get(kind, ()))
    given = set(entry["inputs"])
    if not needed <= given <= allowed:
        raise StudyConfigError(
            f"{where}: indicator {entry['id']!r} of kind {kind!r} needs inputs "
            f"{sorted(needed)} (optional: {sorted(allowed - needed)}), got {sorted(given)}."
        )
    if entry.get("direction", "neutral") not in _DIRECTIONS:
        raise StudyConfigError(
            f"{where}: indicator {entry['id']!r} has direction {entry['direction']!r}; "
            f"use one of {', '.join(_DIRECTIONS)}."
        )
    known = set(Indicator.__dataclass_fields__) - {"category"}
    unknown = set(entry) - known
    if unknown:
        raise StudyConfigError(
            f"{where}: indicator {entry['id']!r} has unknown key(s) {sorted(unknown)}."
        )
    return Indicator(**entry)


def load_catalog(folders: Iterable[Path] | Path | None = None) -> Catalog:
    """Read every ``*.toml`` file of the catalog folder(s), in file-name order.

    Parameters
    ----------
    folders
        One folder or several (a study may add its own); the shipped catalog by default.

    Raises
    ------
    StudyConfigError
        For unknown kinds, missing or extra inputs, and duplicate ids (naming the file);
        for a folder that does not exist or holds no ``*.toml`` file, and for a catalog
        without any indicator (never zero indicators).
    """
    if folders is None:
        folders = [CATALOG_FOLDER]
    elif isinstance(folders, Path):
        folders = [folders]
    folders = list(folders)
    indicators: list[Indicator] = []
    seen: dict[str, str] = {}
    for folder in folders:
        if not Path(folder).is_dir():
            raise StudyConfigError(
                f"indicator catalog folder {folder} does not exist; name a folder with "
                "*.toml catalog files (the shipped catalog is sqe_geo's indicators/)."
            )
        files = sorted(Path(folder).glob("*.toml"))
        if not files:
            raise StudyConfigError(
                f"indicator catalog folder {folder} holds no *.toml file; add the catalog "
                "files or remove the folder from the study."
            )
        for path in files:
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise StudyConfigError(f"indicator catalog {path}: not valid TOML: {exc}") from None
            for entry in data.get("indicator", []):
                ind = _parse_entry(entry, str(path))
                if ind.id in seen:
                    raise StudyConfigError(
                        f"indicator id {ind.id!r} is defined twice ({seen[ind.id]} and {path})."
                    )
                seen[ind.id] = str(path)
                indicators.append(ind)
    if not indicators:
        raise StudyConfigError(
            f"the indicator catalog ({', '.join(str(f) for f in folders)}) defines no "
            "[[indicator]]; a run without indicators would publish empty tables."
        )
    return Catalog(indicators)


def _divide(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator.astype(float) / denominator.astype(float)
    return result.where(denominator > 0)


#: Suffixes of the paired sums of a change input (see :func:`paired_change_counts`).
NOW, AT_BASE = "@now", "@base"


def check_base_year(years: Iterable[int], base_year: int | None) -> int:
    """The base year of change indicators; an error that lists the years present."""
    present = sorted({int(y) for y in years})
    if base_year is None:
        return present[0]
    if int(base_year) not in present:
        raise StudyConfigError(
            f"base_year = {base_year} is not in the demographics; years present: "
            f"{', '.join(map(str, present))}. Set base_year to one of them."
        )
    return int(base_year)


def paired_change_counts(
    quarter_counts: pd.DataFrame,
    area_of: pd.Series,
    city_id: str,
    *,
    base_year: int | None,
    columns: Iterable[str],
) -> tuple[dict[Level, pd.DataFrame], list[tuple[str, int, str]]]:
    """Sums of change inputs over the same quarters in the year and the base year.

    For each column ``v`` and year ``t``, ``{v}@now`` is the sum of ``v`` in ``t`` and
    ``{v}@base`` the sum in the base year, both over the quarters that have ``v`` in both
    years. A quarter missing in one of the years is left out of both sums, so a planning
    area's change never compares different sets of quarters.

    Returns
    -------
    tuple
        Level -> table indexed ``(unit_id, year)``; and the ``(quarter, year, v)`` cells
        left out (for the quality report and the ``partial`` status of higher levels).
    """
    years = quarter_counts.index.get_level_values(1)
    base = check_base_year(years, base_year)
    out: dict[Level, dict[str, pd.Series]] = {"quarter": {}, "planning_area": {}, "city": {}}
    dropped: list[tuple[str, int, str]] = []
    for column in columns:
        wide = quarter_counts[column].astype(float).unstack(1)
        at_base = wide[base]
        has_base = at_base.notna().to_numpy()[:, None]
        paired = wide.notna().to_numpy() & has_base
        now = wide.where(paired)
        ref = pd.DataFrame(
            np.where(paired, at_base.to_numpy()[:, None], np.nan),
            index=wide.index,
            columns=wide.columns,
        )
        lost = (wide.notna().to_numpy() | has_base) & ~paired
        year_columns: list[Hashable] = list(wide.columns)
        lost[:, year_columns.index(base)] = False
        for quarter, year in zip(*np.nonzero(lost), strict=True):
            dropped.append((wide.index[quarter], int(wide.columns[year]), column))
        groups: dict[Level, pd.Index | np.ndarray | None] = {
            "quarter": None,
            # pandas-stubs: Index.map takes a Series too
            "planning_area": wide.index.map(area_of),  # type: ignore[arg-type]
            "city": np.full(len(wide), city_id),
        }
        for level, key in groups.items():
            for suffix, frame in ((NOW, now), (AT_BASE, ref)):
                summed = frame if key is None else frame.groupby(key).sum(min_count=1)
                # one column level, so stack gives a Series (the stubs say DataFrame | Series)
                long = cast(pd.Series, summed.stack(future_stack=True))
                long.index = long.index.set_names(["unit_id", "year"])
                out[level][column + suffix] = long
    tables = {level: pd.DataFrame(cols) for level, cols in out.items() if cols}
    return tables, dropped


def evaluate(
    catalog: Catalog,
    counts: pd.DataFrame,
    *,
    base_year: int | None = None,
    walking_speed_mps: float = 0.8,
) -> pd.DataFrame:
    """Evaluate every indicator from a table of counts.

    Parameters
    ----------
    catalog
        The (expanded) catalog; indicators whose inputs are missing give NaN columns.
    counts
        Index ``(unit_id, year)``; columns are additive counts (``total``, ``older``,
        ``within_food_older``, …) or per-level values for kind ``value``.
    base_year
        Reference year of change indicators (default: the earliest year).
    walking_speed_mps
        Speed that turns distances into minutes (kind ``minutes``).

    Returns
    -------
    pandas.DataFrame
        Same index, one column per indicator id. A ratio with a zero denominator is NaN.
    """
    years = counts.index.get_level_values("year")
    base = check_base_year(years, base_year)
    result: dict[str, pd.Series] = {}
    nan = pd.Series(np.nan, index=counts.index)
    for ind in catalog:
        if any(v not in counts.columns for v in ind.inputs.values()):
            result[ind.id] = nan
            continue
        cols = {k: counts[v] for k, v in ind.inputs.items()}
        match ind.kind:
            case "count" | "value":
                values = cols["value"].astype(float)
            case "share" | "ratio" | "per_1000" | "mean":
                values = _divide(cols["numerator"], cols["denominator"]) * _FACTOR[ind.kind]
            case "minutes":
                values = _divide(cols["numerator"], cols["denominator"]) / walking_speed_mps / 60
            case "change_abs" | "change_pct":
                value = cols["value"].astype(float)
                paired = ind.inputs["value"] + AT_BASE
                if paired in counts.columns:  # the same quarters in both years
                    value = counts[ind.inputs["value"] + NOW].astype(float)
                    reference = counts[paired].astype(float)
                else:
                    at_base = value[years == base].droplevel("year")
                    reference = pd.Series(
                        at_base.reindex(counts.index.get_level_values(0)).to_numpy(),
                        index=counts.index,
                    )
                values = value - reference
                if ind.kind == "change_pct":
                    values = _divide(values, reference) * 100.0
                values = values.where(years != base)
        result[ind.id] = values
    return pd.DataFrame(result, index=counts.index)
