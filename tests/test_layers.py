"""Reading vector layers: every supported format, CRS handling and geometry repair.

Each test writes a tiny real file into ``tmp_path`` with geopandas/pyogrio (or plain text
for CSV), reads it with :func:`sqe_geo.io.layers.read_vector` and checks coordinates,
attributes and data-quality findings against values computed by hand or by pyproj.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, Polygon, box

from sqe_geo._errors import InputDataError
from sqe_geo.io.layers import read_vector
from sqe_geo.quality import QualityReport

TARGET = "EPSG:25832"
#: Karlsruhe palace (Schloss), WGS84 longitude/latitude.
LON, LAT = 8.4044, 49.0135
#: A point in Karlsruhe in EPSG:25832 (metres).
X0, Y0 = 456_000.0, 5_428_000.0

_TO_UTM = Transformer.from_crs("EPSG:4326", TARGET, always_xy=True)


def _utm(lon: float, lat: float) -> tuple[float, float]:
    """Pyproj's own transform of a WGS84 point: the oracle for reprojection."""
    x, y = _TO_UTM.transform(lon, lat)
    return float(x), float(y)


def _points_wgs84() -> gpd.GeoDataFrame:
    """Two named points in WGS84 (the palace and a point 0.01° east of it)."""
    return gpd.GeoDataFrame(
        {"name": ["Schloss", "Ost"], "places": [10, 20]},
        geometry=[Point(LON, LAT), Point(LON + 0.01, LAT)],
        crs="EPSG:4326",
    )


def _squares_utm() -> gpd.GeoDataFrame:
    """Two 100 m squares in EPSG:25832."""
    return gpd.GeoDataFrame(
        {"quarter_id": [1, 2], "name": ["Mühlburg", "Südstadt"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
        crs=TARGET,
    )


def _assert_palace(frame: gpd.GeoDataFrame) -> None:
    """The first feature is the palace, reprojected to EPSG:25832 within 1 cm."""
    assert frame.crs == TARGET
    x, y = _utm(LON, LAT)
    geom = frame.geometry.iloc[0]
    assert abs(geom.x - x) < 0.01
    assert abs(geom.y - y) < 0.01
    # the second point, 0.01° further east, lies about 730 m east at this latitude
    dx = frame.geometry.iloc[1].x - geom.x
    assert 700 < dx < 760


# --- vector formats ---------------------------------------------------------------------


def test_geopackage_single_layer(tmp_path: Path):
    path = tmp_path / "quarters.gpkg"
    _squares_utm().to_file(path, layer="quarters", engine="pyogrio")
    frame = read_vector(path, target_crs=TARGET, what="quarters")
    assert frame.crs == TARGET
    assert frame["name"].tolist() == ["Mühlburg", "Südstadt"]
    assert frame.geometry.area.tolist() == pytest.approx([10_000.0, 10_000.0])
    assert frame.geometry.iloc[1].bounds == pytest.approx((X0 + 100, Y0, X0 + 200, Y0 + 100))


def test_geopackage_reprojects_wgs84_points(tmp_path: Path):
    path = tmp_path / "services.gpkg"
    _points_wgs84().to_file(path, layer="services", engine="pyogrio")
    frame = read_vector(path, target_crs=TARGET, what="services")
    _assert_palace(frame)
    assert frame["places"].tolist() == [10, 20]


def test_geopackage_with_several_layers_needs_a_layer_name(tmp_path: Path):
    path = tmp_path / "city.gpkg"
    _squares_utm().to_file(path, layer="quarters", engine="pyogrio")
    _points_wgs84().to_crs(TARGET).to_file(path, layer="services", engine="pyogrio")
    with pytest.raises(InputDataError) as info:
        read_vector(path, target_crs=TARGET, what="quarters")
    message = str(info.value)
    assert "city.gpkg" in message
    assert "quarters" in message and "services" in message
    assert "'layer'" in message
    services = read_vector(path, target_crs=TARGET, what="services", layer="services")
    _assert_palace(services)
    quarters = read_vector(path, target_crs=TARGET, what="quarters", layer="quarters")
    assert len(quarters) == 2


def test_geojson(tmp_path: Path):
    path = tmp_path / "services.geojson"
    _points_wgs84().to_file(path, driver="GeoJSON", engine="pyogrio")
    report = QualityReport()
    frame = read_vector(path, target_crs=TARGET, what="services", report=report)
    _assert_palace(frame)
    assert frame["name"].tolist() == ["Schloss", "Ost"]
    assert len(report) == 0


def test_geojson_with_matching_crs_key_is_accepted(tmp_path: Path):
    # a study may state the (already declared) WGS84 CRS of a GeoJSON: no conflict
    path = tmp_path / "services.geojson"
    _points_wgs84().to_file(path, driver="GeoJSON", engine="pyogrio")
    frame = read_vector(path, target_crs=TARGET, what="services", crs="EPSG:4326")
    _assert_palace(frame)


def test_shapefile(tmp_path: Path):
    path = tmp_path / "quarters.shp"
    _squares_utm().to_file(path, engine="pyogrio")
    frame = read_vector(path, target_crs=TARGET, what="quarters")
    assert frame.crs == TARGET
    assert frame["quarter_id"].tolist() == [1, 2]
    assert frame["name"].tolist() == ["Mühlburg", "Südstadt"]
    assert frame.geometry.area.sum() == pytest.approx(20_000.0)


def test_zipped_shapefile(tmp_path: Path):
    folder = tmp_path / "shp"
    folder.mkdir()
    _points_wgs84().to_file(folder / "services.shp", engine="pyogrio")
    parts = sorted(folder.iterdir())
    assert {p.suffix for p in parts} >= {".shp", ".shx", ".dbf", ".prj"}
    archive = tmp_path / "services.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in parts:
            zf.write(part, arcname=part.name)
    frame = read_vector(archive, target_crs=TARGET, what="services")
    _assert_palace(frame)
    assert frame["name"].tolist() == ["Schloss", "Ost"]


def test_zip_with_two_shapefiles_needs_a_layer_name(tmp_path: Path):
    folder = tmp_path / "shp"
    folder.mkdir()
    _points_wgs84().to_file(folder / "services.shp", engine="pyogrio")
    _squares_utm().to_file(folder / "quarters.shp", engine="pyogrio")
    archive = tmp_path / "both.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, arcname=part.name)
    with pytest.raises(InputDataError, match=r"both\.zip holds several layers"):
        read_vector(archive, target_crs=TARGET, what="services")
    frame = read_vector(archive, target_crs=TARGET, what="services", layer="services")
    _assert_palace(frame)


def test_geoparquet(tmp_path: Path):
    path = tmp_path / "services.parquet"
    _points_wgs84().to_parquet(path)
    frame = read_vector(path, target_crs=TARGET, what="services")
    _assert_palace(frame)
    assert frame["places"].tolist() == [10, 20]


def test_flatgeobuf(tmp_path: Path):
    path = tmp_path / "quarters.fgb"
    _squares_utm().to_file(path, driver="FlatGeobuf", engine="pyogrio")
    frame = read_vector(path, target_crs=TARGET, what="quarters")
    assert frame.crs == TARGET
    assert sorted(frame["name"]) == ["Mühlburg", "Südstadt"]
    assert frame.geometry.area.sum() == pytest.approx(20_000.0)


# --- tables with coordinate columns -----------------------------------------------------


def _read_points(path: Path, **kwargs: object) -> gpd.GeoDataFrame:
    return read_vector(
        path, target_crs=TARGET, what="services", x_column="lon", y_column="lat",
        crs="EPSG:4326", **kwargs,
    )  # fmt: skip


def test_csv_comma(tmp_path: Path):
    path = tmp_path / "services.csv"
    path.write_text(
        f"name,lon,lat,places\nSchloss,{LON},{LAT},10\nOst,{LON + 0.01:.4f},{LAT},20\n",
        encoding="utf-8",
    )
    frame = _read_points(path)
    _assert_palace(frame)
    assert frame["name"].tolist() == ["Schloss", "Ost"]
    assert frame["places"].tolist() == [10.0, 20.0]
    assert "lon" not in frame.columns and "lat" not in frame.columns


def test_csv_semicolon_with_decimal_comma(tmp_path: Path):
    lon, lat = f"{LON}".replace(".", ","), f"{LAT}".replace(".", ",")
    east = f"{LON + 0.01:.4f}".replace(".", ",")
    path = tmp_path / "services.csv"
    path.write_text(
        f"name;lon;lat;places\nSchloss;{lon};{lat};1.234\nOst;{east};{lat};5\n",
        encoding="utf-8",
    )
    frame = _read_points(path)
    _assert_palace(frame)
    # German convention: "1.234" with decimal comma is one thousand two hundred thirty-four
    assert frame["places"].tolist() == [1234.0, 5.0]


def test_csv_utf8_with_bom(tmp_path: Path):
    path = tmp_path / "services.csv"
    text = f"lon,lat,name\n{LON},{LAT},Mühlburg\n{LON + 0.01:.4f},{LAT},Grünwinkel\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    frame = _read_points(path)
    _assert_palace(frame)
    # the BOM must not stick to the first column name, else 'lon' would not be found
    assert frame["name"].tolist() == ["Mühlburg", "Grünwinkel"]


def test_csv_cp1252_with_umlauts(tmp_path: Path):
    path = tmp_path / "services.csv"
    text = "name;lon;lat\nMühlburg;8,4044;49,0135\nGrötzingen Süd;8,4144;49,0135\n"
    path.write_bytes(text.encode("cp1252"))
    frame = _read_points(path)
    _assert_palace(frame)
    assert frame["name"].tolist() == ["Mühlburg", "Grötzingen Süd"]


def test_xlsx(tmp_path: Path):
    path = tmp_path / "services.xlsx"
    table = pd.DataFrame(
        {"name": ["Schloss", "Ost"], "lon": [LON, LON + 0.01], "lat": [LAT, LAT], "places": [3, 4]}
    )
    table.to_excel(path, index=False, engine="openpyxl")
    frame = _read_points(path)
    _assert_palace(frame)
    assert frame["name"].tolist() == ["Schloss", "Ost"]
    assert frame["places"].tolist() == [3.0, 4.0]


def test_table_without_coordinate_columns_named(tmp_path: Path):
    path = tmp_path / "services.csv"
    path.write_text(f"name,lon,lat\nSchloss,{LON},{LAT}\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="x_column"):
        read_vector(path, target_crs=TARGET, what="services", crs="EPSG:4326")
    with pytest.raises(InputDataError, match="no column 'laenge'"):
        read_vector(
            path, target_crs=TARGET, what="services", crs="EPSG:4326", x_column="laenge",
            y_column="lat",
        )  # fmt: skip


def test_table_in_metres_with_crs(tmp_path: Path):
    path = tmp_path / "services.csv"
    path.write_text(f"name,x,y\nA,{X0},{Y0}\n", encoding="utf-8")
    frame = read_vector(
        path, target_crs=TARGET, what="services", x_column="x", y_column="y", crs=TARGET
    )
    assert (frame.geometry.iloc[0].x, frame.geometry.iloc[0].y) == (X0, Y0)


# --- CRS --------------------------------------------------------------------------------


def _write_without_crs(tmp_path: Path) -> Path:
    """The two WGS84 points as a Shapefile without .prj (a layer that declares no CRS)."""
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        _points_wgs84().set_crs(None, allow_override=True).to_file(path, engine="pyogrio")
    assert not path.with_suffix(".prj").exists()
    return path


def test_layer_without_crs_is_an_error_naming_file_and_fix(tmp_path: Path):
    path = _write_without_crs(tmp_path)
    with pytest.raises(InputDataError) as info:
        read_vector(path, target_crs=TARGET, what="services")
    message = str(info.value)
    assert "nocrs.shp" in message
    assert "no coordinate reference system" in message
    assert "crs = " in message and "[services]" in message


def test_layer_without_crs_uses_the_study_crs(tmp_path: Path):
    path = _write_without_crs(tmp_path)
    report = QualityReport()
    frame = read_vector(path, target_crs=TARGET, what="services", crs="EPSG:4326", report=report)
    _assert_palace(frame)
    (finding,) = report.by_check("crs_from_study")
    assert finding.severity == "info"
    assert finding.layer == "services"
    assert "nocrs.shp" in finding.message and "EPSG:4326" in finding.message


def test_layer_without_crs_and_a_bad_crs_text(tmp_path: Path):
    path = _write_without_crs(tmp_path)
    with pytest.raises(InputDataError, match=r"\[services\] crs: 'EPSG:99999999'"):
        read_vector(path, target_crs=TARGET, what="services", crs="EPSG:99999999")


def test_crs_conflict_is_an_error(tmp_path: Path):
    path = tmp_path / "quarters.gpkg"
    _squares_utm().to_file(path, engine="pyogrio")
    with pytest.raises(InputDataError) as info:
        read_vector(path, target_crs=TARGET, what="quarters", crs="EPSG:4326")
    message = str(info.value)
    assert "quarters.gpkg" in message
    assert "EPSG:25832" in message and "EPSG:4326" in message


def test_reprojection_to_another_analysis_crs(tmp_path: Path):
    # the analysis CRS is a study setting, not fixed to EPSG:25832
    path = tmp_path / "services.geojson"
    _points_wgs84().to_file(path, driver="GeoJSON", engine="pyogrio")
    frame = read_vector(path, target_crs="EPSG:31467", what="services")
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:31467", always_xy=True).transform(LON, LAT)
    assert frame.crs == "EPSG:31467"
    assert frame.geometry.iloc[0].x == pytest.approx(x, abs=0.01)
    assert frame.geometry.iloc[0].y == pytest.approx(y, abs=0.01)


# --- geometry repair and broken files ---------------------------------------------------


def test_bow_tie_polygon_is_repaired_and_reported(tmp_path: Path):
    # 100 m bow-tie: two triangles of 100 × 50 / 2 = 2,500 m² meeting at the centre
    bow_tie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100), (X0, Y0)])
    assert not bow_tie.is_valid
    frame = gpd.GeoDataFrame(
        {"quarter_id": [1, 2], "name": ["gut", "Schleife"]},
        geometry=[box(X0 - 100, Y0, X0, Y0 + 100), bow_tie],
        crs=TARGET,
    )
    path = tmp_path / "quarters.gpkg"
    frame.to_file(path, engine="pyogrio")
    report = QualityReport()
    out = read_vector(path, target_crs=TARGET, what="quarters", report=report)
    assert shapely.is_valid(out.geometry.values).all()
    assert out.geometry.iloc[1].area == pytest.approx(5_000.0)
    assert out.geometry.iloc[0].area == pytest.approx(10_000.0)  # untouched
    (finding,) = report.by_check("invalid_geometry_repaired")
    assert finding.count == 1
    assert finding.items[0].startswith("row 1: Self-intersection")


def test_missing_geometry_is_reported_not_dropped(tmp_path: Path):
    frame = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(X0, Y0), None], crs=TARGET)
    path = tmp_path / "services.gpkg"
    frame.to_file(path, engine="pyogrio")
    report = QualityReport()
    out = read_vector(path, target_crs=TARGET, what="services", report=report)
    assert len(out) == 2
    (finding,) = report.by_check("empty_geometry")
    assert finding.items == ("1",)


def test_empty_layer_is_an_error(tmp_path: Path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(InputDataError, match=r"empty\.geojson has no features"):
        read_vector(path, target_crs=TARGET, what="services")


def test_zero_byte_file_is_an_error(tmp_path: Path):
    path = tmp_path / "empty.gpkg"
    path.write_bytes(b"")
    with pytest.raises(InputDataError, match=r"empty\.gpkg"):
        read_vector(path, target_crs=TARGET, what="quarters")


def test_empty_csv_is_an_error(tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputDataError, match="empty"):
        _read_points(path)


def test_unsupported_suffix_is_an_error(tmp_path: Path):
    path = tmp_path / "quarters.dwg"
    path.write_bytes(b"AC1027")
    with pytest.raises(InputDataError, match=r"unsupported file type '\.dwg'"):
        read_vector(path, target_crs=TARGET, what="quarters")


def test_missing_file_is_an_error(tmp_path: Path):
    with pytest.raises(InputDataError, match=r"quarters: file .*nowhere\.gpkg does not exist"):
        read_vector(tmp_path / "nowhere.gpkg", target_crs=TARGET, what="quarters")


def test_reprojection_is_vectorised_for_many_points(tmp_path: Path):
    # a grid of 400 WGS84 points: every one within 1 cm of pyproj's transform
    lons, lats = np.meshgrid(np.linspace(8.30, 8.55, 20), np.linspace(48.95, 49.10, 20))
    frame = gpd.GeoDataFrame(
        {"i": np.arange(lons.size)},
        geometry=gpd.points_from_xy(lons.ravel(), lats.ravel()),
        crs="EPSG:4326",
    )
    path = tmp_path / "grid.fgb"
    frame.to_file(path, driver="FlatGeobuf", engine="pyogrio")
    out = read_vector(path, target_crs=TARGET, what="services").sort_values("i")
    x, y = _TO_UTM.transform(lons.ravel(), lats.ravel())
    assert np.abs(out.geometry.x.to_numpy() - x).max() < 0.01
    assert np.abs(out.geometry.y.to_numpy() - y).max() < 0.01


def test_table_rows_without_usable_coordinates_are_reported(tmp_path: Path):
    path = tmp_path / "services.csv"
    path.write_text(
        f"name,lon,lat\nSchloss,{LON},{LAT}\nohne,,\nkaputt,abc,{LAT}\n", encoding="utf-8"
    )
    report = QualityReport()
    frame = _read_points(path, report=report)
    x, y = _utm(LON, LAT)
    assert (frame.geometry.iloc[0].x, frame.geometry.iloc[0].y) == pytest.approx((x, y))
    assert len(frame) == 3  # nothing dropped silently
    (finding,) = report.by_check("empty_geometry")
    assert finding.items == ("1", "2")
