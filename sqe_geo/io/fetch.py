"""Download of open data sources into a local cache (``sqe-geo fetch``).

:func:`fetch` downloads a list of :class:`~sqe_geo.io.fetch_sources.Source` objects (or the
name of a built-in list, see :data:`~sqe_geo.io.fetch_sources.SOURCE_LISTS`) into a cache
folder:

* each file is written to ``<name>.part`` first and renamed when complete, so a broken
  download never looks like a finished one;
* an interrupted download resumes from the ``.part`` file with an HTTP ``Range`` request
  (a server that ignores ranges makes it start again; :mod:`sqe_geo.io.download`);
* size and SHA-256 of every finished file are kept in ``fetch-record.json`` in the cache
  folder; a file already there whose hash matches (the configured ``sha256`` or the
  recorded one) is not downloaded again, and a file with no known hash (e.g. saved there
  by hand) is accepted as it is and recorded;
* problems raise :class:`~sqe_geo._errors.FetchError` naming the address and the fix
  (offline or unreachable, HTTP errors such as 404, size or hash mismatch).

The built-in addresses could not be checked from the development sandbox, which has no
internet access: if one has moved, the error message says where to look, and a corrected
list can be passed to :func:`fetch`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import requests

from sqe_geo._errors import FetchError, StudyConfigError
from sqe_geo.i18n.messages import Message
from sqe_geo.io.download import ProgressCallback, Transfer, download, stderr_progress
from sqe_geo.io.fetch_sources import Source, sources_for
from sqe_geo.io.hashing import file_sha256

__all__ = ["RECORD_FILE", "FetchResult", "extract_members", "fetch", "read_record"]

#: Name of the JSON record of finished downloads inside the cache folder.
RECORD_FILE = "fetch-record.json"

_CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchResult:
    """Outcome for one source: where it is and what was done."""

    name: str
    path: Path
    size: int
    sha256: str
    status: Literal["downloaded", "resumed", "cached"]


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
                Message(
                    "io.fetch.unknown_only",
                    names=", ".join(unknown),
                    available=", ".join(s.name for s in sources),
                )
            )
        sources = [s for s in sources if s.name in wanted]
    cache = Path(cache_dir)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(
            Message("io.fetch.cache_folder", path=str(cache), detail=str(exc))
        ) from exc
    callback: ProgressCallback | None
    if progress is True:
        callback = stderr_progress()
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
    job = Transfer(src, target, callback, timeout, chunk_size)
    status = download(job, http)
    part = job.part
    size = part.stat().st_size
    if src.size is not None and size != src.size:
        part.unlink()
        raise FetchError(
            Message("io.fetch.size_mismatch", url=src.url, size=size, expected=src.size)
        )
    digest = file_sha256(part)
    if src.sha256 is not None and digest != src.sha256.lower():
        part.unlink()
        raise FetchError(
            Message("io.fetch.hash_mismatch", url=src.url, digest=digest, expected=src.sha256)
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
                    key = "io.fetch.zip_several_match" if hits else "io.fetch.zip_none_match"
                    raise FetchError(
                        Message(key, archive=archive.name, pattern=pattern, listed=listed)
                    )
                target = archive.parent / name
                if not (target.is_file() and target.stat().st_size == hits[0].file_size):
                    part = target.with_name(target.name + ".part")
                    with zf.open(hits[0]) as source, part.open("wb") as sink:
                        shutil.copyfileobj(source, sink)
                    part.replace(target)
                out.append(target)
    except zipfile.BadZipFile:
        raise FetchError(Message("io.fetch.not_zip", archive=str(archive))) from None
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
