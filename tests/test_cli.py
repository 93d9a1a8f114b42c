"""The sqe-geo command end to end: run on the demo, validate, user errors exit 2."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import sqe_geo
from sqe_geo.cli import main


def test_run_on_the_demo_writes_every_output(tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "quartiere_de.csv",
            "quarters.csv",
            "planungsraeume_de.csv",
            "planning_areas.csv",
            "stadt_de.csv",
            "city.csv",
            "sqe_indikatoren.xlsx",
            "sqe_indikatoren.gpkg",
            "MANIFEST.sha256",
        ]
    )
    city = pd.read_csv(out / "city.csv")
    row = city[city["year"] == 2016].iloc[0]
    assert row["share_older"] == pytest.approx(round(56_403 / 311_635 * 100, 1))
    assert "coverage_food_older" in city.columns  # accessibility is part of the run
    book = openpyxl.load_workbook(out / "sqe_indikatoren.xlsx", read_only=True)
    assert "Metadaten" in book.sheetnames
    printed = capsys.readouterr().out
    assert "geschrieben" in printed and "Befunde der Datenprüfung" in printed  # German default


def test_user_error_exits_2_without_traceback(tmp_path: Path):
    study = tmp_path / "study.toml"
    study.write_text('name = "x"\n', encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sqe_geo.cli",
            "--lang",
            "en",
            "run",
            str(study),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "quarters: required key is missing" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_output_folder_inside_the_inputs_is_refused(tmp_path: Path, capsys):
    folder = tmp_path / "study"
    shutil.copytree(sqe_geo.DEMO_STUDY.parent, folder)
    code = main(
        [
            "--lang",
            "en",
            "run",
            str(folder / "demo.toml"),
            "--out",
            str(folder),
            "--no-accessibility",
        ]
    )
    assert code == 2
    assert "study input" in capsys.readouterr().err


def test_validate_prints_the_report(capsys):
    assert main(["--lang", "en", "validate", "--no-accessibility"]) == 0
    text = capsys.readouterr().out
    assert "bands do not add up to the total in 27 quarter(s)" in text
    assert "304,619 vs total 311,635" in text


def test_indicators_lists_the_catalog(capsys):
    assert main(["indicators"]) == 0
    text = capsys.readouterr().out
    assert "old_age_dependency" in text and "Altenquotient" in text


def test_fetch_of_an_unknown_list_is_a_user_error(tmp_path: Path, capsys):
    assert main(["fetch", "atlantis", "--cache", str(tmp_path)]) == 2
    assert "atlantis" in capsys.readouterr().err


def test_messages_come_in_the_language_of_the_command(tmp_path: Path, capsys, monkeypatch):
    assert main(["fetch", "atlantis", "--cache", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("sqe-geo: Fehler:")
    monkeypatch.setenv("SQE_GEO_LANG", "en")
    assert main(["fetch", "atlantis", "--cache", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("sqe-geo: error:")
    assert main(["--lang", "de", "indicators"]) == 0
    assert "Altenquotient" in capsys.readouterr().out


def test_run_lang_is_the_global_language(tmp_path: Path, capsys):
    assert main(["run", "--out", str(tmp_path / "o"), "--no-accessibility", "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "Data-quality findings" in printed and "wrote" in printed


def test_demo_command_builds_from_the_public_files(karlsruhe: Path, tmp_path: Path, capsys):
    assert main(["demo", "--sources", str(karlsruhe), str(tmp_path / "demo")]) == 0
    written = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert written == [
        "demographics.csv", "planning_areas.csv", "population_grid.tif", "quarters.gpkg",
        "services.gpkg", "streets.gpkg",
    ]  # fmt: skip
    assert "quarters.gpkg" in capsys.readouterr().out


def test_demo_command_names_a_missing_source_folder(tmp_path: Path, capsys):
    code = main(["demo", "--sources", str(tmp_path / "nothing"), str(tmp_path / "demo")])
    assert code == 2
    err = capsys.readouterr().err
    assert "Die Demo-Quelle" in err and "--sources" in err and "Traceback" not in err
    assert not (tmp_path / "demo").exists()
