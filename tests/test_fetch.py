"""Tests of sqe_geo.io.fetch against a local HTTP server with Range support (no internet)."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from sqe_geo._errors import FetchError, StudyConfigError
from sqe_geo.io.fetch import RECORD_FILE, fetch, read_record
from sqe_geo.io.fetch_sources import SOURCE_LISTS, Source, sources_for

PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes
SMALL = b'"Stadtteil","Jahr","Personen"\n"Oststadt","2020",5\n'


class _Handler(BaseHTTPRequestHandler):
    # Set per server instance by the fixture (a fresh subclass each time).
    files: ClassVar[dict[str, bytes]] = {}
    log: ClassVar[list[tuple[str, str | None]]] = []
    ignore_range: ClassVar[set[str]] = set()
    cut_once: ClassVar[set[str]] = set()

    def log_message(self, format: str, *args: object) -> None:  # silence the server
        pass

    def do_GET(self) -> None:
        rng = self.headers.get("Range")
        self.log.append((self.path, rng))
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        m = re.fullmatch(r"bytes=(\d+)-", rng or "")
        if m and self.path not in self.ignore_range:
            start = int(m.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            body = body[start:]
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path in self.cut_once:  # send half, then drop the connection
            self.cut_once.discard(self.path)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type(
        "Handler",
        (_Handler,),
        {
            "files": {
                "/data.bin": PAYLOAD,
                "/cut.bin": PAYLOAD,
                "/small.csv": SMALL,
                "/norange.bin": PAYLOAD,
            },
            "log": [],
            "ignore_range": {"/norange.bin"},
            "cut_once": {"/cut.bin"},
        },
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_full_download_writes_file_record_and_progress(server, tmp_path: Path) -> None:
    base, handler = server
    calls: list[tuple[str, int, int | None]] = []
    results = fetch(
        [
            Source("data", f"{base}/data.bin", sha256=_sha(PAYLOAD), size=len(PAYLOAD)),
            {"name": "small", "url": f"{base}/small.csv"},
        ],
        tmp_path / "cache",
        progress=lambda n, d, t: calls.append((n, d, t)),
        chunk_size=1024,
    )
    assert [r.status for r in results] == ["downloaded", "downloaded"]
    assert (tmp_path / "cache" / "data.bin").read_bytes() == PAYLOAD
    assert (tmp_path / "cache" / "small.csv").read_bytes() == SMALL
    assert not list((tmp_path / "cache").glob("*.part"))
    record = json.loads((tmp_path / "cache" / RECORD_FILE).read_text(encoding="utf-8"))
    assert record["files"]["data.bin"]["sha256"] == _sha(PAYLOAD)
    assert record["files"]["data.bin"]["size"] == len(PAYLOAD)
    assert record["files"]["small.csv"]["url"] == f"{base}/small.csv"
    data_calls = [c for c in calls if c[0] == "data"]
    assert [d for _, d, _ in data_calls] == sorted(d for _, d, _ in data_calls)
    assert data_calls[-1] == ("data", len(PAYLOAD), len(PAYLOAD))
    assert all(rng is None for _, rng in handler.log)


def test_complete_file_is_not_downloaded_again(server, tmp_path: Path) -> None:
    base, handler = server
    sources = [{"name": "small", "url": f"{base}/small.csv"}]
    fetch(sources, tmp_path, progress=False)
    handler.log.clear()
    again = fetch(sources, tmp_path, progress=False)
    assert again[0].status == "cached"
    assert again[0].sha256 == _sha(SMALL)
    assert handler.log == []


def test_changed_file_is_downloaded_again(server, tmp_path: Path) -> None:
    base, _ = server
    sources = [{"name": "small", "url": f"{base}/small.csv"}]
    fetch(sources, tmp_path, progress=False)
    (tmp_path / "small.csv").write_bytes(b"damaged")
    again = fetch(sources, tmp_path, progress=False)
    assert again[0].status == "downloaded"
    assert (tmp_path / "small.csv").read_bytes() == SMALL


def test_resume_after_truncated_part_file(server, tmp_path: Path) -> None:
    base, handler = server
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:3000])
    res = fetch(
        [Source("data", f"{base}/data.bin", sha256=_sha(PAYLOAD))], tmp_path, progress=False
    )
    assert res[0].status == "resumed"
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD
    assert handler.log == [("/data.bin", "bytes=3000-")]
    assert read_record(tmp_path)["data.bin"]["sha256"] == _sha(PAYLOAD)


def test_resume_when_part_is_already_complete(server, tmp_path: Path) -> None:
    base, _ = server
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD)
    res = fetch([Source("data", f"{base}/data.bin")], tmp_path, progress=False)
    assert res[0].status == "resumed"
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD


def test_interrupted_download_keeps_part_and_resumes(server, tmp_path: Path) -> None:
    base, handler = server
    sources = [Source("cut", f"{base}/cut.bin", sha256=_sha(PAYLOAD))]
    with pytest.raises(FetchError, match="kept for resuming"):
        fetch(sources, tmp_path, progress=False, chunk_size=512)
    part = tmp_path / "cut.bin.part"
    assert 0 < part.stat().st_size < len(PAYLOAD)
    assert not (tmp_path / "cut.bin").exists()
    res = fetch(sources, tmp_path, progress=False)
    assert res[0].status == "resumed"
    assert (tmp_path / "cut.bin").read_bytes() == PAYLOAD
    assert handler.log[-1] == ("/cut.bin", f"bytes={len(PAYLOAD) // 2}-")


def test_server_ignoring_range_restarts_from_zero(server, tmp_path: Path) -> None:
    base, _ = server
    (tmp_path / "norange.bin.part").write_bytes(b"garbage that must not stay")
    res = fetch([Source("d", f"{base}/norange.bin")], tmp_path, progress=False)
    assert res[0].status == "downloaded"
    assert (tmp_path / "norange.bin").read_bytes() == PAYLOAD


def test_hash_mismatch_raises_and_leaves_no_file(server, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(FetchError, match=r"SHA-256.*expected 0{64}.*sha256"):
        fetch([Source("data", f"{base}/data.bin", sha256="0" * 64)], tmp_path, progress=False)
    assert not (tmp_path / "data.bin").exists()
    assert not (tmp_path / "data.bin.part").exists()


def test_size_mismatch_raises(server, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(FetchError, match="expected 5"):
        fetch([Source("data", f"{base}/data.bin", size=5)], tmp_path, progress=False)


def test_404_names_url_and_fix(server, tmp_path: Path) -> None:
    base, _ = server
    url = f"{base}/missing.csv"
    with pytest.raises(FetchError, match="404") as info:
        fetch([{"name": "gone", "url": url}], tmp_path, progress=False)
    assert url in str(info.value)
    assert "by hand" in str(info.value)


def test_unreachable_host_raises_fetch_error(tmp_path: Path) -> None:
    with socket.socket() as sock:  # reserve a free port, then close it: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/data.bin"
    with pytest.raises(FetchError, match="Cannot reach") as info:
        fetch([{"name": "x", "url": url}], tmp_path, progress=False, timeout=5)
    assert url in str(info.value)
    assert "offline" in str(info.value)


def test_earlier_files_stay_recorded_when_a_later_one_fails(server, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(FetchError):
        fetch(
            [{"name": "small", "url": f"{base}/small.csv"}, {"name": "g", "url": f"{base}/g"}],
            tmp_path,
            progress=False,
        )
    assert "small.csv" in read_record(tmp_path)


def test_default_progress_bar_prints_to_stderr(server, tmp_path: Path, capsys) -> None:
    base, _ = server
    fetch([{"name": "small", "url": f"{base}/small.csv"}], tmp_path)
    err = capsys.readouterr().err
    assert "small" in err
    assert "100%" in err


def test_only_restricts_sources(server, tmp_path: Path) -> None:
    base, _ = server
    sources = [
        {"name": "small", "url": f"{base}/small.csv"},
        {"name": "data", "url": f"{base}/data.bin"},
    ]
    res = fetch(sources, tmp_path, progress=False, only=["small"])
    assert [r.name for r in res] == ["small"]
    with pytest.raises(StudyConfigError, match="nope"):
        fetch(sources, tmp_path, progress=False, only=["nope"])


def test_source_list_validation() -> None:
    with pytest.raises(StudyConfigError, match="Unknown source list"):
        sources_for("atlantis")
    with pytest.raises(StudyConfigError, match="'name' and 'url'"):
        sources_for([{"url": "https://example.org/a.csv"}])
    with pytest.raises(StudyConfigError, match="unknown key"):
        sources_for([{"name": "a", "url": "https://example.org/a.csv", "md5": "x"}])
    with pytest.raises(StudyConfigError, match="not an http"):
        sources_for([{"name": "a", "url": "ftp://example.org/a.csv"}])
    with pytest.raises(StudyConfigError, match="repeat"):
        sources_for(
            [
                {"name": "a", "url": "https://example.org/x/a.csv"},
                {"name": "b", "url": "https://example.org/y/a.csv"},
            ]
        )
    with pytest.raises(StudyConfigError, match="safe file name"):
        _ = Source("a", "https://example.org/").target_name


def test_builtin_karlsruhe_list_is_well_formed() -> None:
    sources = sources_for("karlsruhe")
    assert sources == list(SOURCE_LISTS["karlsruhe"])
    names = {s.target_name for s in sources}
    assert "Zensus2022_Bevoelkerungszahl.zip" in names
    assert "Alter_in_10er-Jahresgruppen.zip" in names
    assert "karlsruhe-regbez-latest.osm.pbf" in names
    assert "altersstruktur-der-bevolkerung-unter-3-jahrige-nach-geschlecht.csv" in names
    assert all(s.url.startswith("https://") and s.licence for s in sources)
