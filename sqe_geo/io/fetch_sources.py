"""The sources that ``sqe-geo fetch`` downloads: :class:`Source` and the built-in lists.

The built-in ``karlsruhe`` list (:data:`SOURCE_LISTS`) holds the addresses as known to the
authors in 2025/2026 (Zensus 2022 grid ZIPs from Destatis, the Geofabrik extract of
Regierungsbezirk Karlsruhe, Transparenzportal CSVs of the City of Karlsruhe).
:func:`sources_for` resolves a list name or the study file's own list into sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from sqe_geo._errors import StudyConfigError
from sqe_geo.i18n.messages import Message

__all__ = ["SOURCE_LISTS", "Source", "sources_for"]

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-+]*$")


@dataclass(frozen=True)
class Source:
    """One downloadable file.

    Parameters
    ----------
    name
        Short identifier (``"zensus2022_population"``), unique within a list.
    url
        HTTP(S) address of the file.
    sha256
        Expected SHA-256 (hex); checked after download when given.
    size
        Expected size in bytes; checked after download when given.
    filename
        File name in the cache folder (default: the last segment of the URL path).
    description, licence
        Human-readable notes (shown by the CLI, written to the record).
    extract
        For ZIP files: ``(pattern, file name)`` pairs — the one member whose base name
        matches the glob pattern is unpacked next to the archive under that file name (e.g.
        the 100 m table of a Zensus ZIP), atomically and only when missing.
    """

    name: str
    url: str
    sha256: str | None = None
    size: int | None = None
    filename: str | None = None
    description: str = ""
    licence: str = ""
    extract: tuple[tuple[str, str], ...] = ()

    @property
    def target_name(self) -> str:
        """The file name in the cache folder."""
        name = self.filename or unquote(Path(urlparse(self.url).path).name)
        if not _SAFE_NAME.match(name or "") or ".." in name:
            raise StudyConfigError(
                Message("io.fetch.unsafe_filename", name=self.name, url=self.url, got=name)
            )
        return name


_PORTAL = "https://transparenz.karlsruhe.de/dataset/"
_PORTAL_AGE = _PORTAL + "cc50eb96-6c3d-4d6f-9dcd-c56c4969ff59/resource/"
_ZENSUS = "https://www.destatis.de/static/DE/zensus/gitterdaten/"
_DL_DE = "Datenlizenz Deutschland – Namensnennung 2.0 (dl-de/by-2-0)"

#: Built-in source lists. Addresses are correct to the best of the authors' knowledge;
#: they were not reachable from the development sandbox (no internet) and carry no
#: sha256 because the publishers update them in place.
SOURCE_LISTS: dict[str, tuple[Source, ...]] = {
    "karlsruhe": (
        Source(
            "zensus2022_population",
            _ZENSUS + "Zensus2022_Bevoelkerungszahl.zip",
            description="Zensus 2022, Bevölkerungszahl, 100 m / 1 km / 10 km grid (CSV in ZIP)",
            licence=_DL_DE + ", © Statistische Ämter des Bundes und der Länder",
            extract=(
                (
                    "*Bevoelkerungszahl_100m-Gitter.csv",
                    "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv",
                ),
            ),
        ),
        Source(
            "zensus2022_age_10y",
            _ZENSUS + "Alter_in_10er-Jahresgruppen.zip",
            description="Zensus 2022, Alter in 10er-Jahresgruppen per grid cell (CSV in ZIP)",
            licence=_DL_DE + ", © Statistische Ämter des Bundes und der Länder",
            extract=(
                (
                    "*10er-Jahresgruppen_100m-Gitter.csv",
                    "Zensus2022_Alter_in_10er-Jahresgruppen_100m-Gitter.csv",
                ),
            ),
        ),
        Source(
            "zensus2022_age_5_classes",
            _ZENSUS + "Alter_in_5_Altersklassen.zip",
            description="Zensus 2022, Alter in 5 Altersklassen per grid cell (CSV in ZIP); "
            "the only grid topic with a 65+ class",
            licence=_DL_DE + ", © Statistische Ämter des Bundes und der Länder",
            extract=(
                (
                    "*5_Altersklassen_100m-Gitter.csv",
                    "Zensus2022_Alter_in_5_Altersklassen_100m-Gitter.csv",
                ),
            ),
        ),
        Source(
            "osm_karlsruhe_regbez",
            "https://download.geofabrik.de/europe/germany/baden-wuerttemberg/"
            "karlsruhe-regbez-latest.osm.pbf",
            description="OpenStreetMap extract of Regierungsbezirk Karlsruhe (Geofabrik)",
            licence="ODbL 1.0, © OpenStreetMap contributors",
        ),
        Source(
            "portal_age_under_3",
            _PORTAL_AGE + "565c1c6e-a50c-46d2-8638-22896d21096f/download/"
            "altersstruktur-der-bevolkerung-unter-3-jahrige-nach-geschlecht.csv",
            description="Transparenzportal: Stadtteile, under 3 years, by sex and year",
            licence=_DL_DE + ", Stadt Karlsruhe",
        ),
        Source(
            "portal_age_3_to_5",
            _PORTAL_AGE + "c74cb50a-e3c4-43bf-950f-6a01a783791b/download/"
            "altersstruktur-der-bevolkerung-3-bis-unter-6-jahrige-nach-geschlecht.csv",
            description="Transparenzportal: Stadtteile, 3 to under 6 years",
            licence=_DL_DE + ", Stadt Karlsruhe",
        ),
        Source(
            "portal_age_6_to_14",
            _PORTAL_AGE + "593b2d5f-36bf-4f50-ac49-763ee5cadb1f/download/"
            "altersstruktur-der-bevolkerung-6-bis-unter-15-jahrige-nach-geschlecht.csv",
            description="Transparenzportal: Stadtteile, 6 to under 15 years",
            licence=_DL_DE + ", Stadt Karlsruhe",
        ),
        Source(
            "portal_age_15_to_17",
            _PORTAL_AGE + "72110d58-727f-4e04-a68d-2a907ba7d4fb/download/"
            "altersstruktur-der-bevolkerung-15-bis-unter-18-jahrige-nach-geschlecht.csv",
            description="Transparenzportal: Stadtteile, 15 to under 18 years",
            licence=_DL_DE + ", Stadt Karlsruhe",
        ),
        Source(
            "portal_age_65_to_74",
            _PORTAL_AGE + "ea8303b4-0494-4f95-b624-f695753d1a2c/download/"
            "altersstruktur-der-bevolkerung-65-bis-unter-75-jahrige-nach-geschlecht.csv",
            description="Transparenzportal: Stadtteile, 65 to under 75 years",
            licence=_DL_DE + ", Stadt Karlsruhe",
        ),
        Source(
            "portal_residents",
            _PORTAL + "74561f6a-4783-4d70-b86a-008deec09441/resource/"
            "71ef348f-0f5b-46a0-8250-e87aae9f91bd/download/"
            "bevolkerung-wohnberechtigte-bevolkerung.csv",
            description="Transparenzportal: Stadtteile, Wohnberechtigte Bevölkerung per year",
            licence=_DL_DE + ", Stadt Karlsruhe",
        ),
    ),
}


def sources_for(name_or_sources: str | Iterable[Source | Mapping[str, Any]]) -> list[Source]:
    """Resolve a built-in list name or a list of sources/mappings into :class:`Source` objects.

    Raises
    ------
    StudyConfigError
        For an unknown list name, a mapping without ``name``/``url`` or with unknown keys, a
        non-HTTP(S) address, or repeated names or file names.
    """
    if isinstance(name_or_sources, str):
        if name_or_sources not in SOURCE_LISTS:
            raise StudyConfigError(
                Message(
                    "io.fetch.unknown_list", name=name_or_sources, lists=", ".join(SOURCE_LISTS)
                )
            )
        return list(SOURCE_LISTS[name_or_sources])
    fields = set(Source.__dataclass_fields__)
    sources: list[Source] = []
    for i, item in enumerate(name_or_sources):
        if isinstance(item, Source):
            sources.append(item)
            continue
        if not isinstance(item, Mapping) or not {"name", "url"} <= set(item):
            raise StudyConfigError(
                Message("io.fetch.source_not_table", number=i + 1, item=repr(item))
            )
        unknown = set(item) - fields
        if unknown:
            raise StudyConfigError(
                Message(
                    "io.fetch.source_unknown_keys",
                    name=item["name"],
                    keys=", ".join(sorted(unknown)),
                    allowed=", ".join(sorted(fields)),
                )
            )
        values = dict(item)
        if "extract" in values:
            values["extract"] = tuple(tuple(pair) for pair in values["extract"])
        sources.append(Source(**values))
    for src in sources:
        if urlparse(src.url).scheme not in {"http", "https"}:
            raise StudyConfigError(Message("io.fetch.not_http", name=src.name, url=src.url))
    for attr in ("name", "target_name"):
        seen = [getattr(s, attr) for s in sources]
        dups = sorted({v for v in seen if seen.count(v) > 1})
        if dups:
            raise StudyConfigError(Message(f"io.fetch.repeated_{attr}", values=", ".join(dups)))
    return sources
