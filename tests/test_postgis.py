"""PostGIS in and out, against a real server (a throw-away cluster, tests/postgis_cluster.py).

Round trip: the demo's files are loaded into PostGIS, a study reads every layer from there
(quarters, planning areas, demographics, services by an SQL query, network) and computes the
same indicators as from the files. ``--to-postgis`` writes the tables of the file exports
(same numbers, same withheld values) into a schema that QGIS opens (typmod geometry, primary
key), replaces an earlier run and leaves it intact when a write fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from postgis_cluster import PASSWORD, Cluster, start_cluster, why_no_server

import sqe_geo
from sqe_geo._errors import ExportError, InputDataError, MissingDependencyError, StudyConfigError
from sqe_geo.cli import main
from sqe_geo.config import load_config
from sqe_geo.outputs.export import export_table
from sqe_geo.results import Results
from sqe_geo.stats.aggregate import LEVELS

DEMO = Path(sqe_geo.DEMO_STUDY).parent
NO_SERVER = why_no_server()
needs_server = pytest.mark.skipif(NO_SERVER is not None, reason=f"PostGIS tests: {NO_SERVER}")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A running PostGIS server for this module; the password in PGPASSWORD."""
    if NO_SERVER is not None:
        pytest.skip(f"PostGIS tests: {NO_SERVER}")
    saved = {k: os.environ.get(k) for k in ("PGPASSWORD", "PGPASSFILE")}
    os.environ["PGPASSWORD"] = PASSWORD
    os.environ["PGPASSFILE"] = "/nonexistent/pgpass"  # the developer's ~/.pgpass stays out
    try:
        with start_cluster() as server:
            yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _sql(cluster: Cluster, statement: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(cluster.url(), autocommit=True) as connection:
        cursor = connection.execute(statement)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def _upload_demo(cluster: Cluster) -> None:
    """The demo's vector layers and tables into the schema ``eingabe`` (keys stay text)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(cluster.sqlalchemy_url())
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("CREATE SCHEMA IF NOT EXISTS eingabe"))
            for name in ("quarters", "services", "streets"):
                layer = gpd.read_file(DEMO / f"{name}.gpkg", layer=name)
                layer.to_postgis(name, connection, schema="eingabe", if_exists="replace")
            areas = pd.read_csv(DEMO / "planning_areas.csv", dtype=str)
            areas.to_sql(
                "planning_areas", connection, schema="eingabe", if_exists="replace", index=False
            )
            demographics = pd.read_csv(
                DEMO / "demographics.csv",
                sep=";",
                dtype={"Stadtteil_Nr": str, "Stadtteil": str, "Quelle": str},
            )
            demographics.to_sql(
                "demographics", connection, schema="eingabe", if_exists="replace", index=False
            )
    finally:
        engine.dispose()


def _postgis_study(cluster: Cluster, folder: Path, **changes: str) -> Path:
    """The demo study with every layer (but the population raster) from PostGIS."""
    text = (Path(sqe_geo.DEMO_STUDY)).read_text(encoding="utf-8")
    url = cluster.url()
    replacements = {
        'path = "quarters.gpkg"\nlayer = "quarters"': f'path = "{url}"\ntable = "eingabe.quarters"',
        'path = "planning_areas.csv"': f'path = "{url}"\ntable = "eingabe.planning_areas"',
        'path = "demographics.csv"': f'path = "{url}"\ntable = "eingabe.demographics"',
        'path = "population_grid.tif"': f'path = "{DEMO / "population_grid.tif"}"',
        'path = "services.gpkg"\nlayer = "services"': (
            f'path = "{url}"\nquery = "SELECT * FROM eingabe.services WHERE category IS NOT NULL"'
        ),
        'path = "streets.gpkg"\nlayer = "streets"': f'path = "{url}"\ntable = "eingabe.streets"',
        **changes,
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    study = folder / "postgis.toml"
    study.write_text(text, encoding="utf-8")
    return study


@pytest.fixture(scope="module")
def uploaded(cluster: Cluster) -> Cluster:
    _upload_demo(cluster)
    return cluster


@needs_server
def test_round_trip_files_postgis_study_same_indicators(
    uploaded: Cluster, demo_results: Results, tmp_path: Path
) -> None:
    study = sqe_geo.load_study(_postgis_study(uploaded, tmp_path))
    assert study.config.quarters.table == "eingabe.quarters"
    from_db = sqe_geo.run(study)
    for level in LEVELS:
        pd.testing.assert_frame_equal(from_db.table(level), demo_results.table(level))
        pd.testing.assert_frame_equal(from_db.suppressed[level], demo_results.suppressed[level])
        pd.testing.assert_frame_equal(
            export_table(from_db, level, labels=False, withheld=None),
            export_table(demo_results, level, labels=False, withheld=None),
        )
    # the report names the table and its database, not a file
    sources = " ".join(str(f.message) for f in from_db.report.findings)
    assert "quarters.gpkg" not in sources


@needs_server
def test_to_postgis_writes_the_export_tables_qgis_ready(
    cluster: Cluster, demo_results: Results
) -> None:
    from sqe_geo.outputs.postgis_export import write_postgis

    written = write_postgis(demo_results, cluster.url(), "sqe_demo")
    assert "sqe_demo.quartiere" in written and "sqe_demo.sqe_lauf" in written
    engine_url = cluster.sqlalchemy_url()
    import sqlalchemy

    engine = sqlalchemy.create_engine(engine_url)
    try:
        for level, table in [("quarter", "quartiere"), ("planning_area", "planungsraeume")]:
            back = gpd.read_postgis(
                f"SELECT * FROM sqe_demo.{table} ORDER BY fid", engine, geom_col="geometry"
            )
            expected = export_table(demo_results, level, labels=False, withheld=None)
            assert back.crs.to_epsg() == 25832
            assert list(back["fid"]) == list(range(1, len(expected) + 1))
            for column in expected.columns:
                got, want = back[column], expected[column]
                if pd.api.types.is_numeric_dtype(want):
                    # withheld cells are NULL exactly where the CSV leaves them empty
                    assert np.array_equal(got.isna(), want.isna()), column
                    assert np.allclose(
                        got[want.notna()].astype(float), want[want.notna()].astype(float)
                    ), column
                else:
                    assert (
                        got.fillna("").astype(str).tolist() == want.fillna("").astype(str).tolist()
                    ), column
        withheld = demo_results.suppressed["quarter"].to_numpy().sum()
        assert withheld > 0  # the demo withholds counts: the comparison above covers them
    finally:
        engine.dispose()
    columns = _sql(
        cluster,
        "SELECT f_table_name, type, srid FROM geometry_columns "
        "WHERE f_table_schema = 'sqe_demo' ORDER BY 1",
    )
    assert columns == [
        ("planungsraeume", "MULTIPOLYGON", 25832),
        ("quartiere", "MULTIPOLYGON", 25832),
        ("stadt", "MULTIPOLYGON", 25832),
    ]
    keys = _sql(
        cluster,
        "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE i.indisprimary AND n.nspname = 'sqe_demo' ORDER BY 1",
    )
    assert keys == [("planungsraeume", "fid"), ("quartiere", "fid"), ("stadt", "fid")]
    comment = _sql(
        cluster,
        "SELECT col_description('sqe_demo.quartiere'::regclass, "
        "(SELECT attnum FROM pg_attribute WHERE attrelid = 'sqe_demo.quartiere'::regclass "
        "AND attname = 'share_oldest_old'))",
    )
    assert comment[0][0], comment
    # idempotent: a second run replaces the first, nothing doubles
    write_postgis(demo_results, cluster.url(), "sqe_demo")
    assert _sql(cluster, "SELECT count(*) FROM sqe_demo.sqe_lauf") == [(1,)]
    n_quarters = len(export_table(demo_results, "quarter", labels=False, withheld=None))
    assert _sql(cluster, "SELECT count(*) FROM sqe_demo.quartiere") == [(n_quarters,)]


@needs_server
def test_failed_write_leaves_the_earlier_run(cluster: Cluster, demo_results: Results) -> None:
    from sqe_geo.outputs.postgis_export import write_postgis

    write_postgis(demo_results, cluster.url(), "kept")
    before = _sql(
        cluster,
        "SELECT 'kept.quartiere'::regclass::oid, (SELECT written_at FROM kept.sqe_lauf)",
    )
    # a planner's view on the planning areas: replacing that table must fail (no CASCADE)
    _sql(cluster, "CREATE VIEW kept.meine_sicht AS SELECT unit_id FROM kept.planungsraeume")
    with pytest.raises(ExportError, match="meine_sicht") as caught:
        write_postgis(demo_results, cluster.url(), "kept")
    assert "kept" in str(caught.value)
    after = _sql(
        cluster,
        "SELECT 'kept.quartiere'::regclass::oid, (SELECT written_at FROM kept.sqe_lauf)",
    )
    # quartiere was dropped and written anew before planungsraeume failed: rolled back
    assert after == before
    assert _sql(cluster, "SELECT count(*) FROM kept.meine_sicht")[0][0] > 0


@needs_server
def test_to_postgis_wrong_password_names_user(
    cluster: Cluster, demo_results: Results, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqe_geo.outputs.postgis_export import write_postgis

    monkeypatch.setenv("PGPASSWORD", "falsch")
    with pytest.raises(InputDataError, match="planer"):
        write_postgis(demo_results, cluster.url(), "nie")
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert _sql(cluster, "SELECT to_regnamespace('nie')") == [(None,)]


@needs_server
def test_another_studys_schema_is_refused(cluster: Cluster, demo_results: Results) -> None:
    from sqe_geo.outputs.postgis_export import write_postgis

    write_postgis(demo_results, cluster.url(), "fremd")
    _sql(cluster, "UPDATE fremd.sqe_lauf SET study = 'andere_stadt'")
    with pytest.raises(ExportError, match="andere_stadt"):
        write_postgis(demo_results, cluster.url(), "fremd")
    assert _sql(cluster, "SELECT study FROM fremd.sqe_lauf") == [("andere_stadt",)]


@needs_server
def test_cli_run_to_postgis(cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "--no-accessibility", "--to-postgis", cluster.url(), "--schema", "cli"]
    assert main(argv) == 0
    assert "cli.quartiere" in capsys.readouterr().out
    assert _sql(cluster, "SELECT study FROM cli.sqe_lauf") == [("demo",)]
    # neither target, or --schema alone: refused before any computation
    assert main(["--lang", "en", "run"]) == 2
    assert "--to-postgis" in capsys.readouterr().err
    assert main(["--lang", "en", "run", "--schema", "x", "--out", "y"]) == 2
    assert "--schema only goes with --to-postgis" in capsys.readouterr().err


@needs_server
def test_wrong_password_names_user_and_database(
    uploaded: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _postgis_study(uploaded, tmp_path)
    monkeypatch.setenv("PGPASSWORD", "falsch")
    with pytest.raises(InputDataError, match="planer") as caught:
        sqe_geo.load_study(study)
    assert "sqe" in str(caught.value) and "PGPASSWORD" in str(caught.value)
    out = tmp_path / "out"
    assert main(["--lang", "en", "run", str(study), "--out", str(out)]) == 2
    err = _stderr_of_cli(["--lang", "en", "run", str(study), "--out", str(out)])
    assert "refuses the login as user planer" in err and "Traceback" not in err
    err = _stderr_of_cli(["--lang", "en", "run", "--to-postgis", uploaded.url()])
    assert "refuses the login as user planer" in err and "Traceback" not in err


def _stderr_of_cli(argv: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sqe_geo.cli", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )
    assert done.returncode == 2, done.stderr
    return done.stderr


@needs_server
def test_missing_password_and_pgpass(
    uploaded: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _postgis_study(uploaded, tmp_path)
    monkeypatch.delenv("PGPASSWORD")
    with pytest.raises(InputDataError, match="PGPASSWORD") as caught:
        sqe_geo.load_study(study)
    assert "planer" in str(caught.value)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{uploaded.port}:sqe:planer:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert len(sqe_geo.load_study(study).quarters) == 27


@needs_server
def test_missing_table_and_columns_are_named(uploaded: Cluster, tmp_path: Path) -> None:
    study = _postgis_study(
        uploaded, tmp_path, **{'table = "eingabe.quarters"': 'table = "eingabe.stadtteile"'}
    )
    with pytest.raises(InputDataError, match=r"eingabe\.stadtteile") as caught:
        sqe_geo.load_study(study)
    assert "eingabe.quarters" in str(caught.value)  # the tables that are there
    study = _postgis_study(
        uploaded, tmp_path, **{'id_column = "quarter_id"': 'id_column = "stadtteil_nr"'}
    )
    with pytest.raises(InputDataError, match="stadtteil_nr") as caught:
        sqe_geo.load_study(study)
    assert "eingabe.quarters" in str(caught.value)
    study = _postgis_study(
        uploaded, tmp_path, **{'key_column = "Stadtteil_Nr"': 'key_column = "Nummer"'}
    )
    with pytest.raises(InputDataError, match="Nummer") as caught:
        sqe_geo.load_study(study)
    message = str(caught.value)
    assert "eingabe.demographics" in message and "key_column" in message
    study = _postgis_study(
        uploaded,
        tmp_path,
        **{"WHERE category IS NOT NULL": "WHERE kategorie = 'food'"},
    )
    with pytest.raises(InputDataError, match="kategorie"):
        sqe_geo.load_study(study)


@needs_server
def test_a_study_query_cannot_change_the_database(uploaded: Cluster, tmp_path: Path) -> None:
    query = "DELETE FROM eingabe.services RETURNING *"
    study = _postgis_study(
        uploaded,
        tmp_path,
        **{"SELECT * FROM eingabe.services WHERE category IS NOT NULL": query},
    )
    n_services = _sql(uploaded, "SELECT count(*) FROM eingabe.services")
    with pytest.raises(InputDataError, match="read-only"):
        sqe_geo.load_study(study)
    assert _sql(uploaded, "SELECT count(*) FROM eingabe.services") == n_services


def test_password_in_url_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = tmp_path / "study.toml"
    study.write_text(
        'name = "x"\n[quarters]\npath = "postgresql://planer:geheim@db.example/sqe"\n'
        'table = "quarters"\n[demographics]\npath = "d.csv"\nkey_column = "k"\nyear = 2020\n'
        'total_column = "t"\n[demographics.bands]\na = "0-19"\n',
        encoding="utf-8",
    )
    with pytest.raises(StudyConfigError, match="password") as caught:
        load_config(study)
    assert "geheim" not in str(caught.value) and "quarters.path" in str(caught.value)
    assert main(["--lang", "en", "validate", str(study)]) == 2
    assert "holds a password" in capsys.readouterr().err
    url = "postgresql://planer:geheim@db.example/sqe"
    assert main(["--lang", "en", "run", "--to-postgis", url]) == 2
    err = capsys.readouterr().err
    assert "holds a password" in err and "geheim" not in err


def test_table_and_query_need_a_database_url(tmp_path: Path) -> None:
    base = (
        '[demographics]\npath = "d.csv"\nkey_column = "k"\nyear = 2020\ntotal_column = "t"\n'
        '[demographics.bands]\na = "0-19"\n'
    )
    (tmp_path / "d.csv").write_text("k,t,a\n1,1,1\n")
    (tmp_path / "q.gpkg").write_bytes(b"")
    for quarters in (
        'path = "q.gpkg"\ntable = "quarters"',
        'path = "postgresql://planer@db/sqe"',
        'path = "postgresql://planer@db/sqe"\ntable = "a"\nquery = "SELECT 1"',
    ):
        study = tmp_path / "study.toml"
        study.write_text(f'name = "x"\n[quarters]\n{quarters}\n{base}', encoding="utf-8")
        with pytest.raises(StudyConfigError, match="'table'"):
            load_config(study)


def test_population_grid_stays_a_file(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    (tmp_path / "d.csv").write_text("k,t,a\n1,1,1\n")
    (tmp_path / "q.gpkg").write_bytes(b"")
    study.write_text(
        'name = "x"\n[quarters]\npath = "q.gpkg"\n[population_grid]\n'
        'path = "postgresql://planer@db/sqe"\n[demographics]\npath = "d.csv"\n'
        'key_column = "k"\nyear = 2020\ntotal_column = "t"\n[demographics.bands]\na = "0-19"\n',
        encoding="utf-8",
    )
    with pytest.raises(StudyConfigError, match=r"population_grid\.path"):
        load_config(study)


def test_database_url_is_not_a_file(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    (tmp_path / "d.csv").write_text("k,t,a\n1,1,1\n")
    study.write_text(
        'name = "x"\n[quarters]\npath = "postgresql://planer@db.example:5433/sqe?sslmode=require"\n'
        'table = "planung.stadtteile"\n[demographics]\npath = "d.csv"\nkey_column = "k"\n'
        'year = 2020\ntotal_column = "t"\n[demographics.bands]\na = "0-19"\n',
        encoding="utf-8",
    )
    config = load_config(study)
    assert config.quarters.path == "postgresql://planer@db.example:5433/sqe?sslmode=require"
    assert config.input_paths() == [tmp_path / "d.csv"]
    assert config.quarters.source_name() == "planung.stadtteile (sqe@db.example)"


def test_core_imports_without_the_database_libraries() -> None:
    code = (
        "import sys\n"
        "import sqe_geo, sqe_geo.cli, sqe_geo.pipeline, sqe_geo.outputs.export\n"
        "import sqe_geo.io.postgis, sqe_geo.outputs.postgis_export\n"
        "bad = [m for m in ('psycopg', 'sqlalchemy', 'geoalchemy2') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from sqe_geo.io.postgis import require_postgis

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"sqe-geo\[postgis\]"):
        require_postgis()


@needs_server
def test_network_table_is_cached_by_its_lines(uploaded: Cluster, tmp_path: Path) -> None:
    from sqe_geo.access.network_cache import load_or_build_network
    from sqe_geo.config_database import DatabaseLayer

    _sql(uploaded, "CREATE TABLE eingabe.wege AS SELECT * FROM eingabe.streets")
    layer = DatabaseLayer(uploaded.url(), table="eingabe.wege")
    first = load_or_build_network(layer, tmp_path)
    second = load_or_build_network(layer, tmp_path)
    assert len(list(tmp_path.glob("network_*.npz"))) == 1  # the same lines: one graph
    assert np.array_equal(first.node_xy, second.node_xy)
    _sql(uploaded, "DELETE FROM eingabe.wege WHERE ctid IN (SELECT ctid FROM eingabe.wege LIMIT 5)")
    changed = load_or_build_network(layer, tmp_path)
    assert len(list(tmp_path.glob("network_*.npz"))) == 2  # changed lines: a new graph
    assert changed.edge_u.size < first.edge_u.size
