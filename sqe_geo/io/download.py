"""One HTTP download into a ``.part`` file, resuming with a ``Range`` request.

:func:`download` is the transfer step of :func:`sqe_geo.io.fetch.fetch`: it writes the file
to ``<name>.part`` (the caller checks it and renames it), resumes an interrupted download
from the ``.part`` file (a server that ignores ranges makes it start again) and turns
network and HTTP problems into a :class:`~sqe_geo._errors.FetchError` naming the address
and the fix.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import requests

from sqe_geo._errors import FetchError
from sqe_geo.i18n.messages import Message
from sqe_geo.io.fetch_sources import Source

__all__ = ["ProgressCallback", "Transfer", "download", "stderr_progress"]

#: ``progress(source_name, bytes_done, bytes_total_or_None)``, called while downloading.
ProgressCallback = Callable[[str, int, int | None], None]

Outcome = Literal["downloaded", "resumed"]


@dataclass(frozen=True)
class Transfer:
    """One source on its way into the cache folder.

    Parameters
    ----------
    src
        The source.
    target
        The finished file's path (the download goes to ``<target>.part``).
    progress
        Called while downloading, or ``None``.
    timeout
        Seconds to wait for the server to connect or send data.
    chunk_size
        Bytes per read.
    """

    src: Source
    target: Path
    progress: ProgressCallback | None
    timeout: float
    chunk_size: int

    @property
    def part(self) -> Path:
        """The file being written."""
        return self.target.with_name(self.target.name + ".part")

    def manual(self) -> Message:
        """The hint to download the file by hand."""
        return Message("io.fetch.manual_hint", url=self.src.url, target=str(self.target))


def stderr_progress() -> ProgressCallback:
    """A progress bar per source on stderr."""
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


def download(job: Transfer, session: requests.Session) -> Outcome:
    """Download ``job.src`` into ``job.part``, resuming a partial file.

    Returns
    -------
    str
        ``"downloaded"`` or ``"resumed"``.

    Raises
    ------
    FetchError
        Unreachable host, timeout, HTTP error, a download that stopped early, or a server
        whose answers to the resume request are inconsistent.
    """
    src, part = job.src, job.part
    for _attempt in range(2):
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with session.get(src.url, headers=headers, stream=True, timeout=job.timeout) as resp:
                outcome = _receive(job, resp, offset)
        except requests.exceptions.Timeout as exc:
            raise FetchError(
                Message(
                    "io.fetch.timeout",
                    url=src.url,
                    timeout=job.timeout,
                    kind=type(exc).__name__,
                    manual=job.manual(),
                )
            ) from exc
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            state = Message("io.fetch.part_kept", part=str(part)) if part.exists() else ""
            raise FetchError(
                Message(
                    "io.fetch.unreachable",
                    url=src.url,
                    kind=type(exc).__name__,
                    state=state,
                    manual=job.manual(),
                )
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise FetchError(
                Message("io.fetch.failed", url=src.url, detail=str(exc), manual=job.manual())
            ) from exc
        if outcome is not None:
            return outcome
    raise FetchError(Message("io.fetch.inconsistent_resume", url=src.url, part=str(part)))


def _receive(job: Transfer, resp: requests.Response, offset: int) -> Outcome | None:
    """Write one answer into the ``.part`` file; ``None``: the part was dropped, try again."""
    part = job.part
    if resp.status_code == 416 and offset:
        total = _content_range_total(resp.headers.get("Content-Range", ""))
        if total == offset:
            return "resumed"  # the .part file was already complete
        part.unlink()
        return None
    if resp.status_code >= 400:
        raise FetchError(_http_message(job, resp.status_code, resp.reason))
    resumed = resp.status_code == 206 and offset > 0
    if resumed:
        if _content_range_start(resp.headers.get("Content-Range", "")) != offset:
            part.unlink()
            return None
    else:
        offset = 0
    length = resp.headers.get("Content-Length")
    total = offset + int(length) if length and length.isdigit() else job.src.size
    done = offset
    with part.open("ab" if resumed else "wb") as fh:
        for chunk in resp.iter_content(chunk_size=job.chunk_size):
            fh.write(chunk)
            done += len(chunk)
            if job.progress is not None:
                job.progress(job.src.name, done, total)
    if total is None and job.progress is not None:
        job.progress(job.src.name, done, done)  # size now known: signal the end
    if total is not None and done != total:
        raise FetchError(
            Message("io.fetch.stopped", url=job.src.url, done=done, total=total, part=str(part))
        )
    return "resumed" if resumed else "downloaded"


def _content_range_total(header: str) -> int | None:
    m = re.search(r"/(\d+)\s*$", header)
    return int(m.group(1)) if m else None


def _content_range_start(header: str) -> int | None:
    m = re.match(r"\s*bytes\s+(\d+)-", header)
    return int(m.group(1)) if m else None


def _http_message(job: Transfer, status: int, reason: str) -> Message:
    url, manual = job.src.url, job.manual()
    if status == 404:
        return Message("io.fetch.http_404", url=url, manual=manual)
    if status in {401, 403}:
        return Message(
            "io.fetch.http_refused", url=url, status=status, reason=reason, manual=manual
        )
    return Message("io.fetch.http_other", url=url, status=status, reason=reason, manual=manual)
