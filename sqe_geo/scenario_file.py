"""Scenario files: facilities added, removed or moved, read and checked against a study.

A scenario is a small file beside the study:

* TOML — ``name`` (optional, else the file name), ``crs`` of the coordinates (default
  ``EPSG:4326``, longitude and latitude as a web map shows them) and one ``[[changes]]``
  table per change: ``action = "add"`` with ``category``, ``name``, ``at = [x, y]`` and
  ``capacity`` (capacity-bound categories); ``action = "remove"`` with ``service_id``;
  ``action = "move"`` with ``service_id`` and ``at``.
* GeoJSON or GeoPackage — one point per change with the columns ``action``,
  ``service_id``, ``category``, ``name`` and ``capacity`` (``remove`` rows need no
  geometry).

:func:`read_scenario` returns the validated :class:`Scenario`; :func:`apply_scenario` the
services as the scenario leaves them. Every mistake names the file, the change (row) and
the fix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import Point

from sqe_geo._errors import InputDataError, StudyConfigError, listing
from sqe_geo.config import StudyConfig
from sqe_geo.i18n.messages import Message

__all__ = [
    "ACTIONS",
    "Change",
    "Scenario",
    "apply_scenario",
    "read_scenario",
    "scenario_from_rows",
    "scenario_path",
]

#: What a change does to the services.
ACTIONS = ("add", "remove", "move")
Action = Literal["add", "remove", "move"]
_TABLE_SUFFIXES = (".geojson", ".json", ".gpkg")


@dataclass(frozen=True)
class Change:
    """One change of a scenario (coordinates in the study's analysis CRS).

    Attributes
    ----------
    action
        ``"add"``, ``"remove"`` or ``"move"``.
    row
        Its number in the file (1-based), for messages.
    service_id
        The facility removed or moved; for an added one its new id.
    category
        The category (of the facility removed or moved, as the study has it).
    name
        The name shown in maps and tables.
    xy
        Where an added or moved facility stands (None for ``remove``).
    capacity
        Places of an added facility (None: not given).
    """

    action: Action
    row: int
    service_id: str
    category: str
    name: str = ""
    xy: tuple[float, float] | None = None
    capacity: float | None = None


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to a study's facilities.

    Attributes
    ----------
    name
        The scenario's name (marks every output).
    changes
        The changes, in file order.
    source
        The file it was read from (empty when built in the app).
    """

    name: str
    changes: tuple[Change, ...]
    source: str = ""

    @property
    def categories(self) -> list[str]:
        """The categories the scenario changes, in order of first appearance."""
        return list(dict.fromkeys(c.category for c in self.changes))


def scenario_path(config: StudyConfig, scenario: str | Path) -> Path:
    """The file of a scenario given by its name in the study's ``[scenarios]`` or as a path.

    Parameters
    ----------
    config
        The study configuration.
    scenario
        A name listed in the study file, or a path.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    StudyConfigError
        Neither a listed name nor an existing file.
    """
    if str(scenario) in config.scenarios:
        path = Path(config.scenarios[str(scenario)])
    else:
        path = Path(scenario)
    if not path.is_file():
        raise StudyConfigError(
            Message(
                "scenario.not_found",
                scenario=str(scenario),
                names=listing(config.scenarios) if config.scenarios else "-",
            )
        )
    return path


def read_scenario(path: str | Path, config: StudyConfig, services: gpd.GeoDataFrame) -> Scenario:
    """Read a scenario file and check every change against the study.

    Parameters
    ----------
    path
        TOML, GeoJSON or GeoPackage file.
    config
        The study configuration (categories, capacities, analysis CRS).
    services
        The study's services (``service_id``, ``category``), to check removals and moves.

    Returns
    -------
    Scenario

    Raises
    ------
    InputDataError
        The file cannot be read, or a change is incomplete or names an unknown facility or
        category (the message names the file, the change and the fix).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".toml":
        name, rows, crs = _toml_rows(path)
    elif suffix in _TABLE_SUFFIXES:
        name, rows, crs = _table_rows(path)
    else:
        raise InputDataError(Message("scenario.file.suffix", path=str(path)))
    return scenario_from_rows(name or path.stem, rows, config, services, crs=crs, source=path)


def scenario_from_rows(
    name: str,
    rows: list[dict[str, Any]],
    config: StudyConfig,
    services: gpd.GeoDataFrame,
    *,
    crs: str = "EPSG:4326",
    source: str | Path = "",
) -> Scenario:
    """A checked scenario from its changes as the file's tables have them.

    Parameters
    ----------
    name
        The scenario's name.
    rows
        One mapping per change: ``action``, ``category``, ``name``, ``at`` ([x, y] in
        ``crs``), ``capacity``, ``service_id``.
    config
        The study configuration.
    services
        The study's services.
    crs
        The CRS of ``at``.
    source
        Where the changes come from (a file; empty: built in the app).

    Returns
    -------
    Scenario

    Raises
    ------
    InputDataError
        As :func:`read_scenario`; ``source`` names the origin in messages.
    """
    where = Path(source) if source else Path(name)
    if config.services is None:
        raise InputDataError(Message("scenario.no_services"))
    if not rows:
        raise InputDataError(Message("scenario.file.empty", path=str(where)))
    checker = _Checker(where, config, services, crs)
    changes = tuple(checker.change(row, data) for row, data in enumerate(rows, start=1))
    return Scenario(name, changes, str(source))


def _toml_rows(path: Path) -> tuple[str, list[dict[str, Any]], str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputDataError(
            Message("scenario.file.unreadable", path=str(path), error=str(exc)[:200])
        ) from None
    unknown = sorted(set(data) - {"name", "crs", "changes", "description"})
    if unknown:
        raise InputDataError(
            Message("scenario.file.unknown_key", path=str(path), key=", ".join(unknown))
        )
    rows = data.get("changes", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputDataError(Message("scenario.file.changes_not_tables", path=str(path)))
    return str(data.get("name", "")), rows, str(data.get("crs", "EPSG:4326"))


#: The layer of the changes in a scenario's own GeoPackage (it loads again as a scenario).
CHANGES_LAYER = "szenario_aenderungen"


def _table_rows(path: Path) -> tuple[str, list[dict[str, Any]], str]:
    try:
        layers = set(gpd.list_layers(path)["name"]) if path.suffix.lower() == ".gpkg" else set()
        frame = gpd.read_file(path, layer=CHANGES_LAYER if CHANGES_LAYER in layers else None)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputDataError(
            Message("scenario.file.unreadable", path=str(path), error=str(exc)[:200])
        ) from None
    if "action" not in frame.columns:
        raise InputDataError(Message("scenario.file.no_action_column", path=str(path)))
    crs = frame.crs.to_string() if frame.crs is not None else "EPSG:4326"
    name = str(frame["scenario"].iloc[0]) if "scenario" in frame.columns and len(frame) else ""
    rows = []
    for record in frame.to_dict("records"):
        geometry = record.pop("geometry", None)
        row = {k: v for k, v in record.items() if not _missing(v) and k != "scenario"}
        if isinstance(geometry, Point) and not geometry.is_empty:
            row["at"] = [geometry.x, geometry.y]
        rows.append(row)
    return name, rows, crs


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


class _Checker:
    """Checks the rows of one scenario file against the study."""

    def __init__(
        self, path: Path, config: StudyConfig, services: gpd.GeoDataFrame, crs: str
    ) -> None:
        self.path = path
        self.config = config
        ids = services["service_id"].astype(str)
        self.category_of = dict(zip(ids, services["category"], strict=True))
        self.name_of = dict(zip(ids, services["name"].astype(str), strict=True))
        self.touched: set[str] = set()
        self.added = 0
        try:
            source = CRS.from_user_input(crs)
        except CRSError:
            raise InputDataError(Message("scenario.file.crs", path=str(path), crs=crs)) from None
        self.transform = Transformer.from_crs(source, config.analysis_crs, always_xy=True)

    def fail(self, key: str, row: int, **fields: object) -> InputDataError:
        return InputDataError(
            Message(f"scenario.change.{key}", path=str(self.path), row=row, **fields)
        )

    def change(self, row: int, data: dict[str, Any]) -> Change:
        action = str(data.get("action", "")).strip().lower()
        if action == "add":
            return self._add(row, data)
        if action == "remove":
            return self._existing(row, data, "remove")
        if action == "move":
            return self._existing(row, data, "move")
        raise self.fail("action", row, value=data.get("action", ""), actions=", ".join(ACTIONS))

    def _xy(self, row: int, data: dict[str, Any]) -> tuple[float, float]:
        at = data.get("at")
        try:
            x, y = (float(v) for v in at)  # type: ignore[union-attr]  # checked below
        except (TypeError, ValueError):
            raise self.fail("no_location", row, value=repr(at)) from None
        tx, ty = self.transform.transform(x, y)
        if not (np.isfinite(tx) and np.isfinite(ty)):
            raise self.fail("no_location", row, value=repr(at))
        return float(tx), float(ty)

    def _add(self, row: int, data: dict[str, Any]) -> Change:
        services = self.config.services
        assert services is not None  # checked by the caller
        category = str(data.get("category", "")).strip()
        if category not in services.categories:
            raise self.fail(
                "category", row, category=category, categories=listing(services.categories)
            )
        capacity = data.get("capacity")
        try:
            places = None if capacity is None else float(capacity)
        except (TypeError, ValueError):
            places = -1.0
        if places is not None and not (np.isfinite(places) and places >= 0):
            raise self.fail("capacity", row, value=repr(capacity))
        if places is None and services.categories[category].capacity:
            raise self.fail("capacity_needed", row, category=category)
        self.added += 1
        name = str(data.get("name", "")).strip() or f"{category} {self.added}"
        service_id = str(data.get("service_id", "")).strip() or f"scenario-{row}"
        if service_id in self.category_of or service_id in self.touched:
            raise self.fail("id_taken", row, service_id=service_id)
        self.touched.add(service_id)
        return Change("add", row, service_id, category, name, self._xy(row, data), places)

    def _existing(self, row: int, data: dict[str, Any], action: Action) -> Change:
        service_id = str(data.get("service_id", "")).strip()
        if service_id not in self.category_of:
            raise self.fail("unknown_service", row, service_id=service_id)
        if service_id in self.touched:
            raise self.fail("twice", row, service_id=service_id)
        self.touched.add(service_id)
        xy = self._xy(row, data) if action == "move" else None
        category = str(self.category_of[service_id])
        return Change(action, row, service_id, category, self.name_of[service_id], xy)


def apply_scenario(services: gpd.GeoDataFrame, scenario: Scenario) -> gpd.GeoDataFrame:
    """The services as the scenario leaves them (the input is not changed).

    Parameters
    ----------
    services
        The study's services in the analysis CRS.
    scenario
        A checked scenario (:func:`read_scenario`).

    Returns
    -------
    geopandas.GeoDataFrame
        Removed facilities dropped, moved ones at their new place, added ones appended
        (``synthetic`` False, a ``scenario`` column names the change: ``add``/``move``).
    """
    out = services.copy()
    out["scenario"] = ""
    by_id = pd.Index(out["service_id"].astype(str))
    removed = [c.service_id for c in scenario.changes if c.action == "remove"]
    for change in scenario.changes:
        if change.action == "move" and change.xy is not None:
            position = by_id.get_loc(change.service_id)
            out.iloc[position, out.columns.get_loc("geometry")] = Point(change.xy)
            out.iloc[position, out.columns.get_loc("scenario")] = "move"
    out = out[~by_id.isin(removed)]
    added = [c for c in scenario.changes if c.action == "add"]
    if not added:
        return gpd.GeoDataFrame(out.reset_index(drop=True), crs=services.crs)
    rows = pd.DataFrame(
        {
            "service_id": [c.service_id for c in added],
            "category": [c.category for c in added],
            "name": [c.name for c in added],
            "capacity": [np.nan if c.capacity is None else c.capacity for c in added],
            "scenario": "add",
        }
    )
    if "synthetic" in out.columns:
        rows["synthetic"] = False
    new = gpd.GeoDataFrame(
        rows, geometry=[Point(c.xy or (np.nan, np.nan)) for c in added], crs=services.crs
    )
    combined = pd.concat(
        [out, new[[c for c in out.columns if c in new.columns]]], ignore_index=True
    )
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=services.crs)
