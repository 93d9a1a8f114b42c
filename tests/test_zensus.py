"""Tests of sqe_geo.population.zensus: small grid CSVs in the documented Zensus 2022 format."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from shapely.geometry import box

from sqe_geo._errors import InputDataError
from sqe_geo.population.residents import origins_from_raster
from sqe_geo.population.zensus import zensus_to_origins, zensus_to_quarters, zensus_to_raster
from sqe_geo.population.zensus_ages import zensus_age_groups
from sqe_geo.population.zensus_csv import read_zensus_grid
from sqe_geo.quality import QualityReport

E0, N0 = 4_337_000, 2_689_100  # lower-left corner of the first 100 m cell (EPSG:3035)
TEN = [
    "Insgesamt_Bevoelkerung",
    "Unter10",
    "a10bis19",
    "a20bis29",
    "a30bis39",
    "a40bis49",
    "a50bis59",
    "a60bis69",
    "a70bis79",
    "a80undaelter",
]


def _cell(e: int, n: int, res: str = "100m") -> list[str]:
    """Id and centre of the cell with lower-left corner (e, n)."""
    size = {"100m": 100, "1km": 1000}[res]
    rid = {"100m": "100m", "1km": "1000m"}[res]
    return [f"CRS3035RES{rid}N{n}E{e}", str(e + size // 2), str(n + size // 2)]


def _write(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    text = newline.join(";".join(r) for r in [header, *rows]) + newline
    path.write_bytes(text.encode(encoding))
    return path


def _population_csv(path: Path, *, encoding: str = "utf-8", far: bool = False) -> Path:
    """Bevölkerungszahl: 2 rows x 4 columns of cells; values hand-picked (see tests)."""
    values = {(0, 0): "10", (1, 0): "20", (2, 0): "30", (3, 0): "40"}
    values |= {(0, 1): "1", (1, 1): "2", (2, 1): "3", (3, 1): "4"}
    rows = [[*_cell(E0 + 100 * c, N0 + 100 * r), v, ""] for (c, r), v in values.items()]
    if far:  # a cell 50 km away, as in a whole state's file
        rows.append([*_cell(E0 + 50_000, N0 + 50_000), "99", ""])
    return _write(
        path,
        ["GITTER_ID_100m", "x_mp_100m", "y_mp_100m", "Einwohner", "werterlaeuternde_Zeichen"],
        rows,
        encoding=encoding,
    )


def _ten_year_csv(path: Path, *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    header = ["GITTER_ID_100m", "x_mp_100m", "y_mp_100m", *TEN, "werterlaeuternde_Zeichen"]
    rows = [
        [*_cell(E0, N0), "20", "2", "3", "4", "3", "2", "2", "1", "2", "1", ""],
        [*_cell(E0 + 100, N0), "6", "–", "1", "1", "1", "1", "–", "–", "1", "1", "KLAMMERN"],
        [*_cell(E0, N0 + 100), "5", "(1)", "1", "1", "–", "–", "–", "1", "–", "–", "KLAMMERN"],
    ]
    return _write(path, header, rows, encoding=encoding, newline=newline)


@pytest.fixture
def quarters() -> gpd.GeoDataFrame:
    """Two quarters in EPSG:3035; the boundary x = E0 + 130 cuts the cells of column 1."""
    return gpd.GeoDataFrame(
        {"quarter_id": ["01", "02"]},
        geometry=[box(E0, N0, E0 + 130, N0 + 200), box(E0 + 130, N0, E0 + 300, N0 + 200)],
        crs="EPSG:3035",
    )


# ------------------------------------------------------------------ reading


def test_read_population_grid(tmp_path: Path) -> None:
    report = QualityReport()
    cells = read_zensus_grid(_population_csv(tmp_path / "pop.csv"), report=report)
    assert cells.crs == "EPSG:3035"
    assert list(cells.columns) == ["cell_id", "Einwohner", "werterlaeuternde_Zeichen", "geometry"]
    assert cells["Einwohner"].tolist() == [10, 20, 30, 40, 1, 2, 3, 4]
    assert cells["Einwohner"].dtype == np.float64
    assert cells.geometry.iloc[1].coords[0] == (E0 + 150, N0 + 50)
    assert cells["cell_id"].iloc[0] == f"CRS3035RES100mN{N0}E{E0}"
    assert cells.attrs["zensus_resolution_m"] == 100
    assert [f.check for f in report.findings] == ["zensus_read", "zensus_cell_key"]
    assert "cell-key" in report.by_check("zensus_cell_key")[0].message


def test_en_dash_klammern_and_decimal_comma(tmp_path: Path) -> None:
    report = QualityReport()
    cells = read_zensus_grid(_ten_year_csv(tmp_path / "age.csv"), report=report)
    assert cells["Unter10"].tolist() == [2, 0, 1]  # "–" -> 0, "(1)" -> 1
    assert cells["werterlaeuternde_Zeichen"].tolist() == ["", "KLAMMERN", "KLAMMERN"]
    (blocked,) = report.by_check("zensus_blocked_values")
    # row 2: Unter10, a50bis59, a60bis69; row 3: a30bis39 … a50bis59, a70bis79, a80undaelter
    assert blocked.count == 8
    assert "a50bis59: 2" in blocked.message and "read as 0" in blocked.message
    (klammern,) = report.by_check("zensus_klammern")
    assert klammern.count == 2
    assert "1 values are in parentheses" in klammern.message

    missing = read_zensus_grid(tmp_path / "age.csv", blocked_as="missing", report=QualityReport())
    assert np.isnan(missing["Unter10"].iloc[1])

    mean_age = _write(
        tmp_path / "mean.csv",
        ["GITTER_ID_100m", "x_mp_100m", "y_mp_100m", "Durchschnittsalter"],
        [[*_cell(E0, N0), "41,5"], [*_cell(E0 + 100, N0), "k.A."]],
    )
    report = QualityReport()
    mean = read_zensus_grid(mean_age, report=report)
    assert mean["Durchschnittsalter"].iloc[0] == 41.5
    assert np.isnan(mean["Durchschnittsalter"].iloc[1])
    assert report.by_check("zensus_unparseable")[0].count == 1


@pytest.mark.parametrize(
    ("encoding", "newline", "fallback"),
    [("utf-8", "\n", False), ("utf-8-sig", "\r\n", False), ("cp1252", "\r\n", True)],
)
def test_encodings(tmp_path: Path, encoding: str, newline: str, fallback: bool) -> None:
    path = _ten_year_csv(tmp_path / "age.csv", encoding=encoding, newline=newline)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    if encoding == "cp1252":
        assert b"\x96" in path.read_bytes()  # the en dash in Windows-1252
    report = QualityReport()
    cells = read_zensus_grid(path, report=report)
    reference = read_zensus_grid(_ten_year_csv(tmp_path / "ref.csv"), report=QualityReport())
    pd.testing.assert_frame_equal(pd.DataFrame(cells), pd.DataFrame(reference))
    assert bool(report.by_check("zensus_encoding")) is fallback
    assert report.by_check("zensus_blocked_values")[0].count == 8


def test_bbox_filter_reads_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _population_csv(tmp_path / "state.csv", far=True)  # 9 data rows
    calls: list[dict] = []
    chunk_lengths: list[int] = []
    original = pd.read_csv

    class _SpyReader:
        def __init__(self, reader: object) -> None:
            self.reader = reader

        def __enter__(self) -> _SpyReader:
            return self

        def __exit__(self, *exc: object) -> None:
            self.reader.close()  # type: ignore[attr-defined]

        def __iter__(self):
            for chunk in self.reader:  # type: ignore[attr-defined]
                chunk_lengths.append(len(chunk))
                yield chunk

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        result = original(*args, **kwargs)
        return _SpyReader(result) if kwargs.get("chunksize") else result

    monkeypatch.setattr(pd, "read_csv", spy)
    report = QualityReport()
    # study area: the two left columns of cells (x E0..E0+200), given in EPSG:3035
    cells = read_zensus_grid(
        path, bbox=(E0 + 10, N0 + 10, E0 + 190, N0 + 190), chunksize=4, report=report
    )
    assert sorted(cells["Einwohner"].tolist()) == [1, 2, 10, 20]
    assert [c["chunksize"] for c in calls if c.get("chunksize")] == [4]
    assert chunk_lengths == [4, 4, 1]  # never more than 4 rows of the 9 in memory at once
    assert "scanned 9 rows in 3 chunk(s)" in report.by_check("zensus_read")[0].message


def test_bbox_in_analysis_crs(tmp_path: Path, quarters: gpd.GeoDataFrame) -> None:
    path = _population_csv(tmp_path / "state.csv", far=True)
    analysis = quarters.to_crs("EPSG:25832")
    cells = read_zensus_grid(
        path, bbox=analysis.total_bounds, bbox_crs="EPSG:25832", report=QualityReport()
    )
    # the far cell is gone; every cell overlapping the quarters' box is kept
    assert "99" not in cells["Einwohner"].astype(int).astype(str).tolist()
    assert {10, 20, 30, 1, 2, 3} <= set(cells["Einwohner"].astype(int))


def test_resolution_from_header_and_cells(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "km.csv",
        ["GITTER_ID_1km", "x_mp_1km", "y_mp_1km", "Einwohner"],
        [[*_cell(4_337_000, 2_689_000, "1km"), "1234"]],
    )
    cells = read_zensus_grid(path, geometry="cell", report=QualityReport())
    assert cells.attrs["zensus_resolution_m"] == 1000
    assert cells.geometry.iloc[0].area == 1_000_000
    assert cells.geometry.iloc[0].bounds == (4_337_000, 2_689_000, 4_338_000, 2_690_000)


def test_empty_bbox_and_bad_coordinates(tmp_path: Path) -> None:
    path = _population_csv(tmp_path / "pop.csv")
    report = QualityReport()
    nothing = read_zensus_grid(path, bbox=(0, 0, 10, 10), report=report)
    assert len(nothing) == 0 and nothing.crs == "EPSG:3035"
    assert "kept 0 cells" in report.by_check("zensus_read")[0].message

    header = ["GITTER_ID_100m", "x_mp_100m", "y_mp_100m", "Einwohner"]
    gap = _write(tmp_path / "gap.csv", header, [[*_cell(E0, N0), "3"], ["X", "", "", "4"]])
    report = QualityReport()
    cells = read_zensus_grid(gap, report=report)
    assert cells["Einwohner"].tolist() == [3.0]
    assert report.by_check("zensus_missing_coordinates")[0].items == ("X",)
    broken = _write(tmp_path / "broken.csv", header, [["X", "abc", "1", "4"]])
    with pytest.raises(InputDataError, match="not numbers"):
        read_zensus_grid(broken)


def test_read_errors(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.csv", ["id", "x", "y", "Einwohner"], [["a", "1", "2", "3"]])
    with pytest.raises(InputDataError, match="not a Zensus grid CSV"):
        read_zensus_grid(bad)
    with pytest.raises(InputDataError, match="not in the file"):
        read_zensus_grid(_population_csv(tmp_path / "pop.csv"), columns=["Unter10"])
    with pytest.raises(InputDataError, match="not found"):
        read_zensus_grid(tmp_path / "nothing.csv")


# ------------------------------------------------------------------ age groups


def test_age_groups_from_ten_year_bands(tmp_path: Path) -> None:
    cells = read_zensus_grid(_ten_year_csv(tmp_path / "age.csv"), report=QualityReport())
    report = QualityReport()
    groups = zensus_age_groups(cells, report=report)
    assert groups["total"].tolist() == [20, 6, 5]
    assert groups["young"].tolist() == [5, 1, 2]  # Unter10 + a10bis19
    assert groups["oldest_old"].tolist() == [1, 1, 0]  # a80undaelter
    for missing in ("working_age", "older", "young_old"):
        assert missing not in groups.columns
    (not_derivable,) = report.by_check("zensus_age_groups_not_derivable")
    assert not_derivable.items == ("working_age (20–64)", "older (65+)", "young_old (65–79)")
    assert report.by_check("zensus_age_groups")[0].severity == "info"

    report = QualityReport()
    variant = zensus_age_groups(groups, older_from=60, report=report)
    assert variant["older"].tolist() == [4, 2, 1]  # a60bis69 + a70bis79 + a80undaelter
    assert variant["working_age"].tolist() == [11, 3, 1]  # 20–59
    assert variant["young_old"].tolist() == [3, 1, 1]  # 60–79
    (derived,) = report.by_check("zensus_age_groups")
    assert derived.severity == "warning" and "older 60+" in derived.message


def test_age_groups_from_five_classes() -> None:
    cells = pd.DataFrame(
        {
            "Insgesamt_Bevoelkerung": [30.0],
            "Unter18": [5.0],
            "a18bis29": [6.0],
            "a30bis49": [7.0],
            "a50bis64": [8.0],
            "a65undaelter": [4.0],
        }
    )
    report = QualityReport()
    default = zensus_age_groups(cells, report=report)
    assert default["older"].tolist() == [4.0]
    assert "young" not in default.columns and "oldest_old" not in default.columns
    from_18 = zensus_age_groups(cells, working_age_from=18, report=report)
    assert from_18["young"].tolist() == [5.0]
    assert from_18["working_age"].tolist() == [21.0]


# ------------------------------------------------------------------ cells -> origins, quarters


def test_zensus_to_origins_reports_cut_and_outside_cells(
    tmp_path: Path, quarters: gpd.GeoDataFrame
) -> None:
    cells = read_zensus_grid(_population_csv(tmp_path / "pop.csv"), report=QualityReport())
    report = QualityReport()
    origins = zensus_to_origins(
        cells, quarters, count_columns={"Einwohner": "total"}, report=report
    )
    assert origins["origin_id"].iloc[0] == f"CRS3035RES100mN{N0}E{E0}"
    sums = origins.groupby("quarter_id")["total"].sum()
    assert sums.to_dict() == {"01": 11.0, "02": 55.0}  # 10+1 and 20+30+2+3
    (cut,) = report.by_check("zensus_cells_cut")
    # the two cells of column 1 (20 + 2 residents) have 30 % of their area in quarter 01
    assert cut.count == 2
    assert "total=22" in cut.message and "about total=6.60" in cut.message
    (outside,) = report.by_check("outside_quarters")  # column 3 only touches quarter 02
    assert outside.count == 2 and "total=44" in outside.message
    assert outside.severity == "info"
    assert not report.by_check("zensus_cells_partly_inside")

    # quarter 02 ends at E0 + 240: the centres of column 2 (x = E0 + 250) fall outside
    smaller = quarters.set_geometry(
        [box(E0, N0, E0 + 130, N0 + 200), box(E0 + 130, N0, E0 + 240, N0 + 200)]
    )
    report = QualityReport()
    origins = zensus_to_origins(cells, smaller, count_columns={"Einwohner": "total"}, report=report)
    assert origins.groupby("quarter_id")["total"].sum().to_dict() == {"01": 11.0, "02": 22.0}
    (partly,) = report.by_check("zensus_cells_partly_inside")
    # 30 + 3 residents dropped; 40 % of these squares lie inside: about 13.2
    assert partly.count == 2 and partly.severity == "warning"
    assert "total=33" in partly.message and "about total=13.20" in partly.message
    assert report.by_check("outside_quarters")[0].count == 2


def test_zensus_to_quarters_in_analysis_crs(tmp_path: Path, quarters: gpd.GeoDataFrame) -> None:
    cells = zensus_age_groups(
        read_zensus_grid(_population_csv(tmp_path / "pop.csv"), report=QualityReport()),
        report=QualityReport(),
    )
    report = QualityReport()
    analysis = quarters.to_crs("EPSG:25832")
    sums = zensus_to_quarters(cells, analysis, report=report)
    assert sums.index.tolist() == ["01", "02"]
    assert sums["total"].tolist() == [11.0, 55.0]
    assert report.by_check("zensus_cell_key")
    assert report.by_check("zensus_cells_cut")[0].count == 2

    none_inside = quarters.assign(quarter_id=["01", "02"]).set_geometry(
        [box(0, 0, 1, 1), box(1, 0, 2, 1)]
    )
    empty = zensus_to_quarters(cells, none_inside, report=QualityReport())
    assert empty["total"].tolist() == [0.0, 0.0]


def test_zensus_to_origins_needs_groups(tmp_path: Path, quarters: gpd.GeoDataFrame) -> None:
    cells = read_zensus_grid(_population_csv(tmp_path / "pop.csv"), report=QualityReport())
    with pytest.raises(InputDataError, match="zensus_age_groups"):
        zensus_to_origins(cells, quarters)


def test_zensus_raster_round_trip(tmp_path: Path, quarters: gpd.GeoDataFrame) -> None:
    cells = zensus_age_groups(
        read_zensus_grid(_ten_year_csv(tmp_path / "age.csv"), report=QualityReport()),
        report=QualityReport(),
    )
    path = zensus_to_raster(cells, tmp_path / "age.tif", ["total", "young", "oldest_old"])
    with rasterio.open(path) as src:
        assert src.crs == "EPSG:3035"
        assert src.res == (100.0, 100.0)
        assert src.descriptions == ("total", "young", "oldest_old")
        assert (src.bounds.left, src.bounds.bottom) == (E0, N0)
        assert src.read(1).sum() == 31
    analysis = quarters.to_crs("EPSG:25832")
    from_raster = origins_from_raster(path, analysis, report=QualityReport())
    raster_sums = from_raster.groupby("quarter_id")[["total", "young", "oldest_old"]].sum()
    direct = zensus_to_quarters(cells, analysis, report=QualityReport())
    pd.testing.assert_frame_equal(raster_sums, direct, check_names=False)
    assert direct.loc["01", "total"] == 25  # cells (0,0) and (0,1): 20 + 5
    assert direct.loc["02", "total"] == 6


def test_zensus_to_raster_needs_3035(tmp_path: Path) -> None:
    cells = read_zensus_grid(_population_csv(tmp_path / "pop.csv"), report=QualityReport())
    with pytest.raises(InputDataError, match="EPSG:3035"):
        zensus_to_raster(cells.to_crs("EPSG:25832"), tmp_path / "x.tif", ["Einwohner"])
