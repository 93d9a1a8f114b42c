"""The input layers of a study file: where each input is and how it is read.

One pydantic model per section that names an input file (``[quarters]``,
``[planning_areas]``, ``[demographics]``, ``[population_grid]``, ``[services]`` with its
categories, ``[network]``), their common base :class:`ConfigModel`, and the age ranges of
the demographics' bands (:func:`parse_age_range`). The whole study is
:class:`sqe_geo.config.StudyConfig`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sqe_geo._errors import StudyConfigError
from sqe_geo.config_database import DatabaseKeys, DatabaseUrl, is_database_url
from sqe_geo.i18n.messages import Message

_RANGE = re.compile(r"^\s*(\d{1,3})\s*(?:(\+)|[-–]\s*(\d{1,3}))\s*$")


def parse_age_range(text: str) -> tuple[int, int | None]:
    """Parse an age range such as ``"20-64"`` or ``"80+"``.

    Parameters
    ----------
    text
        ``"LOW-HIGH"`` (both inclusive, in years) or ``"LOW+"`` (open-ended).

    Returns
    -------
    tuple
        ``(low, high)`` with ``high`` None for an open-ended range.

    Raises
    ------
    StudyConfigError
        If the text is not a valid range (a :class:`ValueError`).
    """
    match = _RANGE.match(str(text))
    if not match:
        raise StudyConfigError(Message("study.config.age_range_form", text=repr(text)))
    low = int(match.group(1))
    if match.group(2):
        return low, None
    high = int(match.group(3))
    if high < low:
        raise StudyConfigError(Message("study.config.age_range_order", text=repr(text)))
    return low, high


def format_age_range(age_range: tuple[int, int | None]) -> str:
    """Format ``(65, None)`` as ``"65+"`` and ``(20, 64)`` as ``"20–64"``."""
    low, high = age_range
    return f"{low}+" if high is None else f"{low}–{high}"


class ConfigModel(BaseModel):
    """Base of the study file's sections: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceInfo(ConfigModel):
    """Provenance of one input, shown in exports and the app."""

    name: str
    licence: str = ""
    url: str = ""
    date: str = ""
    note: str = ""


class LayerConfig(DatabaseKeys):
    """A geodata file (or a PostGIS table or query): path, optional layer name and a CRS
    for files that lack one."""

    path: DatabaseUrl | Path = Field(union_mode="left_to_right")
    layer: str | None = None
    crs: str | None = Field(
        default=None, description="CRS of the file when the file itself does not declare one"
    )


class QuartersConfig(LayerConfig):
    """Quarter boundaries (Stadtteile): a polygon layer or an OpenStreetMap file."""

    id_column: str = "quarter_id"
    name_column: str = "name"
    planning_area_column: str | None = None
    admin_level: int | list[int] = Field(
        default=9, description="OSM input: admin_level of the quarters (9 or 10)"
    )
    bbox: tuple[float, float, float, float] | None = Field(
        default=None,
        description="keep quarters whose inner point lies in (lon_min, lat_min, lon_max, "
        "lat_max), WGS84 — e.g. one city's quarters out of a regional OSM file",
    )


class PlanningAreasConfig(DatabaseKeys):
    """Which quarter belongs to which planning area: a table or an inline mapping."""

    path: DatabaseUrl | Path | None = Field(default=None, union_mode="left_to_right")
    quarter_column: str = "quarter_id"
    area_column: str = "planning_area"
    header_row: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="line of the header when title rows stand above it"
    )
    mapping: dict[str, list[str]] | None = Field(
        default=None, description="planning-area name -> list of quarter ids or names"
    )

    @model_validator(mode="after")
    def _one_source(self) -> PlanningAreasConfig:
        if (self.path is None) == (self.mapping is None):
            raise StudyConfigError(Message("study.config.planning_areas_source"))
        return self


class DemographicsConfig(DatabaseKeys):
    """Residents per quarter, year and age band.

    Layouts: ``wide`` (one column per band), ``long`` (one row per band) — both CSV or
    XLSX —, ``portal`` (Karlsruhe Transparenzportal: one CSV per band, keyed by
    Stadtteil name, ``files`` maps each file to its band name) and ``zensus`` (sums of the
    study's Zensus 2022 grid per quarter, for a city without its own statistics).
    """

    path: DatabaseUrl | Path | None = Field(default=None, union_mode="left_to_right")
    files: dict[str, str] | None = Field(
        default=None, description="portal layout: file -> band name (several files may sum)"
    )
    value_column: str | None = Field(
        default=None, description="long layout: the count column; portal: e.g. 'Personen'"
    )
    sheet: str | None = None
    layer: str | None = Field(
        default=None, description="layer of a vector file whose attribute table holds the counts"
    )
    header_row: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="line of the header when title rows stand above it"
    )
    layout: Literal["wide", "long", "portal", "zensus"] = "wide"
    key_column: str | None = Field(
        default=None, description="column with the quarter id or name (not for 'portal')"
    )
    year_column: str | None = None
    year: int | None = Field(default=None, description="the year when there is no year column")
    total_column: str | None = Field(
        default=None, description="total residents (wide) or the band value meaning total (long)"
    )
    band_column: str | None = Field(default=None, description="long layout: the band column")
    bands: dict[str, str] = Field(
        default_factory=dict,
        description="band column (wide) or band value (long) -> age range like '0-19' or '80+'",
    )

    @field_validator("bands")
    @classmethod
    def _ranges(cls, bands: dict[str, str]) -> dict[str, str]:
        for name, text in bands.items():
            try:
                parse_age_range(text)
            except StudyConfigError as exc:
                problem = Message("study.config.band_range", name=repr(name), problem=exc.message)
                raise StudyConfigError(problem) from None
        return bands

    @model_validator(mode="after")
    def _layout(self) -> DemographicsConfig:
        if self.layout == "zensus":
            return self
        problem = self._problem()
        if problem:
            raise StudyConfigError(Message(f"study.config.{problem}"))
        return self

    def _problem(self) -> str | None:
        """The catalog key (``study.config.<key>``) of the first missing key, if any."""
        if not self.bands:
            return "bands_missing"
        if self.layout == "portal":
            if not self.files:
                return "portal_files"
        elif self.path is None:
            return "demographics_path"
        elif self.key_column is None:
            return "key_column"
        if self.layout == "portal" and self.year_column is None:
            return None
        if self.year_column is None and self.year is None:
            return "year_column"
        if self.layout == "long" and (self.band_column is None or self.value_column is None):
            return "long_layout"
        if self.total_column is None:
            return "total_column"
        return None


class PopulationGridConfig(LayerConfig):
    """Residents' locations: a raster (one band per age group), a point layer, or
    Zensus 2022 grid CSVs (``path`` plus ``additional_paths`` for more topics)."""

    path: Path  # files only

    @field_validator("path", mode="before")
    @classmethod
    def _file_only(cls, path: object) -> object:
        if is_database_url(path):
            raise StudyConfigError(Message("postgis.grid_file_only"))
        return path

    additional_paths: list[Path] = Field(
        default_factory=list, description="Zensus: more topic CSVs merged on the cell id"
    )
    year: int | None = Field(default=None, description="year the counts refer to")
    bands: dict[str, str] | None = Field(
        default=None, description="raster band description or point column -> age group"
    )
    total_band: str = "total"
    x_column: str | None = Field(default=None, description="CSV points: x/longitude column")
    y_column: str | None = Field(default=None, description="CSV points: y/latitude column")


class CategoryConfig(ConfigModel):
    """One service category and its accessibility threshold."""

    label_de: str
    label_en: str
    values: list[str] | None = Field(
        default=None, description="values of the category column meaning this category"
    )
    threshold_m: Annotated[float, Field(gt=0)] | None = None
    threshold_min: Annotated[float, Field(gt=0)] | None = None
    capacity: bool = Field(default=False, description="capacity-bound: E2SFCA on 'capacity'")
    more_thresholds_m: list[Annotated[float, Field(gt=0)]] = Field(
        default_factory=list,
        description="further coverage thresholds in metres (e.g. transit stops within 500 m too)",
    )

    def label(self, language: str = "de") -> str:
        """The category's label in ``"de"`` or ``"en"``."""
        return self.label_en if language == "en" else self.label_de

    @model_validator(mode="after")
    def _threshold(self) -> CategoryConfig:
        if self.threshold_m is not None and self.threshold_min is not None:
            raise StudyConfigError(Message("study.config.threshold_both"))
        return self


def _default_categories() -> dict[str, CategoryConfig]:
    return {
        "food": CategoryConfig(label_de="Lebensmittel", label_en="Food store", threshold_m=500),
        "pharmacy": CategoryConfig(label_de="Apotheke", label_en="Pharmacy", threshold_m=1000),
        "gp": CategoryConfig(label_de="Hausarzt", label_en="GP", threshold_m=1000),
        "transit_stop": CategoryConfig(
            label_de="ÖPNV-Haltestelle", label_en="Transit stop", threshold_m=300
        ),
        "meeting_place": CategoryConfig(
            label_de="Begegnungsort", label_en="Meeting place", threshold_m=1000
        ),
        "care_home": CategoryConfig(
            label_de="Pflegeheim", label_en="Care home", threshold_m=1000, capacity=True
        ),
        "bench": CategoryConfig(label_de="Sitzbank", label_en="Bench", threshold_m=150),
    }


class ServicesConfig(LayerConfig):
    """Service locations (points; polygons are used through a representative point)."""

    id_column: str | None = None
    category_column: str = "category"
    name_column: str | None = None
    capacity_column: str | None = None
    synthetic_column: str | None = Field(
        default=None,
        description="column marking invented services (true/false, ja/nein, 1/0): maps and "
        "legends say 'synthetisch'",
    )
    osm_presets: dict[str, dict[str, Any]] | None = Field(
        default=None, description="OSM input: overrides of the tag presets per category"
    )
    json_category_field: str = Field(
        default="subcategory", description="JSON place list: field holding the category"
    )
    json_categories: dict[str, str] | None = Field(
        default=None, description="JSON place list: field value -> category"
    )
    x_column: str | None = Field(default=None, description="CSV: x/longitude column")
    y_column: str | None = Field(default=None, description="CSV: y/latitude column")
    categories: dict[str, CategoryConfig] = Field(
        default_factory=_default_categories,
        description="merged with the defaults: a study only names what it changes or adds",
    )

    @field_validator("categories", mode="before")
    @classmethod
    def _merge_defaults(cls, given: object) -> object:
        if not isinstance(given, dict):
            return given
        merged: dict[str, object] = {
            key: cat.model_dump(exclude_none=True) for key, cat in _default_categories().items()
        }
        for key, value in given.items():
            base = merged.get(key)
            if isinstance(base, dict) and isinstance(value, dict):
                value = {**base, **value}
                if "threshold_min" in value and "threshold_m" not in given[key]:
                    value.pop("threshold_m", None)
            merged[key] = value
        return merged

    @model_validator(mode="after")
    def _one_category_per_value(self) -> ServicesConfig:
        claimed: dict[str, str] = {}
        for key, cat in self.categories.items():
            for value in cat.values or [key]:
                if value in claimed:
                    raise StudyConfigError(
                        Message(
                            "study.config.value_claimed",
                            value=repr(value),
                            first=repr(claimed[value]),
                            second=repr(key),
                        )
                    )
                claimed[value] = key
        return self


class NetworkConfig(LayerConfig):
    """Walking network: line layer or OpenStreetMap file (.osm, .osm.pbf), or a list of
    such files (e.g. adjacent OSM extracts) that are merged into one network."""

    path: DatabaseUrl | Path | list[Path] = Field(union_mode="left_to_right")  # type: ignore[assignment]

    @field_validator("path")
    @classmethod
    def _some(cls, path: str | Path | list[Path]) -> str | Path | list[Path]:
        if isinstance(path, list) and not path:
            raise StudyConfigError(Message("study.config.network_empty"))
        return path
