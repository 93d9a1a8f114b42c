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

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from sqe_geo._errors import SqeGeoError, StudyConfigError
from sqe_geo.config_database import is_database_url
from sqe_geo.config_layers import (
    ConfigModel,
    DemographicsConfig,
    NetworkConfig,
    PlanningAreasConfig,
    PopulationGridConfig,
    QuartersConfig,
    ServicesConfig,
    SourceInfo,
    format_age_range,
    parse_age_range,
)
from sqe_geo.i18n.messages import Message, has_text

#: The age groups every study maps its bands onto (identifiers; labels come from ranges).
AGE_GROUPS: tuple[str, ...] = ("young", "working_age", "older", "young_old", "oldest_old")


class AgeGroupsConfig(ConfigModel):
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
            except StudyConfigError as exc:
                problem = Message("study.config.group_range", group=group, problem=exc.message)
                raise StudyConfigError(problem) from None
        return self

    def ranges(self) -> dict[str, tuple[int, int | None]]:
        """Return the parsed age range of every group."""
        return {g: parse_age_range(getattr(self, g)) for g in AGE_GROUPS}

    def labels(self) -> dict[str, str]:
        """Return display labels such as ``{"older": "65+"}`` for catalog templates."""
        return {g: format_age_range(r) for g, r in self.ranges().items()}


class E2SFCAConfig(ConfigModel):
    """Parameters of the enhanced two-step floating catchment."""

    catchment_m: Annotated[float, Field(gt=0)] = 1500.0
    decay: Literal["step", "gaussian"] = "step"
    steps: list[tuple[float, float]] = Field(
        default=[(500.0, 1.0), (1000.0, 0.68), (1500.0, 0.22)],
        description="(upper distance in m, weight) bands for the step decay",
    )
    population_group: str = "oldest_old"


class SurfaceConfig(ConfigModel):
    """The accessibility surface (``[accessibility.surface]``): the gravity score's decay.

    The score of a place is ``Σ S_j · w(t_j)`` over the facilities within ``reach_min``
    minutes of walking (at the study's walking speed), ``S_j`` their capacity (capacity-bound
    categories, when ``capacity`` is true) or 1. Defaults: a Gaussian of σ = 5 minutes cut
    at 15 minutes (the "15-minute neighbourhood"; weight 0.61 at 5, 0.14 at 10, 0.011 at 15
    minutes).
    """

    decay: Literal["gaussian", "exponential", "cumulative"] = "gaussian"
    reach_min: Annotated[float, Field(gt=0, le=120)] = 15.0
    scale_min: Annotated[float, Field(gt=0)] = Field(
        default=5.0, description="σ of the Gaussian, scale of the exponential (minutes)"
    )
    capacity: bool = Field(default=True, description="weigh capacity-bound categories by places")
    cell_m: Annotated[float, Field(gt=0)] = Field(
        default=100.0, description="cell size of the grid when the study has no raster"
    )

    @model_validator(mode="after")
    def _scale_below_reach(self) -> SurfaceConfig:
        if self.decay != "cumulative" and self.scale_min > self.reach_min:
            raise StudyConfigError(
                Message(
                    "study.config.surface_scale",
                    scale=f"{self.scale_min:g}",
                    reach=f"{self.reach_min:g}",
                )
            )
        return self


class AccessibilityConfig(ConfigModel):
    """Walking accessibility parameters (DOMAIN.md gives the sources of the defaults)."""

    walking_speed_mps: Annotated[float, Field(gt=0)] = 0.8
    max_snap_m: Annotated[float, Field(gt=0)] = 300.0
    detour_factor: Annotated[float, Field(ge=1)] = 1.3
    cutoff_m: Annotated[float, Field(gt=0)] = 5000.0
    e2sfca: E2SFCAConfig = Field(default_factory=E2SFCAConfig)
    surface: SurfaceConfig = Field(default_factory=SurfaceConfig)
    #: A quarter's accessibility is "not computed" when more than this share of its older
    #: residents lie beyond the snap distance or on a network island without the service.
    max_unlocated_share: Annotated[float, Field(ge=0, le=1)] = 0.2
    #: Quarters without any residents' location: "not_computed" (default) or "even_grid"
    #: (spread over 100 m cells of the quarter, flagged as an approximation).
    unlocated_residents: Literal["not_computed", "even_grid"] = "not_computed"


class DisclosureConfig(ConfigModel):
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


class StudyConfig(ConfigModel):
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
    scenarios: dict[str, Path] = Field(
        default_factory=dict,
        description="named scenario files (TOML, GeoJSON, GPKG) of the study: name = path",
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
            raise StudyConfigError(Message("study.config.crs_unknown", crs=repr(text))) from None
        if not crs.is_projected:
            raise StudyConfigError(Message("study.config.crs_geographic", crs=text))
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
            elif path and not is_database_url(path):  # a PostGIS table is no file
                paths.append(Path(path))
        if self.demographics.files:
            paths += [Path(f) for f in self.demographics.files]
        if self.population_grid is not None:
            paths += list(self.population_grid.additional_paths)
        return paths


def _resolve(path: object, folder: Path) -> object:
    if isinstance(path, str) and not Path(path).is_absolute() and not is_database_url(path):
        return str((folder / path).resolve())
    return path


def _resolve_paths(data: dict[str, Any], folder: Path) -> None:
    if isinstance(data.get("indicator_folders"), list):
        data["indicator_folders"] = [_resolve(p, folder) for p in data["indicator_folders"]]
    if isinstance(data.get("scenarios"), dict):
        data["scenarios"] = {k: _resolve(v, folder) for k, v in data["scenarios"].items()}
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


def _problem(err: Mapping[str, Any]) -> Message | str:
    """What is wrong with one key: a catalog message, or pydantic's own text."""
    if err["type"] == "extra_forbidden":
        return Message("study.config.unknown_key")
    if err["type"] == "missing":
        return Message("study.config.required_key")
    ctx = err.get("ctx", {})
    error = ctx.get("error")
    if isinstance(error, SqeGeoError):
        return error.message
    key = f"study.config.pydantic.{err['type']}"
    if has_text(key):
        return Message(key, **{k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()})
    return str(err["msg"]).removeprefix("Value error, ")


def validation_message(
    path: Path, exc: ValidationError, *, head: str = "study.config.invalid"
) -> Message:
    """The message of an invalid study file: one line per invalid key.

    Parameters
    ----------
    path
        The study file.
    exc
        pydantic's validation error of its contents.
    head
        Catalog key of the first line (with the field ``path``); another file validated
        the same way (the batch file) names itself here.

    Returns
    -------
    Message
        ``head`` followed by a line ``  - key: problem`` per error.
    """
    message = Message(head, path=str(path))
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        key: Message | str = where or Message("study.config.top_level")
        problem = _problem(err)
        message = Message("study.config.invalid_item", previous=message, key=key, problem=problem)
    return message


def _read_text(path: Path) -> str:
    """The study file's text (UTF-8, or UTF-16 as Windows Notepad saves "Unicode")."""
    raw = path.read_bytes()
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")  # saved as "Unicode" by Windows Notepad
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StudyConfigError(
            Message(
                "study.config.not_utf8",
                path=str(path),
                reason=exc.reason,
                byte=exc.start,
                line=line,
            )
        ) from None


def _check_inputs(path: Path, config: StudyConfig) -> None:
    """Every input file exists and is a file (a FileGDB folder is one)."""
    for item in config.input_paths():
        if not Path(item).exists():
            raise StudyConfigError(
                Message("study.config.input_missing", path=str(path), item=str(item))
            )
        if Path(item).is_dir() and Path(item).suffix.lower() != ".gdb":
            raise StudyConfigError(
                Message("study.config.input_is_folder", path=str(path), item=str(item))
            )


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
        raise StudyConfigError(Message("study.config.is_folder", path=str(path)))
    if not path.is_file():
        raise StudyConfigError(Message("study.config.missing", path=str(path)))
    try:
        data = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise StudyConfigError(
            Message("study.config.not_toml", path=str(path), error=str(exc)[:200])
        ) from None
    folder = path.resolve().parent
    _resolve_paths(data, folder)
    data["folder"] = str(folder)
    try:
        config = StudyConfig.model_validate(data)
    except ValidationError as exc:
        raise StudyConfigError(validation_message(path, exc)) from None
    _check_inputs(path, config)
    return config
