"""Tests of the table reader (sqe_geo.io.tables), key matching (sqe_geo.io.keys) and the
Transparenzportal readers (sqe_geo.io.portal), on small files generated here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqe_geo._errors import InputDataError
from sqe_geo.io.keys import add_quarter_ids, match_keys, normalize_id, normalize_name
from sqe_geo.io.portal import band_label_from_filename, read_portal_bands, read_portal_csv
from sqe_geo.io.table_numbers import cell_ref
from sqe_geo.io.tables import TableLayout, read_table
from sqe_geo.quality import QualityReport

REFERENCE = pd.DataFrame(
    {
        "quarter_id": ["01", "02", "05", "07", "08", "13", "19", "27"],
        "name": [
            "Innenstadt-Ost",
            "Innenstadt-West",
            "Weststadt",
            "Oststadt",
            "Mühlburg",
            "Beiertheim-Bulach",
            "Durlach",
            "Nordstadt",
        ],
    }
)

# --------------------------------------------------------------------------- tables


def test_cell_ref() -> None:
    assert cell_ref(0, 1) == "A1"
    assert cell_ref(2, 7) == "C7"
    assert cell_ref(26, 3) == "AA3"


def test_read_comma_csv_with_quotes(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        '"Stadtteil","Jahr","Personen","Anteil (%)"\n"Oststadt","2020",1234,"12.5"\n',
        encoding="utf-8",
    )
    df = read_table(path)
    assert df.columns.tolist() == ["Stadtteil", "Jahr", "Personen", "Anteil (%)"]
    assert df.loc[0, "Personen"] == 1234.0
    assert df.loc[0, "Anteil (%)"] == 12.5
    assert df.loc[0, "Stadtteil"] == "Oststadt"


def test_read_semicolon_decimal_comma_bom(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    text = "Stadtteil;Einwohner;Anteil\nMühlburg;1.234;5,5\nOststadt ;12;–\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    report = QualityReport()
    df = read_table(path, text_columns=["Stadtteil"], report=report)
    assert df["Einwohner"].tolist() == [1234.0, 12.0]
    assert df.loc[0, "Anteil"] == 5.5
    assert np.isnan(df.loc[1, "Anteil"])
    assert df["Stadtteil"].tolist() == ["Mühlburg", "Oststadt"]
    (missing,) = report.by_check("missing_cells")
    assert missing.severity == "info"
    assert missing.items == ("Anteil: 1",)


def test_read_cp1252_fallback_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("Stadtteil;Personen\nRüppurr;7\n".encode("cp1252"))
    report = QualityReport()
    df = read_table(path, report=report)
    assert df.loc[0, "Stadtteil"] == "Rüppurr"
    assert report.by_check("encoding_fallback")


def test_read_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "d.txt"
    path.write_text("key\tvalue\nA\t1.5\nB\t2\n", encoding="utf-8")
    assert read_table(path)["value"].tolist() == [1.5, 2.0]


def test_non_numeric_and_negative_counts_reported_with_cells(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "Stadtteil,Jahr,Personen,Veraenderung\nA,2020,10,-3\nB,2020,abc,1\nC,2020,-4,2\n",
        encoding="utf-8",
    )
    report = QualityReport()
    df = read_table(
        path,
        text_columns=["Stadtteil"],
        count_columns=["Personen"],
        report=report,
    )
    assert df["Personen"].isna().tolist() == [False, True, True]
    assert df["Veraenderung"].tolist() == [-3.0, 1.0, 2.0]  # not a count: negatives allowed
    (bad,) = report.by_check("non_numeric_cells")
    assert bad.items == ("C3 (Personen='abc')",)
    (neg,) = report.by_check("negative_counts")
    assert neg.items == ("C4 (Personen='-4')",)


def test_title_lines_skipped_and_cells_still_counted_from_top(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Bevölkerung 2020\nQuelle: Stadt\nName;Anzahl\nA;1\nB;-2\n", encoding="utf-8")
    report = QualityReport()
    df = read_table(path, TableLayout(skiprows=2), report=report)
    assert df.columns.tolist() == ["Name", "Anzahl"]
    assert report.by_check("negative_counts")[0].items == ("B5 (Anzahl='-2')",)
    xlsx = tmp_path / "t.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame({"Name": ["A"], "Anzahl": [3]}).to_excel(writer, startrow=1, index=False)
    assert read_table(xlsx, TableLayout(skiprows=1))["Anzahl"].tolist() == [3.0]


def test_text_column_is_not_converted(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("name,code\nA,x1\nB,x2\n", encoding="utf-8")
    df = read_table(path)
    assert df["code"].tolist() == ["x1", "x2"]


def test_read_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "g.xlsx"
    pd.DataFrame(
        {"Stadtteil": ["Oststadt", "Weststadt"], "Personen": [5, "7,5"], "Jahr": [2020, 2020]}
    ).to_excel(path, index=False)
    report = QualityReport()
    df = read_table(path, text_columns=["Stadtteil"], report=report)
    assert df["Personen"].tolist() == [5.0, 7.5]
    assert df["Jahr"].tolist() == [2020.0, 2020.0]
    assert len(report) == 0


@pytest.mark.parametrize(
    ("content", "kwargs", "match"),
    [
        (None, {}, "not found"),
        ("", {}, "empty"),
        ("a,b\n1,2\n", {"text_columns": ["c"]}, "column"),
        ("a,b\n1,2\n", {"layout": TableLayout(decimal=";")}, "decimal"),
    ],
)
def test_read_table_errors(tmp_path: Path, content: str | None, kwargs: dict, match: str) -> None:
    path = tmp_path / "h.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputDataError, match=match):
        read_table(path, **kwargs)


def test_xls_is_refused_with_a_fix(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputDataError, match="xlsx"):
        read_table(path)


# --------------------------------------------------------------------------- keys


def test_normalize_name_and_id() -> None:
    assert normalize_name("Beiertheim - Bulach") == "beiertheimbulach"
    assert normalize_name("MÜHLBURG") == normalize_name("Muehlburg") == "muehlburg"
    assert normalize_name("Großstadt") == "grossstadt"
    assert normalize_name("Café Élan") == "cafeelan"
    assert [normalize_id(k) for k in (1, "1", "01", 1.0, " 07 ", "1,0")] == ["1"] * 4 + [
        "7",
        "1",
    ]
    assert normalize_id("A1") is None
    assert normalize_id(True) is None
    assert normalize_id(float("nan")) is None


def test_match_ids() -> None:
    report = QualityReport()
    mapping, unmatched = match_keys([1, "1", "02", 5.0, "99"], REFERENCE, report=report)
    assert mapping == {1: "01", "02": "02", 5.0: "05"} | {"1": "01"}
    assert unmatched == ["99"]
    assert report.by_check("duplicate_keys")[0].items == ("01: 1 | 1",)


def test_match_names_exact_normalised_and_fuzzy() -> None:
    report = QualityReport()
    keys = [
        "Oststadt",
        "MUEHLBURG",
        "beiertheim bulach",
        "Innenstadt Ost",
        "Durlah",  # one letter missing
        "Nordstad t",  # space only
        "Karlsruhe gesamt",
        "Wststadt",  # one edit from Weststadt AND from Oststadt: ambiguous
    ]
    mapping, unmatched = match_keys(keys, REFERENCE, report=report, source="x.csv")
    assert mapping == {
        "Oststadt": "07",
        "MUEHLBURG": "08",
        "beiertheim bulach": "13",
        "Innenstadt Ost": "01",
        "Durlah": "19",
        "Nordstad t": "27",
    }
    assert unmatched == ["Karlsruhe gesamt", "Wststadt"]
    (fuzzy,) = report.by_check("fuzzy_key_match")
    assert fuzzy.items == ("Durlah → Durlach (19)",)
    assert fuzzy.severity == "warning"
    (norm,) = report.by_check("normalised_key_match")
    assert norm.count == 4
    (um,) = report.by_check("unmatched_keys")
    assert um.items == ("Karlsruhe gesamt", "Wststadt")
    assert "x.csv" in um.message
    assert "look like totals" in um.message
    assert "Ambiguous" in um.message
    (without,) = report.by_check("quarters_without_data")
    assert without.items == ("Innenstadt-West (02)", "Weststadt (05)")


def test_number_plus_name_keys() -> None:
    report = QualityReport()
    mapping, unmatched = match_keys(
        ["01 Innenstadt-Ost", "8. Muehlburg", "19 Durlah", "05 Oststadt"], REFERENCE, report=report
    )
    assert mapping == {"01 Innenstadt-Ost": "01", "8. Muehlburg": "08", "19 Durlah": "19"}
    assert unmatched == ["05 Oststadt"]  # number and name disagree
    assert report.by_check("fuzzy_key_match")[0].items == ("19 Durlah → Durlach (19)",)


def test_fuzzy_needs_long_names_and_can_be_switched_off() -> None:
    ref = pd.DataFrame({"quarter_id": ["1", "2"], "name": ["Au", "Oststadt"]})
    assert match_keys(["Ax"], ref)[1] == ["Ax"]
    assert match_keys(["Oststad"], ref)[0] == {"Oststad": "2"}
    assert match_keys(["Oststad"], ref, fuzzy=False)[1] == ["Oststad"]


def test_duplicate_reference_and_missing_columns() -> None:
    ref = pd.DataFrame({"quarter_id": ["1", "1", "3"], "name": ["A-Dorf", "B-Dorf", "a dorf"]})
    report = QualityReport()
    mapping, unmatched = match_keys(["1", "3", "A-Dorf", "ADorf"], ref, report=report)
    assert mapping == {"3": "3", "A-Dorf": "1"}  # exact name beats normalised duplicate
    assert unmatched == ["1", "ADorf"]
    assert report.by_check("duplicate_reference_ids")[0].severity == "error"
    assert report.by_check("duplicate_reference_names")[0].items == ("adorf",)
    with pytest.raises(InputDataError, match="quarter_id"):
        match_keys(["x"], pd.DataFrame({"name": ["x"]}))


def test_add_quarter_ids_keeps_unmatched_rows() -> None:
    table = pd.DataFrame({"Stadtteil": ["Oststadt", "Nirgendwo", "Oststadt"], "n": [1, 2, 3]})
    report = QualityReport()
    out = add_quarter_ids(table, REFERENCE, key_column="Stadtteil", report=report)
    assert out.columns.tolist() == ["Stadtteil", "quarter_id", "n"]
    assert out["quarter_id"].tolist() == ["07", None, "07"]
    assert report.by_check("unmatched_keys")[0].items == ("Nirgendwo",)
    assert not report.by_check("duplicate_keys")  # the same key on many rows is fine
    with pytest.raises(InputDataError, match="key column"):
        add_quarter_ids(table, REFERENCE, key_column="Name")


_VARIANTS = st.sampled_from(
    [
        str.upper,
        str.lower,
        lambda s: s.replace("ü", "ue").replace("-", " "),
        lambda s: s.replace("-", ""),
        lambda s: f"  {s}.",
    ]
)


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, len(REFERENCE) - 1), variant=_VARIANTS)
def test_spelling_variants_always_match(index: int, variant) -> None:
    name = REFERENCE["name"].iloc[index]
    mapping, unmatched = match_keys([variant(name)], REFERENCE)
    assert unmatched == []
    assert mapping[variant(name)] == REFERENCE["quarter_id"].iloc[index]


# --------------------------------------------------------------------------- portal

HEADER = '"Stadtteil","Jahr","Personen","männlich","weiblich"\n'


def _portal_file(path: Path, rows: list[tuple[str, str, object, object, object]]) -> Path:
    lines = [f'"{k}","{y}",{p},{m},{w}' for k, y, p, m, w in rows]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_portal_csv(tmp_path: Path) -> None:
    path = _portal_file(
        tmp_path / "altersstruktur-der-bevolkerung-unter-3-jahrige-nach-geschlecht.csv",
        [
            ("Oststadt", "2020", 10, 6, 4),
            ("Oststadt", "2021", 11, 6, 5),
            ("Weststadt", "2020", "abc", 1, 1),
            ("Weststadt", "20x1", 5, 2, 3),
            ("Oststadt", "2020", 99, 50, 49),
        ],
    )
    report = QualityReport()
    df = read_portal_csv(path, report=report)
    assert df.columns.tolist() == ["quarter_key", "year", "Personen", "männlich", "weiblich"]
    assert df["year"].dtype == np.int64
    assert df[["quarter_key", "year"]].values.tolist() == [
        ["Oststadt", 2020],
        ["Oststadt", 2021],
        ["Weststadt", 2020],
    ]
    assert df["Personen"].tolist()[:2] == [10.0, 11.0]
    assert np.isnan(df["Personen"].iloc[2])
    assert report.by_check("non_numeric_cells")[0].items == ("C4 (Personen='abc')",)
    assert report.by_check("invalid_year")[0].items == ("B5 (Jahr='20x1')",)
    assert report.by_check("duplicate_rows")[0].items == ("line 6 (Oststadt, 2020)",)


def test_read_portal_csv_share_columns_may_be_negative(tmp_path: Path) -> None:
    path = tmp_path / "wb.csv"
    path.write_text(
        '"Stadtteil","Jahr","Wohnberechtigte","Veränderung (%)"\n"Oststadt","2020",100,-1.5\n',
        encoding="utf-8",
    )
    report = QualityReport()
    df = read_portal_csv(path, report=report)
    assert df["Veränderung (%)"].tolist() == [-1.5]
    assert len(report) == 0


def test_read_portal_csv_requires_key_and_year(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('"Bezirk","Jahr","Personen"\n"A","2020",1\n', encoding="utf-8")
    with pytest.raises(InputDataError, match="'Stadtteil' not found"):
        read_portal_csv(path)
    assert read_portal_csv(path, key_column="Bezirk")["quarter_key"].tolist() == ["A"]


def test_read_portal_bands_wide(tmp_path: Path) -> None:
    _portal_file(
        tmp_path / "u3.csv", [("Oststadt", "2020", 10, 5, 5), ("Mühlburg", "2020", 3, 1, 2)]
    )
    _portal_file(tmp_path / "3-5.csv", [("Oststadt", "2020", 7, 3, 4)])
    _portal_file(
        tmp_path / "65-74.csv", [("Oststadt", "2020", 20, 9, 11), ("Mühlburg", "2020", 8, 4, 4)]
    )
    _portal_file(
        tmp_path / "75+.csv", [("Oststadt", "2020", 4, 1, 3), ("Mühlburg", "2020", 2, 1, 1)]
    )
    report = QualityReport()
    wide = read_portal_bands(
        {"u3.csv": "0-2", "3-5.csv": "3-5", "65-74.csv": "65+", tmp_path / "75+.csv": "65+"},
        directory=tmp_path,
        report=report,
    )
    assert wide.columns.tolist() == ["quarter_key", "year", "0-2", "3-5", "65+"]
    by_key = wide.set_index("quarter_key")
    assert by_key.loc["Oststadt", ["0-2", "3-5", "65+"]].tolist() == [10.0, 7.0, 24.0]
    assert by_key.loc["Mühlburg", "65+"] == 10.0
    assert np.isnan(by_key.loc["Mühlburg", "3-5"])
    assert report.by_check("missing_band_values")[0].items == ("Mühlburg 2020: 3-5 (3-5.csv)",)
    assert report.by_check("bands_summed")[0].items == ("65-74.csv", "75+.csv")
    women = read_portal_bands({tmp_path / "u3.csv": "0-2"}, value_column="weiblich")
    assert women.set_index("quarter_key").loc["Oststadt", "0-2"] == 5.0
    with pytest.raises(InputDataError, match="'Frauen' not found"):
        read_portal_bands({tmp_path / "u3.csv": "0-2"}, value_column="Frauen")
    with pytest.raises(InputDataError, match="No age-band"):
        read_portal_bands({})


def test_portal_bands_then_quarter_ids(tmp_path: Path) -> None:
    _portal_file(
        tmp_path / "a.csv", [("Muehlburg", "2020", 1, 1, 0), ("Oststadt", "2020", 2, 1, 1)]
    )
    report = QualityReport()
    wide = read_portal_bands({tmp_path / "a.csv": "0-2"}, report=report)
    out = add_quarter_ids(wide, REFERENCE, report=report, source="a.csv")
    assert out.set_index("quarter_key")["quarter_id"].to_dict() == {
        "Muehlburg": "08",
        "Oststadt": "07",
    }


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("altersstruktur-der-bevolkerung-unter-3-jahrige-nach-geschlecht.csv", "0-2"),
        ("altersstruktur-der-bevolkerung-3-bis-unter-6-jahrige-nach-geschlecht.csv", "3-5"),
        ("altersstruktur-der-bevolkerung-65-bis-unter-75-jahrige-nach-geschlecht.csv", "65-74"),
        ("altersstruktur-der-bevolkerung-75-jahrige-und-alter-nach-geschlecht.csv", "75+"),
        ("bevolkerung-wohnberechtigte-bevolkerung.csv", None),
    ],
)
def test_band_label_from_filename(name: str, label: str | None) -> None:
    assert band_label_from_filename(name) == label
