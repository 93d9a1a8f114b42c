"""The indicator catalog: its entries, template expansion and loading.

Indicators are data, not code: each ``[[indicator]]`` entry of ``indicators/*.toml`` gives
an id, German and English labels and units, a *kind*, named inputs (count columns), a
direction and a description. :func:`sqe_geo.stats.evaluation.evaluate` computes them from
a table of additive counts at any level, so a planning area's share is its summed numerator
over its summed denominator, never a mean of quarter shares.

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
                in both years (see :func:`sqe_geo.stats.evaluation.paired_change_counts`)
``value``       value — a column computed per level elsewhere (e.g. a median), taken as is;
                optional ``base``: the persons it is taken over (withheld when small)

An entry with ``for_each = "category"`` (or ``"capacity_category"``) is expanded once per
service category of the study; ``{cat}``, ``{cat_de}``, ``{cat_en}`` and ``{threshold}``
are filled in. ``{young}``, ``{older}``, … are replaced by the study's age ranges.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sqe_geo._errors import StudyConfigError
from sqe_geo._resources import data_folder
from sqe_geo.i18n.messages import Message, text

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
#: Multiplier of the ratio-like kinds (``share`` and ``ratio`` per 100, ``per_1000``).
RATIO_FACTOR = {"share": 100.0, "ratio": 100.0, "per_1000": 1000.0, "mean": 1.0}
_DIRECTIONS = ("higher_is_better", "higher_is_worse", "neutral")
#: The catalog text (``stats.formula.<key>``) of each kind's formula.
_FORMULA = {
    "share": "ratio_100",
    "ratio": "ratio_100",
    "per_1000": "per_1000",
    "mean": "mean",
    "minutes": "minutes",
    "change_abs": "change_abs",
    "change_pct": "change_pct",
}


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
    source_de: str = ""
    source_en: str = ""
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

    def source_text(self, language: str = "de") -> str:
        """The source in ``"de"`` or ``"en"`` (``source_de``/``source_en``, else ``source``)."""
        given = self.source_en if language == "en" else self.source_de
        return given or self.source

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

    def formula(self, language: str = "en") -> str:
        """A short formula text for definition tables, in ``"de"`` or ``"en"``."""
        if self.kind in ("count", "value"):
            return self.inputs["value"]
        key = _FORMULA.get(self.kind)
        return text(f"stats.formula.{key}", language, **self.inputs) if key else ""


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
                "kind": text(f"stats.kind.{i.kind}", language),
                "formula": i.formula(language),
                "direction": i.direction,
                "description": i.description(language),
                "source": i.source_text(language),
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
                description_de=_with_distances(ind.description_de, label_de, "de"),
                description_en=_with_distances(ind.description_en, label_en, "en"),
            )
        out.append(ind)
    return Catalog(out)


def _with_distances(description: str, method: str, language: str) -> str:
    """A description followed by the sentence naming the distance method."""
    return f"{description} {text('stats.catalog.distances', language, method=method)}".strip()


def _fill(ind: Indicator, context: Mapping[str, str]) -> Indicator:
    def fmt(template: str, language: str = "de") -> str:
        given = {"base_year": text("stats.catalog.base_year_word", language), **context}
        try:
            return template.format_map(given)
        except (KeyError, IndexError, ValueError) as exc:
            raise StudyConfigError(
                Message(
                    "stats.catalog.unknown_placeholder",
                    id=repr(ind.id),
                    placeholder=str(exc),
                    text=repr(template),
                    known=", ".join("{" + k + "}" for k in context),
                )
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
            raise StudyConfigError(Message("stats.catalog.missing_key", where=where, key=repr(key)))
    kind, ident = entry["kind"], repr(entry["id"])
    if kind not in _INPUTS:
        raise StudyConfigError(
            Message(
                "stats.catalog.unknown_kind",
                where=where,
                id=ident,
                kind=repr(kind),
                kinds=", ".join(_INPUTS),
            )
        )
    needed = set(_INPUTS[kind])
    allowed = needed | set(_OPTIONAL_INPUTS.get(kind, ()))
    given = set(entry["inputs"])
    if not needed <= given <= allowed:
        raise StudyConfigError(
            Message(
                "stats.catalog.wrong_inputs",
                where=where,
                id=ident,
                kind=repr(kind),
                needed=sorted(needed),
                optional=sorted(allowed - needed),
                given=sorted(given),
            )
        )
    if entry.get("direction", "neutral") not in _DIRECTIONS:
        raise StudyConfigError(
            Message(
                "stats.catalog.unknown_direction",
                where=where,
                id=ident,
                direction=repr(entry["direction"]),
                directions=", ".join(_DIRECTIONS),
            )
        )
    known = set(Indicator.__dataclass_fields__) - {"category"}
    unknown = set(entry) - known
    if unknown:
        raise StudyConfigError(
            Message("stats.catalog.unknown_keys", where=where, id=ident, keys=sorted(unknown))
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
            raise StudyConfigError(Message("stats.catalog.no_folder", folder=str(folder)))
        files = sorted(Path(folder).glob("*.toml"))
        if not files:
            raise StudyConfigError(Message("stats.catalog.no_files", folder=str(folder)))
        for path in files:
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise StudyConfigError(
                    Message("stats.catalog.not_toml", path=str(path), error=str(exc))
                ) from None
            for entry in data.get("indicator", []):
                ind = _parse_entry(entry, str(path))
                if ind.id in seen:
                    raise StudyConfigError(
                        Message(
                            "stats.catalog.defined_twice",
                            id=repr(ind.id),
                            first=seen[ind.id],
                            second=str(path),
                        )
                    )
                seen[ind.id] = str(path)
                indicators.append(ind)
    if not indicators:
        raise StudyConfigError(
            Message("stats.catalog.empty", folders=", ".join(str(f) for f in folders))
        )
    return Catalog(indicators)
