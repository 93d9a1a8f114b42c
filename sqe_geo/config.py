"""The study file: a TOML description of one study, validated with pydantic.

A study names its input files (quarters, planning areas, demographics, residents'
locations, services, walking network), the age groups, the accessibility parameters and
the disclosure rules. Every default lives here, in one place. Relative paths are resolved
against the folder of the study file.

Example (the embedded demo, ``geodata/demo.toml``)::

    name = "demo"
    title = "Karlsruhe (Demo, schematisch)"

    [quarters]
    path = "quarters.gpkg"
    id_column = "quarter_id"
    name_column = "name"

    [planning_areas]
    path = "planning_areas.csv"
    quarter_column = "quarter_id"
    area_column = "planning_area"

    [demographics]
    path = "demographics.csv"
    key_column = "Stadtteil_Nr"
    year_column = "Jahr"
    total_column = "Einwohner"
    [demographics.bands]
    Alter_0_19 = "0-19"
    Alter_20_64 = "20-64"
    Alter_65_plus = "65+"
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sqe_geo._errors import StudyConfigError

#: The age groups every study maps its bands onto (identifiers; labels come from ranges).
AGE_GROUPS: tuple[str, ...] = ("young", "working_age", "older", "young_old", "oldest_old")

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
    ValueError
        If the text is not a valid range.
    """
    match = _RANGE.match(str(text))
    if not match:
        raise ValueError(f"age range {text!r} is not of the form '20-64' or '80+'")
    low = int(match.group(1))
    if match.group(2):
        return low, None
    high = int(match.group(3))
    if high < low:
        raise ValueError(f"age range {text!r} ends before it starts")
    return low, high


def format_age_range(age_range: tuple[int, int | None]) -> str:
    """Format ``(65, None)`` as ``"65+"`` and ``(20, 64)`` as ``"20–64"``."""
    low, high = age_range
    return f"{low}+" if high is None else f"{low}–{high}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceInfo(_Model):
    """Provenance of one input, shown in exports and the app."""

    name: str
    licence: str = ""
    url: str = ""
    date: str = ""
    note: str = ""


class LayerConfig(_Model):
    """A geodata file: path, optional layer name and a CRS for files that lack one."""

    path: Path
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


class PlanningAreasConfig(_Model):
    """Which quarter belongs to which planning area: a table or an inline mapping."""

    path: Path | None = None
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
            raise ValueError("give either 'path' (a table) or 'mapping', not both or neither")
        return self


class DemographicsConfig(_Model):
    """Residents per quarter, year and age band.

    Layouts: ``wide`` (one column per band), ``long`` (one row per band) — both CSV or
    XLSX —, ``portal`` (Karlsruhe Transparenzportal: one CSV per band, keyed by
    Stadtteil name, ``files`` maps each file to its band name) and ``zensus`` (sums of the
    study's Zensus 2022 grid per quarter, for a city without its own statistics).
    """

    path: Path | None = None
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
            except ValueError as exc:
                raise ValueError(f"band {name!r}: {exc}") from None
        return bands

    @model_validator(mode="after")
    def _layout(self) -> DemographicsConfig:
        if self.layout == "zensus":
            return self
        if not self.bands:
            raise ValueError("bands: give each band column with its age range, e.g. '0-19'")
        if self.layout == "portal":
            if not self.files:
                raise ValueError("the portal layout needs 'files' (file -> band name)")
        elif self.path is None:
            raise ValueError("give 'path' (the demographics table)")
        elif self.key_column is None:
            raise ValueError("key_column: required key is missing (quarter id or name column)")
        if self.layout == "portal" and self.year_column is None:
            return self
        if self.year_column is None and self.year is None:
            raise ValueError("give 'year_column' or, for a single-year table, 'year'")
        if self.layout == "long" and (self.band_column is None or self.value_column is None):
            raise ValueError("the long layout needs 'band_column' and 'value_column'")
        if self.total_column is None:
            raise ValueError("give 'total_column' (the published total residents)")
        return self


class AgeGroupsConfig(_Model):
    """Cut-offs of the age groups (official German definitions by default)."""

    young: str = "0-19"
    working_age: str = "20-64"
    older: str = "65+"
    young_old: str = "65-79"
    oldest_old: str = "80+"

    @model_validator(mode="after")
    def _valid(self) -> AgeGroupsConfig:
        for group in AGE_GROUPS:
            try:
                parse_age_range(getattr(self, group))
            except ValueError as exc:
                raise ValueError(f"{group}: {exc}") from None
        return self

    def ranges(self) -> dict[str, tuple[int, int | None]]:
        """Return the parsed age range of every group."""
        return {g: parse_age_range(getattr(self, g)) for g in AGE_GROUPS}

    def labels(self) -> dict[str, str]:
        """Return display labels such as ``{"older": "65+"}`` for catalog templates."""
        return {g: format_age_range(r) for g, r in self.ranges().items()}


class PopulationGridConfig(LayerConfig):
    """Residents' locations: a raster (one band per age group), a point layer, or
    Zensus 2022 grid CSVs (``path`` plus ``additional_paths`` for more topics)."""

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


class CategoryConfig(_Model):
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

    @model_validator(mode="after")
    def _threshold(self) -> CategoryConfig:
        if self.threshold_m is not None and self.threshold_min is not None:
            raise ValueError("give 'threshold_m' or 'threshold_min', not both")
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
                    raise ValueError(
                        f"the service value {value!r} is claimed by two categories, "
                        f"{claimed[value]!r} and {key!r}; give it to one of them"
                    )
                claimed[value] = key
        return self


class NetworkConfig(LayerConfig):
    """Walking network: line layer or OpenStreetMap file (.osm, .osm.pbf), or a list of
    such files (e.g. adjacent OSM extracts) that are merged into one network."""

    path: Path | list[Path]  # type: ignore[assignment]

    @field_validator("path")
    @classmethod
    def _some(cls, path: Path | list[Path]) -> Path | list[Path]:
        if isinstance(path, list) and not path:
            raise ValueError("give at least one network file")
        return path


class E2SFCAConfig(_Model):
    """Parameters of the enhanced two-step floating catchment."""

    catchment_m: Annotated[float, Field(gt=0)] = 1500.0
    decay: Literal["step", "gaussian"] = "step"
    steps: list[tuple[float, float]] = Field(
        default=[(500.0, 1.0), (1000.0, 0.68), (1500.0, 0.22)],
        description="(upper distance in m, weight) bands for the step decay",
    )
    population_group: str = "oldest_old"


class AccessibilityConfig(_Model):
    """Walking accessibility parameters (DOMAIN.md gives the sources of the defaults)."""

    walking_speed_mps: Annotated[float, Field(gt=0)] = 0.8
    max_snap_m: Annotated[float, Field(gt=0)] = 300.0
    detour_factor: Annotated[float, Field(ge=1)] = 1.3
    cutoff_m: Annotated[float, Field(gt=0)] = 5000.0
    e2sfca: E2SFCAConfig = Field(default_factory=E2SFCAConfig)
    #: A quarter's accessibility is "not computed" when more than this share of its older
    #: residents lie beyond the snap distance or on a network island without the service.
    max_unlocated_share: Annotated[float, Field(ge=0, le=1)] = 0.2
    #: Quarters without any residents' location: "not_computed" (default) or "even_grid"
    #: (spread over 100 m cells of the quarter, flagged as an approximation).
    unlocated_residents: Literal["not_computed", "even_grid"] = "not_computed"


class DisclosureConfig(_Model):
    """Statistical disclosure control (small-number suppression)."""

    enabled: bool = True
    min_count: Annotated[int, Field(ge=1)] = 3
    min_denominator: Annotated[int, Field(ge=1)] = 10
    lower_protection: Annotated[float, Field(ge=0)] = Field(
        default=3.0, description="a withheld count x stays possible down to x − this (or 0)"
    )
    upper_protection: Annotated[float, Field(ge=0)] = Field(
        default=3.0, description="a withheld count x stays possible up to x + this"
    )


class StudyConfig(_Model):
    """A whole study. Build it with :func:`load_config`."""

    name: str
    title: str = ""
    description: str = ""
    demo: bool = Field(default=False, description="the embedded demo (labelled as such)")
    schematic_boundaries: bool = False
    analysis_crs: str = "EPSG:25832"
    base_year: int | None = Field(default=None, description="reference year of change indicators")
    quarters: QuartersConfig
    planning_areas: PlanningAreasConfig | None = None
    demographics: DemographicsConfig
    age_groups: AgeGroupsConfig = Field(default_factory=AgeGroupsConfig)
    population_grid: PopulationGridConfig | None = None
    services: ServicesConfig | None = None
    network: NetworkConfig | None = None
    accessibility: AccessibilityConfig = Field(default_factory=AccessibilityConfig)
    disclosure: DisclosureConfig = Field(default_factory=DisclosureConfig)
    sources: list[SourceInfo] = Field(default_factory=list)
    indicator_folders: list[Path] = Field(
        default_factory=list,
        description="extra indicator catalog folders (*.toml), added to the shipped catalog",
    )
    folder: Path = Field(default=Path(), description="folder of the study file (set on load)")

    @field_validator("analysis_crs")
    @classmethod
    def _metric(cls, text: str) -> str:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            crs = CRS.from_user_input(text)
        except CRSError:
            raise ValueError(
                f"{text!r} is not a coordinate reference system; use a metric EPSG code such "
                "as 'EPSG:25832' (ETRS89 / UTM 32N)"
            ) from None
        if not crs.is_projected:
            raise ValueError(
                f"{text} is geographic (degrees), but distances and areas need a metric "
                "(projected) CRS; use e.g. 'EPSG:25832' (ETRS89 / UTM 32N) or the UTM zone "
                "of the study area"
            )
        return text

    def input_paths(self) -> list[Path]:
        """Return every input file the study reads (to keep outputs away from them)."""
        parts = [
            self.quarters,
            self.planning_areas,
            self.demographics,
            self.population_grid,
            self.services,
            self.network,
        ]
        paths: list[Path] = []
        for part in parts:
            path = getattr(part, "path", None) if part is not None else None
            if isinstance(path, list):
                paths += path
            elif path:
                paths.append(path)
        if self.demographics.files:
            paths += [Path(f) for f in self.demographics.files]
        if self.population_grid is not None:
            paths += list(self.population_grid.additional_paths)
        return paths


def _resolve(path: object, folder: Path) -> object:
    if isinstance(path, str) and not Path(path).is_absolute():
        return str((folder / path).resolve())
    return path


def _resolve_paths(data: dict[str, Any], folder: Path) -> None:
    if isinstance(data.get("indicator_folders"), list):
        data["indicator_folders"] = [_resolve(p, folder) for p in data["indicator_folders"]]
    for value in data.values():
        if isinstance(value, dict):
            if isinstance(value.get("path"), list):
                value["path"] = [_resolve(p, folder) for p in value["path"]]
            elif "path" in value:
                value["path"] = _resolve(value["path"], folder)
            if isinstance(value.get("files"), dict):
                value["files"] = {str(_resolve(k, folder)): v for k, v in value["files"].items()}
            if isinstance(value.get("additional_paths"), list):
                value["additional_paths"] = [_resolve(p, folder) for p in value["additional_paths"]]


def _format_validation_error(path: Path, exc: ValidationError) -> str:
    lines = [f"Study file {path} is not valid:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see the README for the keys)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"  - {key}: {msg}")
    return "\n".join(lines)


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate a study file.

    Parameters
    ----------
    path
        The TOML study file.

    Returns
    -------
    StudyConfig
        The validated study with absolute input paths.

    Raises
    ------
    StudyConfigError
        If the file is missing, not TOML, or a key is unknown, missing or invalid (the
        message names the key).
    """
    path = Path(path)
    if path.is_dir():
        raise StudyConfigError(
            f"Study file {path} is a folder, not a file; name the study's .toml file inside it."
        )
    if not path.is_file():
        raise StudyConfigError(f"Study file {path} does not exist. Check the path.")
    raw = path.read_bytes()
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")  # saved as "Unicode" by Windows Notepad
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StudyConfigError(
            f"Study file {path} is not UTF-8 text ({exc.reason} at byte {exc.start}, line "
            f"{line}); save it as UTF-8."
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyConfigError(
            f"Study file {path} is not valid TOML: {str(exc)[:200]}. Check quotes, brackets "
            "and '=' on that line."
        ) from None
    folder = path.resolve().parent
    _resolve_paths(data, folder)
    data["folder"] = str(folder)
    try:
        config = StudyConfig.model_validate(data)
    except ValidationError as exc:
        raise StudyConfigError(_format_validation_error(path, exc)) from None
    for item in config.input_paths():
        if not Path(item).exists():
            raise StudyConfigError(
                f"Study file {path}: input file {item} does not exist. "
                "Fix the 'path' key (relative paths are read from the study file's folder)."
            )
        if Path(item).is_dir() and Path(item).suffix.lower() != ".gdb":
            raise StudyConfigError(
                f"Study file {path}: input {item} is a folder where a file is expected. "
                "Name the file inside it in the 'path' key."
            )
    return config
