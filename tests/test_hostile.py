"""Every bad input gets a clear answer (issue 8, part 3).

Each case of :mod:`tests.hostile_cases` damages one thing in a copy of the demo study and
runs ``sqe-geo run`` on it. An error must exit 2 with one message (no traceback) naming
the file, column or cell and the fix, leave nothing in the output folder and leave the
inputs unchanged; an accepted value must exit 0 and leave a finding in the data-quality
report. Output cases (formula-like names, symlinks, interruptions, manifest) and upload
cases (damaged and forged archives) follow.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from hostile_cases import (
    CASES,
    DEMO,
    QUARTERS,
    Case,
    copy_demo,
    corrupt_member,
    quarters_edit,
    tree_hash,
    zip_of,
)

from sqe_geo._errors import InputDataError
from sqe_geo.access.network_cache import load_or_build_network
from sqe_geo.cli import main
from sqe_geo.io.upload import UploadMapping, UploadWorkspace
from sqe_geo.outputs import export
from sqe_geo.study import load_study

OUTPUT_NAMES = {
    "quartiere_de.csv",
    "quarters.csv",
    "planungsraeume_de.csv",
    "planning_areas.csv",
    "stadt_de.csv",
    "city.csv",
    "sqe_indikatoren.xlsx",
    "sqe_indikatoren.gpkg",
    "MANIFEST.sha256",
}


#: Every error message says what to do: one of these verbs introduces the fix.
FIX_WORDS = (
    *("set ", "save", "fix", "use ", "check", "remove", "rename", "write", "give", "name "),
    *("pack", "choose", "export", "fill", "draw", "unpack", "repair", "add "),
)


def _run(toml: Path, out: Path, *extra: str) -> int:
    return main(["run", str(toml), "--out", str(out), "--no-accessibility", *extra])


def _assert_complete(out: Path) -> None:
    assert {p.name for p in out.iterdir()} == OUTPUT_NAMES
    for line in (out / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def _assert_nothing_published(out: Path) -> None:
    assert not out.exists() or not any(out.iterdir()), sorted(out.iterdir())
    leftovers = [p.name for p in out.parent.iterdir() if "stag" in p.name or p.suffix == ".part"]
    assert not leftovers


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    toml = copy_demo(tmp_path / "study")
    case.damage(toml.parent)
    before = tree_hash(toml.parent)
    out = tmp_path / "out"
    code = _run(toml, out, "--lang", "en")  # messages and data-quality sheet in English
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if case.outcome == "error":
        assert code == 2, captured.out
        message = captured.err
        for fragment in case.expect:
            assert fragment in message, f"{fragment!r} not in {message!r}"
        assert len(message) < 2500, "messages never dump file content"
        assert any(word in message.lower() for word in FIX_WORDS), f"no fix in {message!r}"
        _assert_nothing_published(out)
    else:
        assert code == 0, captured.err
        _assert_complete(out)
        if case.outcome == "finding":
            # the finding reaches the data-quality sheet of the published workbook
            report = pd.read_excel(out / "sqe_indikatoren.xlsx", sheet_name=-1)  # data quality
            report.columns = ["severity", "layer", "check", "count", "message", "items"]
            found = report[report["check"] == case.check]
            assert len(found), f"no {case.check!r} finding in {report['check'].tolist()}"
            text = " ".join(
                f"{m} {i}" for m, i in zip(found["message"], found["items"], strict=True)
            )
            for fragment in case.expect:
                assert fragment in text, f"{fragment!r} not in {text!r}"
    assert tree_hash(toml.parent) == before, "an input was changed"


def test_cases_cover_every_group():
    groups = {c.group for c in CASES}
    assert groups == {"tables", "geometry", "files"}
    assert len({c.id for c in CASES}) == len(CASES)


# --- the installed command: no traceback on stderr --------------------------------------


def _command() -> list[str]:
    script = Path(sys.executable).parent / "sqe-geo"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sqe_geo.cli"]


@pytest.mark.parametrize(
    "case_id",
    ["tables-thousands_dot_in_comma_file", "geometry-lonlat_swapped", "files-zip_crc_forged"],
)
def test_installed_command_exits_2_without_traceback(case_id: str, tmp_path: Path):
    case = next(c for c in CASES if c.id == case_id)
    toml = copy_demo(tmp_path / "study")
    case.damage(toml.parent)
    out = tmp_path / "out"
    proc = subprocess.run(
        [*_command(), "run", str(toml), "--out", str(out), "--no-accessibility"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    # the command speaks German unless --lang en or SQE_GEO_LANG=en says otherwise
    assert proc.stderr.startswith("sqe-geo: Fehler:")
    _assert_nothing_published(out)


# --- outputs --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+49 Nord", "-Süd", "@SUM(A1)"])
def test_output_formula_like_names_are_text(name: str, tmp_path: Path):
    toml = copy_demo(tmp_path / "study")
    quarters_edit(lambda fr: fr.assign(name=[name, *fr["name"].iloc[1:]]))(toml.parent)
    out = tmp_path / "out"
    assert _run(toml, out) == 0
    book = openpyxl.load_workbook(out / "sqe_indikatoren.xlsx")
    sheet = book["Quartiere"]
    cells = [c for c in sheet["B"] if c.value == name]
    assert cells, "the name is kept as written in XLSX"
    assert all(c.data_type == "s" for c in cells)
    for stem, sep in (("quartiere_de.csv", ";"), ("quarters.csv", ",")):
        text = (out / stem).read_text(encoding="utf-8-sig")
        names = [row[1] for row in csv.reader(io.StringIO(text), delimiter=sep)]
        assert f"'{name}" in names
        assert name not in names


def test_output_numbers_are_not_neutralised(tmp_path: Path):
    frame = export.csv_bytes(
        pd.DataFrame({"name": ["-x", "a"], "v": [-1.5, 2.0]}), german=False
    ).decode()
    assert frame.splitlines()[1:] == ["'-x,-1.5", "a,2.0"]


def test_output_symlink_to_an_input_is_replaced_not_followed(tmp_path: Path):
    toml = copy_demo(tmp_path / "study")
    before = tree_hash(toml.parent)
    out = tmp_path / "out"
    out.mkdir()
    (out / "city.csv").symlink_to(toml.parent / "demographics.csv")
    assert _run(toml, out) == 0
    assert not (out / "city.csv").is_symlink()
    assert tree_hash(toml.parent) == before


def test_output_folder_symlinked_to_the_inputs_is_refused(tmp_path: Path, capsys):
    toml = copy_demo(tmp_path / "study")
    before = tree_hash(toml.parent)
    (tmp_path / "out").symlink_to(toml.parent)
    assert _run(toml, tmp_path / "out", "--lang", "en") == 2
    assert "study input" in capsys.readouterr().err
    assert tree_hash(toml.parent) == before


def test_output_folder_holding_the_target_of_an_input_symlink_is_refused(tmp_path: Path, capsys):
    toml = copy_demo(tmp_path / "study")
    out = tmp_path / "out"
    out.mkdir()
    # the demographics are a link to a file in the output folder: a run must not replace it
    (toml.parent / "demographics.csv").rename(out / "city.csv")
    (toml.parent / "demographics.csv").symlink_to(out / "city.csv")
    before = (out / "city.csv").read_bytes()
    assert _run(toml, out, "--lang", "en") == 2
    assert "study input" in capsys.readouterr().err
    assert (out / "city.csv").read_bytes() == before


def test_output_path_is_a_file(tmp_path: Path, capsys):
    toml = copy_demo(tmp_path / "study")
    (tmp_path / "out").write_text("x", encoding="utf-8")
    assert _run(toml, tmp_path / "out", "--lang", "en") == 2
    assert "is not a folder" in capsys.readouterr().err


def test_output_rerun_replaces_the_whole_set(tmp_path: Path):
    toml = copy_demo(tmp_path / "study")
    out = tmp_path / "out"
    assert _run(toml, out) == 0
    assert _run(toml, out) == 0
    _assert_complete(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("when", ["building", "publishing"])
@pytest.mark.parametrize("how", ["keyboard_interrupt", "sigterm", "disk_full"])
def test_output_interrupted_run_publishes_nothing(
    how: str, when: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    toml = copy_demo(tmp_path / "study")
    out = tmp_path / "out"
    calls = {"n": 0}
    real = export.write_atomic

    def interrupt() -> None:
        if how == "keyboard_interrupt":
            raise KeyboardInterrupt
        if how == "sigterm":
            os.kill(os.getpid(), signal.SIGTERM)
        raise OSError(28, "No space left on device")

    def failing_write(path: Path, data: bytes) -> Path:
        calls["n"] += 1
        if when == "building" and calls["n"] == 4:
            # a half-written part file, as a crash in the middle of a write leaves it
            (Path(path).parent / f".{Path(path).name}.x.part").write_bytes(data[:10])
            interrupt()
        return real(path, data)

    def failing_xlsx(*args, **kwargs):
        interrupt()

    if when == "building":
        monkeypatch.setattr(export, "write_atomic", failing_write)
    else:
        monkeypatch.setattr(export, "xlsx_bytes", failing_xlsx)
    previous = signal.getsignal(signal.SIGTERM)
    code = _run(toml, out)
    assert signal.getsignal(signal.SIGTERM) == previous
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code == (2 if how == "disk_full" else 130 if how == "keyboard_interrupt" else 143)
    _assert_nothing_published(out)


def _catches_sigterm(pid: int) -> bool:
    """Whether a process has installed a SIGTERM handler (Linux: SigCgt in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_output_sigterm_to_the_installed_command(tmp_path: Path):
    """A real SIGTERM in the middle of a run: exit 143, no traceback, nothing published."""
    toml = copy_demo(tmp_path / "study")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*_command(), "run", str(toml), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wait until the command runs (its handler is installed), then interrupt the run
    while proc.poll() is None and not _catches_sigterm(proc.pid):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == 143, stderr
    assert "beendet" in stderr  # German by default ("terminated" with --lang en)
    _assert_nothing_published(out)


# --- network as several files ----------------------------------------------------------


def test_network_from_several_files_equals_one_file(tmp_path: Path):
    streets = gpd.read_file(DEMO / "streets.gpkg", layer="streets", engine="pyogrio")
    half = len(streets) // 2
    streets.iloc[:half].to_file(tmp_path / "a.gpkg", engine="pyogrio")
    streets.iloc[half:].to_file(tmp_path / "b.gpkg", engine="pyogrio")
    whole = load_or_build_network(DEMO / "streets.gpkg", tmp_path / "cache")
    merged = load_or_build_network([tmp_path / "a.gpkg", tmp_path / "b.gpkg"], tmp_path / "cache")
    assert merged.n_edges == whole.n_edges
    assert merged.edge_length.sum() == pytest.approx(whole.edge_length.sum())


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [("degrees_labelled_utm", "degrees"), ("lonlat_swapped", "swapped")],
    ids=lambda v: f"network-{v}" if "_" in v else v,
)
def test_network_in_the_wrong_crs_is_refused(kind: str, fragment: str, tmp_path: Path):
    streets = gpd.read_file(DEMO / "streets.gpkg", layer="streets", engine="pyogrio")
    lonlat = streets.to_crs("EPSG:4326")
    if kind == "degrees_labelled_utm":
        damaged = lonlat.set_crs("EPSG:25832", allow_override=True)
    else:
        damaged = lonlat.set_geometry(
            shapely.transform(lonlat.geometry.values, lambda c: c[:, ::-1])
        )
    damaged.to_file(tmp_path / "wege.gpkg", engine="pyogrio")
    with pytest.raises(InputDataError) as info:
        load_or_build_network([tmp_path / "wege.gpkg"], tmp_path / "cache")
    assert "wege.gpkg" in str(info.value) and fragment in str(info.value)


# --- uploads --------------------------------------------------------------------------


def _shapefile_zip(tmp_path: Path) -> bytes:
    frame = gpd.read_file(DEMO / QUARTERS, layer="quarters", engine="pyogrio")
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "quarters.shp", engine="pyogrio")
    return zip_of({p.name: p.read_bytes() for p in sorted(folder.iterdir())})


def _deflated(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _encrypted_flag(data: bytes) -> bytes:
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (i := out.find(sig, start)) != -1:
            out[i + offset] |= 0x01
            start = i + 4
    return bytes(out)


def _size_lie(data: bytes) -> bytes:
    """Claim a tiny uncompressed size in the central directory (a forged bomb)."""
    out = bytearray(data)
    i = out.find(b"PK\x01\x02")
    out[i + 24 : i + 28] = (10).to_bytes(4, "little")
    j = out.find(b"PK\x03\x04")
    out[j + 22 : j + 26] = (10).to_bytes(4, "little")
    return bytes(out)


UPLOADS = {
    "garbage": (lambda z: b"PK\x03\x04garbage" * 20, "not a valid ZIP"),
    "truncated": (lambda z: z[: len(z) // 2], "not a valid ZIP"),
    "crc_forged": (lambda z: corrupt_member(_deflated(dict(_members(z)))), "damaged"),
    "unsafe_member": (lambda z: zip_of({"../escape.shp": b"x"}), "unsafe"),
    "absolute_member": (lambda z: zip_of({"/etc/escape.shp": b"x"}), "unsafe"),
    "encrypted": (_encrypted_flag, "encrypted"),
    "size_lie": (lambda z: _size_lie(_deflated({"quarters.shp": b"\0" * 200_000})), "damaged"),
    "bomb": (lambda z: _deflated({"quarters.shp": b"\0" * 5_000_000}), "unpacks to"),
    "no_layer": (lambda z: zip_of({"readme.txt": b"hello"}), "no Shapefile"),
    "empty": (lambda z: zip_of({}), "no Shapefile"),
}


def _members(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            yield name, archive.read(name)


@pytest.mark.parametrize("kind", list(UPLOADS), ids=lambda k: f"upload-{k}")
def test_upload_damaged_archive(kind: str, tmp_path: Path):
    make, fragment = UPLOADS[kind]
    data = make(_shapefile_zip(tmp_path))
    with UploadWorkspace(max_bytes=1_000_000) as workspace:
        with pytest.raises(InputDataError) as info:
            workspace.stage("boundaries", "stadtteile.zip", data)
        message = str(info.value)
        assert "stadtteile.zip" in message and fragment in message
        assert any(word in message.lower() for word in (*FIX_WORDS, "clip")), message
        assert len(message) < 1500
        escaped = [p for p in workspace.folder.parent.iterdir() if p.name == "escape.shp"]
        assert not escaped


def test_upload_of_a_good_archive_still_works(tmp_path: Path):
    with UploadWorkspace() as workspace:
        path = workspace.stage("boundaries", "stadtteile.zip", _shapefile_zip(tmp_path))
        assert path.name == "quarters.shp"
        assert "quarter_id" in workspace.columns("boundaries")


def test_upload_demographics_from_a_vector_file(tmp_path: Path):
    """The residents may come from the attribute table of the boundaries themselves."""
    frame = gpd.read_file(DEMO / QUARTERS, layer="quarters", engine="pyogrio")
    frame["Einwohner"] = 1000
    frame["Alter_0_64"] = 800
    frame["Alter_65_plus"] = 200
    data = frame.to_crs("EPSG:4326").to_json(drop_id=True).encode()
    with UploadWorkspace() as workspace:
        workspace.stage("boundaries", "stadtteile.geojson", data)
        workspace.stage("demographics", "stadtteile.geojson", data)
        assert "Einwohner" in workspace.columns("demographics")
        config = workspace.build_config(
            UploadMapping(
                id_column="quarter_id",
                name_column="name",
                key_column="quarter_id",
                total_column="Einwohner",
                bands={"Alter_0_64": "0-64", "Alter_65_plus": "65+"},
                year=2024,
            )
        )
        study = load_study(config)
        assert study.demographics["older"].sum() == 200 * len(frame)


def test_three_decimals_in_a_coordinate_column_are_not_thousands(tmp_path: Path):
    """Only columns named as counts are checked for "1.000": 8.403 may be a longitude."""
    from sqe_geo.io.tables import read_table

    path = tmp_path / "adressen.csv"
    path.write_text("name,lon,lat\na,8.403,49.012\nb,8.4,49.1\n", encoding="utf-8")
    table = read_table(path, text_columns=["name"])
    assert table["lon"].tolist() == [8.403, 8.4]
