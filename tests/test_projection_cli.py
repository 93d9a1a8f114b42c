"""``sqe-geo project`` on the demo: the CSV, raking, rate tables and user errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sqe_geo._resources import DEMO_FOLDER
from sqe_geo.cli import main

BANDS = ["age_0_19", "age_20_64", "age_65_79", "age_80plus"]


def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    return folder


def read_german(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype={"quarter_id": str})


def test_all_variants_as_a_demographics_table(tmp_path: Path, capsys):
    out = tmp_path / "prognose.csv"
    assert main(["project", "--to", "2030", "--variant", "all", "--out", str(out)]) == 0
    table = read_german(out)
    assert set(table["kind"]) == {"Prognose"}
    assert set(table["variant"]) == {"low", "main", "high"}
    assert sorted(table["year"].unique()) == list(range(2024, 2031))
    assert len(table) == 3 * 7 * 27
    for column in ["total", "young", "older", *BANDS]:
        assert pd.api.types.is_integer_dtype(table[column]) and (table[column] >= 0).all()
    assert (table["total"] == table[BANDS].sum(axis=1)).all()
    assert (table["older"] == table["age_65_79"] + table["age_80plus"]).all()
    assert (table["young"] == table["age_0_19"]).all()
    city = table.groupby(["year", "variant"])["total"].sum().unstack()
    assert (city["low"] <= city["main"]).all() and (city["main"] <= city["high"]).all()
    printed = capsys.readouterr().out
    assert "Modellrechnungen (Prognose)" in printed and "2016, 2023" in printed


def test_raked_to_the_official_total_exactly(tmp_path: Path):
    official = inputs(tmp_path) / "amtlich.csv"  # never an output beside an input (house rule)
    official.write_text("year;total\n2024;300000\n2025;301234\n", encoding="utf-8")
    out = tmp_path / "out" / "prognose.csv"
    out.parent.mkdir()
    args = ["project", "--to", "2026", "--official", str(official), "--out", str(out)]
    assert main(args) == 0
    city = read_german(out).groupby("year")["total"].sum()
    assert city[2024] == 300000 and city[2025] == 301234
    assert city[2026] != 301234  # not raked: no official figure for 2026


def test_raked_to_official_age_bands(tmp_path: Path):
    official = inputs(tmp_path) / "amtlich.csv"
    official.write_text(
        "year;total;age_0_19;age_20_64;age_65_79;age_80plus\n2025;320000;55000;200000;42000;23000\n",
        encoding="utf-8",
    )
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "p.csv"
    args = ["project", "--to", "2025", "--variant", "all", "--official", str(official)]
    assert main([*args, "--out", str(out)]) == 0
    table = read_german(out)
    raked = table[table["year"] == 2025].groupby("variant")[["total", *BANDS]].sum()
    for variant in ("low", "main", "high"):
        assert raked.loc[variant].tolist() == [320000, 55000, 200000, 42000, 23000]


def test_migration_rates_from_a_table_and_english(tmp_path: Path):
    rates = inputs(tmp_path) / "wanderung.csv"
    rates.write_text("age,main,high\n0-19,10,20\n20-64,5,\n65-79,0,\n80+,0,\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "projection.csv"
    args = ["--lang", "en", "project", "--to", "2025", "--migration", str(rates), "--out", str(out)]
    assert main(args) == 0
    table = pd.read_csv(out, dtype={"quarter_id": str})
    assert set(table["kind"]) == {"projection"} and set(table["variant"]) == {"main"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--to", "2020"], "2020"),
        (["--base-year", "2019"], "2019"),
        (["--base-year", "2016"], "--migration"),  # one year of history: no migration from it
        (["--step", "0"], "(0)"),
        (["--damping", "-1"], "-1"),
        (["--migration", "RATES"], "'5-9'"),
    ],
)
def test_user_errors_exit_2_and_write_nothing(tmp_path: Path, capsys, extra, expected):
    rates = inputs(tmp_path) / "rates.csv"
    rates.write_text("age,main\n5-9,1\n", encoding="utf-8")
    extra = [str(rates) if e == "RATES" else e for e in extra]
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "out.csv"
    assert main(["project", *extra, "--out", str(out)]) == 2
    assert expected in capsys.readouterr().err
    assert not list((tmp_path / "out").iterdir())  # no file, no .part left behind


def test_refuses_to_write_into_an_input_folder(tmp_path: Path, capsys):
    assert main(["project", "--to", "2025", "--out", str(DEMO_FOLDER / "x.csv")]) == 2
    assert not (DEMO_FOLDER / "x.csv").exists()
    official = tmp_path / "amtlich.csv"
    official.write_text("year;total\n2024;300000\n", encoding="utf-8")
    args = ["project", "--official", str(official), "--out", str(tmp_path / "x.csv")]
    assert main(args) == 2
    assert "amtlich.csv" in capsys.readouterr().err
