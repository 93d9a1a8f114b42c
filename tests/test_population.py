"""Tests of sqe_geo.population.residents: origins from rasters and points, dasymetric allocation."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from sqe_geo._errors import InputDataError
from sqe_geo.population.dasymetric import (
    allocate_dasymetric,
    largest_remainder,
    reallocate_to_year,
)
from sqe_geo.population.origins import REPORT_ATTR
from sqe_geo.population.points import origins_from_points
from sqe_geo.population.raster_writer import write_population_raster
from sqe_geo.population.residents import origins_from_raster
from sqe_geo.quality import QualityReport

CRS = "EPSG:25832"
X0, Y0 = 455_000.0, 5_427_000.0  # inside Karlsruhe, grid-aligned at 100 m


@pytest.fixture
def quarters() -> gpd.GeoDataFrame:
    """01 = west square, 02 = east square (200 m each), 03 = small square north of 01."""
    return gpd.GeoDataFrame(
        {"quarter_id": ["01", "02", "03"]},
        geometry=[
            box(X0, Y0, X0 + 200, Y0 + 200),
            box(X0 + 200, Y0, X0 + 400, Y0 + 200),
            box(X0, Y0 + 200, X0 + 100, Y0 + 300),
        ],
        crs=CRS,
    )


def _points(xy: list[tuple[float, float]], crs: str = CRS, **columns: list) -> gpd.GeoDataFrame:
    xs = [X0 + x for x, _ in xy]
    ys = [Y0 + y for _, y in xy]
    return gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(xs, ys), crs=crs)


def _counts(**columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame(columns, index=pd.Index(["01", "02", "03"], name="quarter_id"))


def _sums(origins: gpd.GeoDataFrame, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(origins[["quarter_id", *columns]]).groupby("quarter_id")[columns].sum()


# ------------------------------------------------------------------ largest remainder


def test_largest_remainder_hand_computed() -> None:
    # group 0: 10 over three equal shares -> 3.33 each -> 4, 3, 3 (tie: first member)
    # group 1: 7 by weights 1:2:3 -> 1.17, 2.33, 3.5 -> 1, 2, 4
    codes = np.array([0, 0, 0, 1, 1, 1])
    share = np.array([1 / 3, 1 / 3, 1 / 3, 1 / 6, 2 / 6, 3 / 6])
    out = largest_remainder(codes, share, np.array([10, 7]))
    assert out.tolist() == [4, 3, 3, 1, 2, 4]
    assert out.dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 4), st.floats(0, 1000, allow_nan=False)), min_size=1, max_size=40
    ),
    totals=st.lists(st.integers(0, 100_000), min_size=5, max_size=5),
)
def test_largest_remainder_preserves_totals(data: list, totals: list[int]) -> None:
    codes = np.array([c for c, _ in data])
    weights = np.array([w for _, w in data]) + 1e-3  # every member may receive residents
    w_sum = np.bincount(codes, weights=weights, minlength=5)
    share = weights / w_sum[codes]
    present = np.bincount(codes, minlength=5) > 0
    totals_arr = np.where(present, np.array(totals), 0)
    out = largest_remainder(codes, share, totals_arr)
    assert (out >= 0).all()
    np.testing.assert_array_equal(np.bincount(codes, weights=out, minlength=5), totals_arr)
    quota = share * totals_arr[codes]
    assert (out >= np.floor(quota) - 1e-9).all()
    assert (out <= np.ceil(quota) + 1e-9).all()


# ------------------------------------------------------------------ dasymetric allocation


def test_allocate_uniform_and_weighted(quarters: gpd.GeoDataFrame) -> None:
    targets = _points(
        [(50, 50), (150, 50), (50, 150), (150, 150), (250, 50), (350, 50), (50, 250)],
        w=[1, 1, 1, 1, 1, 3, 0],
    )
    counts = _counts(total=[10.0, 8.0, 4.0], older=[2.0, 4.0, 1.0])
    uniform = allocate_dasymetric(counts, quarters, targets, report=QualityReport())
    assert uniform["total"].tolist() == [2.5, 2.5, 2.5, 2.5, 4.0, 4.0, 4.0]
    assert uniform["older"].tolist() == [0.5, 0.5, 0.5, 0.5, 2.0, 2.0, 1.0]
    assert uniform["quarter_id"].tolist() == ["01", "01", "01", "01", "02", "02", "03"]
    assert uniform["origin_id"].tolist() == [f"t{i}" for i in range(7)]

    report = QualityReport()
    weighted = allocate_dasymetric(counts, quarters, targets, weight_column="w", report=report)
    # quarter 02: weights 1:3 -> 2 and 6; quarter 03: its only target weighs 0 -> uniform
    assert weighted["total"].tolist() == [2.5, 2.5, 2.5, 2.5, 2.0, 6.0, 4.0]
    assert [f.check for f in report.findings] == ["zero_weights"]
    assert report.findings[0].items == ("03",)
    pd.testing.assert_frame_equal(_sums(weighted, ["total", "older"]), counts)


def test_allocate_integer_largest_remainder(quarters: gpd.GeoDataFrame) -> None:
    targets = _points([(50, 50), (150, 50), (50, 150), (250, 50), (350, 50), (50, 250)])
    targets["w"] = [1.0, 2.0, 3.0, 1.0, 1.0, 1.0]
    counts = _counts(total=[7, 5, 3], oldest_old=[1, 1, 0])
    out = allocate_dasymetric(counts, quarters, targets, weight_column="w", integer=True)
    # 01: 7 * (1, 2, 3) / 6 = 1.17, 2.33, 3.5 -> 1, 2, 4; 02: 2.5, 2.5 -> 3, 2
    assert out["total"].tolist() == [1, 2, 4, 3, 2, 3]
    # 01: 1 * (1, 2, 3) / 6 -> the largest remainder (0.5) takes it
    assert out["oldest_old"].tolist() == [0, 0, 1, 1, 0, 0]
    assert out["total"].dtype == np.int64
    pd.testing.assert_frame_equal(_sums(out, ["total", "oldest_old"]), counts)


def test_allocate_integer_refuses_fractions(quarters: gpd.GeoDataFrame) -> None:
    with pytest.raises(InputDataError, match="whole-number"):
        allocate_dasymetric(_counts(total=[1.5, 2, 3]), quarters, _points([(50, 50)]), integer=True)


def test_quarter_without_targets_gets_reported_fallback(quarters: gpd.GeoDataFrame) -> None:
    targets = _points([(50, 50), (250, 50), (900, 900)])
    counts = _counts(total=[10, 20, 30], older=[1, 2, 3])
    report = QualityReport()
    out = allocate_dasymetric(counts, quarters, targets, integer=True, report=report)
    pd.testing.assert_frame_equal(_sums(out, ["total", "older"]), counts)
    fallback = out.loc[out["quarter_id"] == "03"]
    assert fallback["origin_id"].tolist() == ["q03_fallback"]
    assert fallback.geometry.iloc[0].within(quarters.geometry.iloc[2])
    (no_targets,) = report.by_check("no_targets")
    assert no_targets.items == ("03",)
    assert "total=30" in no_targets.message
    (outside,) = report.by_check("targets_outside_quarters")
    assert outside.items == ("t2",) and outside.severity == "info"


def test_unknown_quarter_and_missing_rows_reported(quarters: gpd.GeoDataFrame) -> None:
    counts = pd.DataFrame(
        {"total": [10.0, 5.0], "Jahr": [2021, 2021]}, index=pd.Index(["01", "99"])
    )
    report = QualityReport()
    out = allocate_dasymetric(counts, quarters, _points([(50, 50), (250, 50)]), report=report)
    assert out["total"].tolist() == [10.0, 0.0]
    (unknown,) = report.by_check("unknown_quarters")
    assert unknown.items == ("99",) and "total=5" in unknown.message
    assert report.by_check("quarters_without_counts")[0].items == ("02", "03")
    assert report.by_check("columns_ignored")[0].items == ("Jahr",)


def test_allocate_reprojects_targets_and_keeps_origin_id(quarters: gpd.GeoDataFrame) -> None:
    targets = _points([(50, 50), (250, 50), (50, 250)], origin_id=["a", "b", "c"])
    targets = targets.to_crs("EPSG:4326")
    out = allocate_dasymetric(_counts(total=[1, 2, 3]), quarters, targets)
    assert out.crs == quarters.crs
    assert out["origin_id"].tolist() == ["a", "b", "c"]
    assert out["total"].tolist() == pytest.approx([1, 2, 3])


def test_allocate_onto_polygon_targets(quarters: gpd.GeoDataFrame) -> None:
    cells = gpd.GeoDataFrame(
        {"area": [4.0, 1.0, 1.0]},
        geometry=[
            box(X0, Y0, X0 + 100, Y0 + 100),
            box(X0 + 100, Y0, X0 + 200, Y0 + 100),
            box(X0 + 200, Y0, X0 + 300, Y0 + 100),
        ],
        crs=CRS,
    )
    report = QualityReport()
    out = allocate_dasymetric(
        _counts(total=[10, 4, 0]), quarters, cells, weight_column="area", report=report
    )
    assert out["total"].tolist() == [8.0, 2.0, 4.0]
    assert out.geom_type.unique().tolist() == ["Point"]
    assert report.by_check("targets_as_points")[0].count == 3


@settings(max_examples=25, deadline=None)
@given(
    xy=st.lists(
        st.tuples(st.integers(0, 399), st.integers(0, 299), st.integers(0, 50)),
        min_size=1,
        max_size=30,
    ),
    totals=st.lists(st.integers(0, 10_000), min_size=3, max_size=3),
)
def test_allocate_integer_property(xy: list, totals: list[int]) -> None:
    quarters = gpd.GeoDataFrame(
        {"quarter_id": ["01", "02", "03"]},
        geometry=[
            box(X0, Y0, X0 + 200, Y0 + 200),
            box(X0 + 200, Y0, X0 + 400, Y0 + 200),
            box(X0, Y0 + 200, X0 + 100, Y0 + 300),
        ],
        crs=CRS,
    )
    targets = _points([(x + 0.5, y + 0.5) for x, y, _ in xy], w=[w for _, _, w in xy])
    counts = _counts(total=totals, older=[t // 3 for t in totals])
    out = allocate_dasymetric(
        counts, quarters, targets, weight_column="w", integer=True, report=QualityReport()
    )
    sums = _sums(out, ["total", "older"]).reindex(counts.index, fill_value=0)
    pd.testing.assert_frame_equal(sums, counts, check_dtype=False)
    assert (out[["total", "older"]] >= 0).all().all()


# ------------------------------------------------------------------ rasters


def _write_tif(
    path: Path, stack: np.ndarray, names: list[str | None], crs: str = CRS, **kw
) -> None:
    transform = Affine(100.0, 0.0, X0, 0.0, -100.0, Y0 + 300)  # 3 rows x 5 cols of 100 m
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=stack.shape[1],
        width=stack.shape[2],
        count=stack.shape[0],
        dtype=stack.dtype,
        crs=crs,
        transform=transform,
        **kw,
    ) as dst:
        dst.write(stack)
        for i, name in enumerate(names, start=1):
            if name is not None:
                dst.set_band_description(i, name)


def _stack() -> np.ndarray:
    # rows from north: y 200-300, 100-200, 0-100; cols x 0..500
    total = np.array(
        [
            [5, 0, 0, 0, 0],  # (0,0) in 03; (0,1) x100-200,y200-300: no quarter but 0
            [1, 2, 3, 4, 9],  # col 4 (x 400-500) is outside every quarter: 9 lost
            [10, 20, 30, 40, -1],  # -1 = nodata
        ],
        dtype=np.int32,
    )
    older = np.where(total > 0, total // 2, np.where(total < 0, -1, 0)).astype(np.int32)
    return np.stack([total, older])


def test_origins_from_raster_sums_per_quarter(tmp_path: Path, quarters: gpd.GeoDataFrame) -> None:
    path = tmp_path / "pop.tif"
    _write_tif(path, _stack(), ["total", "older"], nodata=-1)
    report = QualityReport()
    origins = origins_from_raster(path, quarters, report=report)
    sums = _sums(origins, ["total", "older"])
    # 01: 1+2+10+20 = 33, older 0+1+5+10 = 16; 02: 3+4+30+40 = 77, older 1+2+15+20 = 38; 03: 5, 2
    assert sums.loc["01"].tolist() == [33.0, 16.0]
    assert sums.loc["02"].tolist() == [77.0, 38.0]
    assert sums.loc["03"].tolist() == [5.0, 2.0]
    assert len(origins) == 9  # nine cells with people inside quarters
    assert origins.loc[origins["origin_id"] == "r2c0", "geometry"].iloc[0].coords[0] == (
        X0 + 50,
        Y0 + 50,
    )
    (outside,) = report.by_check("outside_quarters")
    assert outside.items == ("r1c4",)
    assert "total=9" in outside.message and "older=4" in outside.message


def test_origins_from_raster_band_mapping_and_errors(
    tmp_path: Path, quarters: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "unnamed.tif"
    _write_tif(path, _stack(), [None, None], nodata=-1)
    with pytest.raises(InputDataError, match="band 1 has no description"):
        origins_from_raster(path, quarters)
    report = QualityReport()
    origins = origins_from_raster(path, quarters, band_groups={2: "older"}, report=report)
    assert list(origins.columns) == ["origin_id", "quarter_id", "older", "geometry"]
    assert report.by_check("bands_ignored")[0].items == ("1",)

    named = tmp_path / "named.tif"
    _write_tif(named, _stack(), ["EW", "EW_65"], nodata=-1)
    with pytest.raises(InputDataError, match="'EW' is not an age group"):
        origins_from_raster(named, quarters)
    origins = origins_from_raster(named, quarters, band_groups={"EW": "total", "EW_65": "older"})
    assert origins["total"].sum() == 115
    with pytest.raises(InputDataError, match="not found"):
        origins_from_raster(tmp_path / "missing.tif", quarters)


def test_origins_from_raster_reprojects(tmp_path: Path, quarters: gpd.GeoDataFrame) -> None:
    path = tmp_path / "pop.tif"
    _write_tif(path, _stack(), ["total", "older"], nodata=-1)
    moved = quarters.to_crs("EPSG:3035")
    origins = origins_from_raster(path, moved, report=QualityReport())
    assert origins.crs == moved.crs
    assert _sums(origins, ["total"])["total"].tolist() == [33.0, 77.0, 5.0]


def test_write_population_raster_round_trip(tmp_path: Path, quarters: gpd.GeoDataFrame) -> None:
    # two points share a cell (summed), fractional counts survive (float64)
    origins = _points(
        [(10, 10), (20, 20), (250, 50), (50, 250)],
        total=[1.25, 2.0, 3.5, 4.0],
        older=[0.5, 1.0, 0.0, 2.0],
    )
    path = write_population_raster(tmp_path / "out.tif", origins, resolution=100)
    with rasterio.open(path) as src:
        assert src.descriptions == ("total", "older")
        assert src.res == (100.0, 100.0)
        assert (src.bounds.left, src.bounds.top) == (X0, Y0 + 300)
    back = origins_from_raster(path, quarters, report=QualityReport())
    assert _sums(back, ["total", "older"]).to_dict("index") == {
        "01": {"total": 3.25, "older": 1.5},
        "02": {"total": 3.5, "older": 0.0},
        "03": {"total": 4.0, "older": 2.0},
    }
    assert not list(tmp_path.glob("*.part"))


def test_reallocate_to_year_preserves_each_year(tmp_path: Path, quarters: gpd.GeoDataFrame) -> None:
    path = tmp_path / "pop.tif"
    _write_tif(path, _stack(), ["total", "older"], nodata=-1)
    base = origins_from_raster(path, quarters, report=QualityReport())
    year = _counts(total=[66, 154, 7], older=[10, 0, 3])
    report = QualityReport()
    out = reallocate_to_year(year, quarters, base, integer=True, report=report)
    pd.testing.assert_frame_equal(_sums(out, ["total", "older"]), year)
    assert out["origin_id"].tolist() == base["origin_id"].tolist()
    # weights are the base totals: quarter 01 base 1, 2, 10, 20 (sum 33) -> x2
    q01 = out.set_index("origin_id").loc[["r1c0", "r1c1", "r2c0", "r2c1"], "total"]
    assert q01.tolist() == [2, 4, 20, 40]
    by_group = reallocate_to_year(year, quarters, base, by_group=True, report=report)
    # quarter 01 base older 0, 1, 5, 10 (sum 16): 10 older -> 0, 0.625, 3.125, 6.25
    q01 = by_group.set_index("origin_id").loc[["r1c0", "r1c1", "r2c0", "r2c1"], "older"]
    assert q01.tolist() == pytest.approx([0.0, 0.625, 3.125, 6.25])
    assert report.findings == []


# ------------------------------------------------------------------ points


def test_origins_from_points(quarters: gpd.GeoDataFrame) -> None:
    points = _points(
        [(50, 50), (250, 50), (900, 900), (950, 950), (50, 250)],
        EW=[3, 4, 5, 0, None],
        EW65=[1, 2, 2, 0, 1],
        id=["a", "b", "c", "d", "e"],
    ).to_crs("EPSG:4326")
    report = QualityReport()
    out = origins_from_points(
        points,
        quarters,
        count_columns={"EW": "total", "EW65": "older"},
        id_column="id",
        report=report,
    )
    assert out.crs == quarters.crs
    assert out["origin_id"].tolist() == ["a", "b", "e"]
    assert out["quarter_id"].tolist() == ["01", "02", "03"]
    assert out["total"].tolist() == [3.0, 4.0, 0.0]
    (outside,) = report.by_check("outside_quarters")
    assert outside.items == ("c",)
    assert "total=5" in outside.message and "older=2" in outside.message
    assert report.by_check("outside_quarters_empty")[0].items == ("d",)
    assert report.by_check("missing_counts")[0].items == ("e",)


def test_origins_from_points_errors(quarters: gpd.GeoDataFrame) -> None:
    points = _points([(50, 50)], EW=[3])
    with pytest.raises(InputDataError, match="not found"):
        origins_from_points(points, quarters, count_columns={"Einwohner": "total"})
    with pytest.raises(InputDataError, match="not an age group"):
        origins_from_points(points, quarters, count_columns={"EW": "seniors"})
    with pytest.raises(InputDataError, match="negative"):
        origins_from_points(_points([(50, 50)], EW=[-1]), quarters, count_columns={"EW": "total"})
    polys = gpd.GeoDataFrame({"EW": [1]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=CRS)
    with pytest.raises(InputDataError, match="must be points"):
        origins_from_points(polys, quarters, count_columns={"EW": "total"})


def test_quarters_validation(quarters: gpd.GeoDataFrame) -> None:
    points = _points([(50, 50)], EW=[3])
    with pytest.raises(InputDataError, match="geographic"):
        origins_from_points(points, quarters.to_crs("EPSG:4326"), count_columns={"EW": "total"})
    numeric = quarters.assign(quarter_id=[1, 2, 3])
    with pytest.raises(InputDataError, match="must hold strings"):
        origins_from_points(points, numeric, count_columns={"EW": "total"})


def test_report_attached_when_not_passed(quarters: gpd.GeoDataFrame) -> None:
    out = origins_from_points(
        _points([(900, 900)], EW=[3]), quarters, count_columns={"EW": "total"}
    )
    assert len(out) == 0
    report = out.attrs[REPORT_ATTR]
    assert [f.check for f in report.findings] == ["outside_quarters"]


@pytest.mark.realdata
def test_real_address_points_allocation(karlsruhe: Path) -> None:
    root = karlsruhe
    quarters = gpd.read_file(root / "boundaries" / "stadtteile.geojson")
    quarters["quarter_id"] = quarters["Stadtteilnummer"].map("{:02d}".format)
    quarters = quarters[["quarter_id", "geometry"]].to_crs(CRS)
    table = pd.read_csv(root / "population" / "adresspunkte_osm.csv")
    points = gpd.GeoDataFrame(
        {"EW": np.ones(len(table))},
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs="EPSG:4326",
    )
    report = QualityReport()
    origins = origins_from_points(points, quarters, count_columns={"EW": "total"}, report=report)
    (outside,) = report.by_check("outside_quarters")
    assert len(origins) + outside.count == len(points)
    assert 0.10 < outside.count / len(points) < 0.30  # SOURCES.md: about 18 % outside

    stats = gpd.read_file(
        root / "population" / "stadtteile_2016_bevoelkerung.geojson",
        columns=["Stadtteilnummer", "Einwohner_2016", "Alter_65+_2016"],
        ignore_geometry=True,
    )
    counts = pd.DataFrame(
        {
            "total": stats["Einwohner_2016"].to_numpy(),
            "older": stats["Alter_65+_2016"].to_numpy(),
        },
        index=pd.Index(stats["Stadtteilnummer"].map("{:02d}".format), name="quarter_id"),
    ).sort_index()
    allocated = allocate_dasymetric(counts, quarters, points, integer=True, report=report)
    assert int(allocated["older"].sum()) == 56_403  # SOURCES.md: city 65+ in 2016
    pd.testing.assert_frame_equal(_sums(allocated, ["total", "older"]), counts, check_dtype=False)
    # the sparse hill districts have no OSM address point: reported, residents kept
    (no_targets,) = report.by_check("no_targets")
    assert no_targets.count == 27 - origins["quarter_id"].nunique() > 0
