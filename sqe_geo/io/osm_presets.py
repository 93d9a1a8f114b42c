"""OSM tag presets per service category, and the reading of OSM capacity tags.

:func:`load_osm_presets` merges the package's ``presets/osm_services.toml`` with the study
file's overrides (``[services.osm_presets]``); :func:`parse_capacity` reads capacity-like tag
values (``"80"``, ``"ca. 80"``, ``"60;20"``) into numbers. Both are used by the OSM services
reader (:mod:`sqe_geo.io.osm`) and the JSON place list reader (:mod:`sqe_geo.io.osm_json`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from sqe_geo._errors import StudyConfigError
from sqe_geo.i18n.messages import Message

__all__ = ["DEFAULT_MERGE_M", "load_osm_presets", "parse_capacity"]

_PRESET_KEYS = {"label", "tags", "capacity_tags", "extend", "enabled", "merge_m"}
#: Objects of one category closer than this (metres) and of the same name (or unnamed) are
#: one place: a stop's platform, stop position and station; a shop as node and building.
DEFAULT_MERGE_M = 25.0


def _default_presets() -> dict[str, dict[str, Any]]:
    text = resources.files("sqe_geo").joinpath("presets/osm_services.toml").read_text("utf-8")
    return tomllib.loads(text)


def _as_values(key: str, values: object, where: str) -> list[str]:
    if isinstance(values, str):
        return [values]
    if isinstance(values, Sequence) and all(isinstance(v, str) for v in values):
        return list(values)
    raise StudyConfigError(
        Message("io.osm.preset_values", where=where, key=key, values=repr(values))
    )


def load_osm_presets(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Return the OSM tag presets per service category, with study-file overrides applied.

    Parameters
    ----------
    overrides
        Category → preset table in the structure of ``presets/osm_services.toml``
        (``tags``: OSM key → list of values, ``"*"`` for any value but ``no``;
        optional ``label``, ``capacity_tags``). A category's table replaces the default one,
        unless it has ``extend = true`` (then its tag values are added to the default's);
        ``enabled = false`` removes a category; unknown categories are added.

    Returns
    -------
    dict
        Category → ``{"label": str, "tags": {key: [values]}, "capacity_tags": [keys]}``.

    Raises
    ------
    StudyConfigError
        If an override has an unknown key, no ``tags`` or values that are not texts.
    """
    presets = _default_presets()
    for category, table in (overrides or {}).items():
        where = f"services.osm_presets.{category}"
        if not isinstance(table, Mapping):
            raise StudyConfigError(
                Message("io.osm.preset_not_table", where=where, value=repr(table))
            )
        unknown = set(table) - _PRESET_KEYS
        if unknown:
            raise StudyConfigError(
                Message(
                    "io.osm.preset_unknown_keys",
                    where=where,
                    keys=", ".join(sorted(unknown)),
                    allowed=", ".join(sorted(_PRESET_KEYS)),
                )
            )
        if table.get("enabled", True) is False:
            presets.pop(category, None)
            continue
        tags = table.get("tags")
        if not isinstance(tags, Mapping) or not tags:
            raise StudyConfigError(Message("io.osm.preset_no_tags", where=where))
        new_tags = {str(k): _as_values(str(k), v, where) for k, v in tags.items()}
        base = presets.get(category, {})
        if table.get("extend", False) and base:
            merged = {k: list(v) for k, v in base.get("tags", {}).items()}
            for k, vals in new_tags.items():
                merged[k] = list(dict.fromkeys([*merged.get(k, []), *vals]))
            entry = {**base, "tags": merged}
        else:
            entry = {"label": category, "tags": new_tags}
        for key in ("label", "capacity_tags", "merge_m"):
            if key in table:
                entry[key] = table[key]
        presets[category] = entry
    for category, entry in presets.items():
        entry.setdefault("label", category)
        entry.setdefault("capacity_tags", [])
        entry.setdefault("merge_m", DEFAULT_MERGE_M)
        merge = entry["merge_m"]
        if isinstance(merge, bool) or not isinstance(merge, int | float) or merge < 0:
            raise StudyConfigError(
                Message("io.osm.preset_merge_m", category=category, value=repr(merge))
            )
        entry["tags"] = {
            k: _as_values(k, v, f"services.osm_presets.{category}")
            for k, v in entry.get("tags", {}).items()
        }
    return presets


_CAP_PLAIN = re.compile(r"^\d+(?:[.,]\d+)?$")
_CAP_LOOSE = re.compile(
    r"^(?:ca\.?|circa|approx\.?|about|etwa|rund|~|>=?|<=?|max\.?)?\s*"
    r"(\d+(?:[.,]\d+)?)\s*(?:[A-Za-zÄÖÜäöüß.]+(?:\s+[A-Za-zÄÖÜäöüß.]+)*)?$",
    re.IGNORECASE,
)
_CAP_LIST = re.compile(r"^\d+(?:\s*;\s*\d+)+$")


def parse_capacity(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse OSM ``capacity``-like tag values into numbers (vectorised).

    Plain numbers (``"80"``, ``"12,5"``) are ``"ok"``; numbers with a qualifier or unit
    (``"ca. 80"``, ``"80 Plätze"``, ``"~80"``) and semicolon lists (``"60;20"``, summed) are
    ``"interpreted"``; anything else (``"80-100"``, ``"viele"``, negative numbers) is
    ``"invalid"`` and gives NaN; a missing value is ``"missing"``.

    Parameters
    ----------
    values
        Raw tag values (text or missing).

    Returns
    -------
    numbers : pandas.Series
        ``float64`` capacities.
    status : pandas.Series
        ``"ok"``, ``"interpreted"``, ``"invalid"`` or ``"missing"`` per value.
    """
    text = values.astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy()
    plain = text.str.fullmatch(_CAP_PLAIN).fillna(False).to_numpy(dtype=bool)
    loose_num = text.str.extract(_CAP_LOOSE, expand=False)
    loose = loose_num.notna().to_numpy() & ~plain
    listed = text.str.fullmatch(_CAP_LIST).fillna(False).to_numpy(dtype=bool)

    def to_float(s: pd.Series) -> np.ndarray:
        return pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )

    numbers = np.full(len(values), np.nan)
    numbers[plain] = to_float(text[plain])
    numbers[loose] = to_float(loose_num[loose])
    if listed.any():
        parts = text[listed].str.split(";").explode().str.strip()
        numbers[listed] = pd.to_numeric(parts).groupby(level=0).sum().to_numpy(dtype=float)
    status = np.full(len(values), "invalid", dtype=object)
    status[missing] = "missing"
    status[plain] = "ok"
    status[loose | listed] = "interpreted"
    return pd.Series(numbers, index=values.index), pd.Series(status, index=values.index)
