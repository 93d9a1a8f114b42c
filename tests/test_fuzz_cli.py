"""Fuzzing ``sqe-geo run`` with damaged tables and geometries: exit 0 or 2, never a traceback.

Each example writes a tiny study (four 1 km quarters, a demographics CSV, no services or
network, so one run takes a fraction of a second) with a damaged table and damaged
geometries drawn by hypothesis, and runs the command. A user mistake must end in exit
code 2 with one message; anything else (an exception escaping ``main``) fails the test.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from hostile_cases import _bowtie, _spike
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqe_geo.cli import main

X0, Y0 = 455_000.0, 5_427_000.0
HEADER = ["Stadtteil", "Jahr", "Einwohner", "A0_19", "A20_64", "A65_79", "A80"]
ROWS = [
    ["01", "2020", "1000", "200", "550", "180", "70"],
    ["02", "2020", "2000", "300", "1100", "420", "180"],
    ["03", "2020", "1500", "250", "900", "250", "100"],
    ["04", "2020", "500", "50", "300", "100", "50"],
]
STUDY = """name = "fuzz"
[disclosure]
enabled = false
[quarters]
path = "quarters.geojson"
id_column = "qid"
name_column = "qname"
{crs}
[demographics]
path = "demographics.csv"
key_column = "Stadtteil"
year_column = "Jahr"
total_column = "Einwohner"
[demographics.bands]
A0_19 = "0-19"
A20_64 = "20-64"
A65_79 = "65-79"
A80 = "80+"
"""
SERVICES = """[services]
path = "services.geojson"
category_column = "kategorie"
name_column = "name"
capacity_column = "plaetze"
"""

HOSTILE_CELLS = [
    "", " ", "inf", "-inf", "nan", "1e400", "99999999999999999999999", "1.000", "1,5",
    "-5", "=1+1", "@SUM(A1)", "\x00", "\x07x", "–", ".", "x", "0x10", "1_000", "١٢٣",
    "01", "Mühlburg", '"', ";", ",", "\n",
]  # fmt: skip


def _square(i: int) -> shapely.Geometry:
    x, y = X0 + (i % 2) * 1000.0, Y0 + (i // 2) * 1000.0
    return shapely.box(x, y, x + 1000.0, y + 1000.0)


GEOMETRY_DAMAGE = {
    "none": lambda g: g,
    "empty": lambda g: shapely.Polygon(),
    "missing": lambda g: None,
    "bowtie": _bowtie,
    "spike": _spike,
    "point": lambda g: g.centroid,
    "line": lambda g: g.exterior,
    "degrees": lambda g: shapely.box(8.4, 49.0, 8.41, 49.01),
    "far": lambda g: shapely.affinity.translate(g, 1e9, 1e9),
    "swapped": lambda g: shapely.transform(g, lambda c: c[:, ::-1]),
    "collection": lambda g: shapely.GeometryCollection([g, g.exterior]),
}
CRS_LABELS = ["EPSG:25832", "EPSG:25832", "EPSG:4326", "EPSG:32610", "EPSG:3035", None]

table_damage = st.fixed_dictionaries(
    {
        "cells": st.lists(
            st.tuples(
                st.integers(0, len(ROWS)),
                st.integers(0, len(HEADER) - 1),
                st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=8)),
            ),
            max_size=4,
        ),
        "drop_rows": st.lists(st.integers(0, len(ROWS)), max_size=2),
        "sep": st.sampled_from([",", ";", "\t", "|"]),
        "encoding": st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
        "title_rows": st.integers(0, 2),
        "truncate": st.one_of(st.none(), st.integers(0, 200)),
        "garbage": st.one_of(st.none(), st.binary(max_size=40)),
    }
)
geometry_damage = st.fixed_dictionaries(
    {
        "kinds": st.lists(st.sampled_from(sorted(GEOMETRY_DAMAGE)), min_size=4, max_size=4),
        "crs": st.sampled_from(CRS_LABELS),
        "study_crs": st.sampled_from([None, "EPSG:25832", "EPSG:4326", "UTM32"]),
        "services": st.one_of(
            st.none(),
            st.lists(
                st.tuples(
                    st.sampled_from(sorted(GEOMETRY_DAMAGE)),
                    st.sampled_from(["food", "pharmacy", "care_home", "", "unbekannt", "=1+1"]),
                    st.sampled_from(["3", "x", "inf", "-1", "", "1e400"]),
                ),
                min_size=1,
                max_size=4,
            ),
        ),
    }
)


def _write_table(folder: Path, damage: dict) -> None:
    rows = [list(HEADER), *(list(r) for r in ROWS)]
    for row, column, value in damage["cells"]:
        rows[row][column] = value
    rows = [r for i, r in enumerate(rows) if i not in set(damage["drop_rows"]) or i == 0]
    sep = damage["sep"]
    lines = ["Einwohner nach Stadtteilen"] * damage["title_rows"]
    lines += [sep.join(f'"{c}"' if sep in c or '"' in c else c for c in r) for r in rows]
    text = "\n".join(lines) + "\n"
    data = text.encode(damage["encoding"], errors="replace")
    if damage["truncate"] is not None:
        data = data[: damage["truncate"]]
    if damage["garbage"] is not None:
        data += damage["garbage"]
    (folder / "demographics.csv").write_bytes(data)


def _write_quarters(folder: Path, damage: dict) -> None:
    """Quarters as GeoJSON text (written without GDAL: some damaged mixes crash its writer)."""
    geoms = [GEOMETRY_DAMAGE[k](_square(i)) for i, k in enumerate(damage["kinds"])]
    frame = gpd.GeoDataFrame(
        {"qid": [1, 2, 3, 4], "qname": ["Mühlburg", "Südstadt", "Nordstadt", "Weststadt"]},
        geometry=geoms,
    )
    (folder / "quarters.geojson").write_text(_geojson(frame, damage["crs"]), encoding="utf-8")
    crs = f'crs = "{damage["study_crs"]}"' if damage["study_crs"] else ""
    study = STUDY.format(crs=crs)
    if damage.get("services"):
        _write_services(folder, damage["services"], damage["crs"])
        study += SERVICES
    (folder / "study.toml").write_text(study, encoding="utf-8")


def _geojson(frame: gpd.GeoDataFrame, crs: str | None) -> str:
    data = json.loads(frame.to_json(drop_id=True))
    if crs:
        code = crs.split(":")[1]
        data["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{code}"}}
    return json.dumps(data)


def _write_services(folder: Path, services: list, crs: str | None) -> None:
    geoms = [GEOMETRY_DAMAGE[k](_square(i)) for i, (k, _, _) in enumerate(services)]
    # undamaged services are points; damaged ones may be areas, lines, empty or far away
    geoms = [g.centroid if k == "none" else g for g, (k, _, _) in zip(geoms, services, strict=True)]
    frame = gpd.GeoDataFrame(
        {
            "kategorie": [c for _, c, _ in services],
            "name": [f"Einrichtung {i}" for i in range(len(services))],
            "plaetze": [p for _, _, p in services],
        },
        geometry=geoms,
    )
    (folder / "services.geojson").write_text(_geojson(frame, crs), encoding="utf-8")


@settings(
    max_examples=int(os.environ.get("SQE_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
@given(table=table_damage, geometry=geometry_damage)
def test_run_on_damaged_inputs_exits_0_or_2(table: dict, geometry: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "study"
        folder.mkdir()
        _write_quarters(folder, geometry)
        _write_table(folder, table)
        out = Path(tmp) / "out"
        argv = ["--lang", "en", "run", str(folder / "study.toml"), "--out", str(out)]
        with _Captured() as err:
            code = main([*argv, "--no-accessibility"])
        assert code in (0, 2), err.getvalue()
        assert "Traceback" not in err.getvalue()
        if code == 2:
            assert err.getvalue().startswith("sqe-geo: error:")
            assert not out.exists() or not any(out.iterdir())
        else:
            assert (out / "MANIFEST.sha256").is_file()


class _Captured:
    """Capture stdout and stderr of one run (hypothesis forbids function fixtures)."""

    def __enter__(self):
        import contextlib
        import io

        self._err = io.StringIO()
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stderr(self._err))
        self._stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        return self._err

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


@pytest.mark.parametrize("kind", sorted(GEOMETRY_DAMAGE))
def test_each_geometry_damage_alone(kind: str, tmp_path: Path) -> None:
    """Every geometry damage on its own (the fuzz test mixes them)."""
    folder = tmp_path / "study"
    folder.mkdir()
    _write_quarters(folder, {"kinds": [kind, "none", "none", "none"], "crs": "EPSG:25832",
                             "study_crs": None, "services": [(kind, "food", "3")]})  # fmt: skip
    _write_table(folder, {"cells": [], "drop_rows": [], "sep": ",", "encoding": "utf-8",
                          "title_rows": 0, "truncate": None, "garbage": None})  # fmt: skip
    with _Captured() as err:
        code = main(["run", str(folder / "study.toml"), "--out", str(tmp_path / "o"),
                     "--no-accessibility"])  # fmt: skip
    assert code in (0, 2), err.getvalue()
