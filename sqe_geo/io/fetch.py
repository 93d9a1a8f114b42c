"""Download of open data sources into a local cache (``sqe-geo fetch``).

:func:`fetch` downloads a list of :class:`Source` objects (or the name of a built-in list,
see :data:`SOURCE_LISTS`) into a cache folder:

* each file is written to ``<name>.part`` first and renamed when complete, so a broken
  download never looks like a finished one;
* an interrupted download resumes from the ``.part`` file with an HTTP ``Range`` request
  (a server that ignores ranges makes it start again);
* size and SHA-256 of every finished file are kept in ``fetch-record.json`` in the cache
  folder; a file already there whose hash matches (the configured ``sha256`` or the
  recorded one) is not downloaded again, and a file with no known hash (e.g. saved there
  by hand) is accepted as it is and recorded;
* problems raise :class:`~sqe_geo._errors.FetchError` naming the address and the fix
  (offline or unreachable, HTTP errors such as 404, size or hash mismatch).

The built-in ``karlsruhe`` list holds the addresses as known to the authors in 2025/2026
(Zensus 2022 grid ZIPs from Destatis, the Geofabrik extract of Regierungsbezirk Karlsruhe,
Transparenzportal CSVs of the City of Karlsruhe). They could not be checked from the
development sandbox, which has no internet access: if one has moved, the error message says
where to look, and a corrected list can be passed to :func:`fetch`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import requests

from sqe_geo._errors import FetchError, StudyConfigError
from sqe_geo.io.hashing import file_sha256

__all__ = [
    "RECORD_FILE",
    "SOURCE_LISTS",
    "FetchResult",
    "ProgressCallback",
    "Source",
    "fetch",
    "file_sha256",
    "read_record",
    "sources_for",
]

#: Name of the JSON record of finished downloads inside the cache folder.
RECORD_FILE = "fetch-record.json"

#: ``progress(source_name, bytes_done, bytes_total_or_None)``, called while downloading.
ProgressCallback = Callable[[str, int, int | None], None]

_CHUNK = 1 << 16
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
                f"Source {self.name!r}: cannot derive a safe file name from {self.url!r} "
                f"(got {name!r}); set 'filename' to a plain name such as 'data.csv'."
            )
        return name


@dataclass(frozen=True)
class FetchResult:
    """Outcome for one source: where it is and what was done."""

    name: str
    path: Path
    size: int
    sha256: str
    status: Literal["downloaded", "resumed", "cached"]


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
                f"Unknown source list {name_or_sources!r}; built-in lists: "
                f"{', '.join(SOURCE_LISTS)}. Or list sources (name, url) in the study file."
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
                f"Source #{i + 1} must be a table with at least 'name' and 'url', got {item!r}."
            )
        unknown = set(item) - fields
        if unknown:
            raise StudyConfigError(
                f"Source {item['name']!r} has unknown key(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(fields))}."
            )
        values = dict(item)
        if "extract" in values:
            values["extract"] = tuple(tuple(pair) for pair in values["extract"])
        sources.append(Source(**values))
    for src in sources:
        if urlparse(src.url).scheme not in {"http", "https"}:
            raise StudyConfigError(f"Source {src.name!r}: {src.url!r} is not an http(s) address.")
    for attr in ("name", "target_name"):
        seen = [getattr(s, attr) for s in sources]
        dups = sorted({v for v in seen if seen.count(v) > 1})
        if dups:
            raise StudyConfigError(
                f"Sources repeat the {attr.replace('_', ' ')} {', '.join(dups)}; make them "
                "unique (set 'filename' for files with the same name)."
            )
    return sources


def read_record(cache_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Return the download record of a cache folder (file name → entry), ``{}`` if absent."""
    path = Path(cache_dir) / RECORD_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}  # a damaged record only costs a re-check of the hashes
    files = data.get("files", {}) if isinstance(data, dict) else {}
    return files if isinstance(files, dict) else {}


def _write_record(cache_dir: Path, files: Mapping[str, Any]) -> None:
    text = json.dumps({"files": dict(sorted(files.items()))}, indent=2, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".record-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    Path(tmp).replace(cache_dir / RECORD_FILE)


def _stderr_progress() -> ProgressCallback:
    last: dict[str, int] = {}

    def show(name: str, done: int, total: int | None) -> None:
        if total:
            pct = int(100 * done / total)
            if last.get(name) == pct and done < total:
                return
            last[name] = pct
            bar = "#" * (pct // 5)
            text = f"\r{name:<28} [{bar:<20}] {pct:3d}% {done / 1e6:8.1f}/{total / 1e6:.1f} MB"
        else:
            mb = int(done / 1e6)
            if last.get(name) == mb:
                return
            last[name] = mb
            text = f"\r{name:<28} {done / 1e6:8.1f} MB"
        sys.stderr.write(text + ("\n" if total and done >= total else ""))
        sys.stderr.flush()

    return show


def _manual_hint(src: Source, target: Path) -> str:
    return f"or download {src.url} by hand and save it as {target}"


def _download(
    src: Source,
    target: Path,
    session: requests.Session,
    progress: ProgressCallback | None,
    timeout: float,
    chunk_size: int,
) -> Literal["downloaded", "resumed"]:
    part = target.with_name(target.name + ".part")
    for _attempt in range(2):
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with session.get(src.url, headers=headers, stream=True, timeout=timeout) as resp:
                if resp.status_code == 416 and offset:
                    total = _content_range_total(resp.headers.get("Content-Range", ""))
                    if total == offset:
                        return "resumed"  # the .part file was already complete
                    part.unlink()
                    continue
                if resp.status_code >= 400:
                    raise FetchError(_http_message(src, target, resp.status_code, resp.reason))
                resumed = resp.status_code == 206 and offset > 0
                if resumed:
                    start = _content_range_start(resp.headers.get("Content-Range", ""))
                    if start != offset:
                        part.unlink()
                        continue
                else:
                    offset = 0
                length = resp.headers.get("Content-Length")
                total = offset + int(length) if length and length.isdigit() else src.size
                done = offset
                with part.open("ab" if resumed else "wb") as fh:
                    for chunk in resp.iter_content(chunk_size=chunk_size):
                        fh.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(src.name, done, total)
                if total is None and progress is not None:
                    progress(src.name, done, done)  # size now known: signal the end
                if total is not None and done != total:
                    raise FetchError(
                        f"{src.url}: the download stopped at {done} of {total} bytes; run "
                        f"`sqe-geo fetch` again to resume from {part}."
                    )
                return "resumed" if resumed else "downloaded"
        except requests.exceptions.Timeout as exc:
            raise FetchError(
                f"{src.url}: no answer within {timeout:g} s ({type(exc).__name__}). Check the "
                f"internet connection and run `sqe-geo fetch` again (it resumes), "
                f"{_manual_hint(src, target)}."
            ) from exc
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            state = f"; the partial file {part} is kept for resuming" if part.exists() else ""
            raise FetchError(
                f"Cannot reach {src.url} ({type(exc).__name__}){state}. Are you offline or "
                "behind a proxy? Check the connection (and HTTPS_PROXY), then run "
                f"`sqe-geo fetch` again, {_manual_hint(src, target)}."
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise FetchError(
                f"{src.url}: download failed ({exc}); {_manual_hint(src, target)}."
            ) from exc
    raise FetchError(
        f"{src.url}: the server's answers to the resume request are inconsistent; delete "
        f"{part} and run `sqe-geo fetch` again."
    )


def _content_range_total(header: str) -> int | None:
    m = re.search(r"/(\d+)\s*$", header)
    return int(m.group(1)) if m else None


def _content_range_start(header: str) -> int | None:
    m = re.match(r"\s*bytes\s+(\d+)-", header)
    return int(m.group(1)) if m else None


def _http_message(src: Source, target: Path, status: int, reason: str) -> str:
    if status == 404:
        return (
            f"{src.url} answered 404 Not Found: the file was moved or renamed by its "
            "publisher. Look up the current address on the publisher's page and correct the "
            f"source list, {_manual_hint(src, target)}."
        )
    if status in {401, 403}:
        return (
            f"{src.url} answered {status} {reason}: access is refused (a proxy or login "
            f"may be required); {_manual_hint(src, target)}."
        )
    return (
        f"{src.url} answered HTTP {status} {reason}; try again later, {_manual_hint(src, target)}."
    )


def fetch(
    name_or_sources: str | Iterable[Source | Mapping[str, Any]],
    cache_dir: str | Path,
    *,
    progress: bool | ProgressCallback = True,
    only: Iterable[str] | None = None,
    timeout: float = 60.0,
    session: requests.Session | None = None,
    chunk_size: int = _CHUNK,
) -> list[FetchResult]:
    """Download sources into ``cache_dir``, resuming and skipping finished files.

    Parameters
    ----------
    name_or_sources
        Name of a built-in list (``"karlsruhe"``) or sources (:class:`Source` or mappings
        with ``name``, ``url`` and optionally ``sha256``, ``size``, ``filename``,
        ``description``, ``licence``).
    cache_dir
        Folder for the files and ``fetch-record.json`` (created if needed).
    progress
        ``True``: a progress bar on stderr; ``False``: silent; a callable: called as
        ``progress(name, bytes_done, bytes_total_or_None)``.
    only
        Restrict to these source names.
    timeout
        Seconds to wait for the server to connect or send data.
    session
        A :class:`requests.Session` to use (e.g. with proxy settings).
    chunk_size
        Bytes per read.

    Returns
    -------
    list of FetchResult
        One per source, in list order, with status ``"downloaded"``, ``"resumed"`` or
        ``"cached"`` (already complete; not downloaded again).

    Raises
    ------
    FetchError
        Unreachable host, HTTP error (404 …), size or SHA-256 mismatch. Files finished before
        the error stay in the cache and in the record.
    StudyConfigError
        Unknown list name, invalid source entries or unknown names in ``only``.
    """
    sources = sources_for(name_or_sources)
    if only is not None:
        wanted = list(only)
        unknown = sorted(set(wanted) - {s.name for s in sources})
        if unknown:
            raise StudyConfigError(
                f"Unknown source name(s) {', '.join(unknown)}; available: "
                f"{', '.join(s.name for s in sources)}."
            )
        sources = [s for s in sources if s.name in wanted]
    cache = Path(cache_dir)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(
            f"Cannot create the cache folder {cache} ({exc}); choose another."
        ) from exc
    callback: ProgressCallback | None
    if progress is True:
        callback = _stderr_progress()
    elif progress is False:
        callback = None
    else:
        callback = progress
    own_session = session is None
    http = session or requests.Session()
    record = read_record(cache)
    results: list[FetchResult] = []
    try:
        for src in sources:
            result = _fetch_one(src, cache, record, http, callback, timeout, chunk_size)
            results.append(result)
            _write_record(cache, record)
            if src.extract:
                extract_members(result.path, src.extract)
    finally:
        if own_session:
            http.close()
    return results


def _fetch_one(
    src: Source,
    cache: Path,
    record: dict[str, dict[str, Any]],
    http: requests.Session,
    callback: ProgressCallback | None,
    timeout: float,
    chunk_size: int,
) -> FetchResult:
    target = cache / src.target_name
    entry = record.get(target.name, {})
    if target.is_file():
        digest = file_sha256(target)
        size = target.stat().st_size
        expected = src.sha256 or (entry.get("sha256") if entry.get("url") == src.url else None)
        size_ok = src.size is None or size == src.size
        if size_ok and (expected is None or digest == expected.lower()):
            record[target.name] = _entry(src, size, digest, entry.get("fetched_at"))
            return FetchResult(src.name, target, size, digest, "cached")
    status = _download(src, target, http, callback, timeout, chunk_size)
    part = target.with_name(target.name + ".part")
    size = part.stat().st_size
    if src.size is not None and size != src.size:
        part.unlink()
        raise FetchError(
            f"{src.url}: downloaded {size} bytes, expected {src.size}. The file changed "
            "upstream or the download is corrupt; correct 'size' in the source list if the "
            "new version is intended, otherwise run `sqe-geo fetch` again."
        )
    digest = file_sha256(part)
    if src.sha256 is not None and digest != src.sha256.lower():
        part.unlink()
        raise FetchError(
            f"{src.url}: SHA-256 of the download is {digest}, expected {src.sha256}. The file "
            "changed upstream or the download is corrupt; correct 'sha256' in the source list "
            "if the new version is intended, otherwise run `sqe-geo fetch` again."
        )
    part.replace(target)
    record[target.name] = _entry(src, size, digest, None)
    return FetchResult(src.name, target, size, digest, status)


def extract_members(archive: Path, members: Iterable[tuple[str, str]]) -> list[Path]:
    """Unpack ZIP members next to the archive under fixed file names.

    Parameters
    ----------
    archive
        The downloaded ZIP file.
    members
        ``(pattern, file name)`` pairs: exactly one member's base name must match the glob
        pattern; it is written as ``file name`` (temporary file, then rename) unless a file
        of that name and size is already there.

    Raises
    ------
    FetchError
        If the archive is not a ZIP file, or a pattern matches no member or several.
    """
    out: list[Path] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            files = [m for m in zf.infolist() if not m.is_dir()]
            for pattern, name in members:
                hits = [m for m in files if fnmatch.fnmatch(Path(m.filename).name, pattern)]
                if len(hits) != 1:
                    listed = ", ".join(Path(m.filename).name for m in (hits or files)[:10])
                    found = "several members match" if hits else "no member matches"
                    raise FetchError(
                        f"{archive.name}: {found} {pattern!r} ({listed}). The publisher may "
                        "have renamed the files; adjust 'extract' in the source list."
                    )
                target = archive.parent / name
                if not (target.is_file() and target.stat().st_size == hits[0].file_size):
                    part = target.with_name(target.name + ".part")
                    with zf.open(hits[0]) as source, part.open("wb") as sink:
                        shutil.copyfileobj(source, sink)
                    part.replace(target)
                out.append(target)
    except zipfile.BadZipFile:
        raise FetchError(
            f"{archive}: not a ZIP file (a download error page?). Delete it and run "
            "`sqe-geo fetch` again."
        ) from None
    return out


def _entry(src: Source, size: int, digest: str, fetched_at: str | None) -> dict[str, Any]:
    return {
        "name": src.name,
        "url": src.url,
        "size": size,
        "sha256": digest,
        "fetched_at": fetched_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "licence": src.licence,
    }
