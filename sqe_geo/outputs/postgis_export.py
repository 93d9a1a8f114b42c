"""Writing a run into a PostGIS schema: the indicator tables with geometry, for QGIS.

``sqe-geo run STUDY --to-postgis URL --schema NAME`` writes, in one transaction:

- ``quartiere``, ``planungsraeume``, ``stadt``: the indicator table of each level exactly as
  the technical CSV of the file exports (:func:`sqe_geo.outputs.export.export_table` with
  ids as column names, withheld values empty = NULL, ``status_{id}`` reason codes), all
  years, with the unit's geometry (``geometry(MultiPolygon, SRID of the analysis CRS)``,
  a GiST index), an integer primary key ``fid`` and ``unique (unit_id, year)``;
- ``indikatoren``: the indicator definitions; ``datenqualitaet``: the data-quality report;
  ``metadaten``: the metadata sheet of the XLSX; ``sqe_lauf``: one row about the run
  (study, time, version, years).

An earlier run of the same study in the schema is replaced; a schema holding another
study's run is refused. Any error rolls the whole transaction back, so the earlier run
stays as it was. Tables of others in the schema are never touched.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from sqe_geo._errors import ExportError
from sqe_geo._version import __version__
from sqe_geo.config_database import check_no_password, connection_target
from sqe_geo.i18n.messages import Message
from sqe_geo.io.postgis import login_error, require_postgis
from sqe_geo.outputs.export import export_table
from sqe_geo.outputs.export_sheets import metadata_frame, quality_frame
from sqe_geo.results import Results
from sqe_geo.stats.aggregate import LEVELS, Level

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["RUN_TABLE", "TABLES", "default_schema", "postgis_frames", "write_postgis"]

#: The table of each level in the schema (the GeoPackage's layer names).
LEVEL_TABLES: dict[Level, str] = {
    "quarter": "quartiere",
    "planning_area": "planungsraeume",
    "city": "stadt",
}
#: The table naming the run that wrote the schema.
RUN_TABLE = "sqe_lauf"
#: Every table a run writes, in the order written.
TABLES = (*LEVEL_TABLES.values(), "indikatoren", "datenqualitaet", "metadaten", RUN_TABLE)
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_QUALITY = ("severity", "layer", "finding", "count", "message", "items")


def _level_frame(results: Results, level: Level) -> gpd.GeoDataFrame:
    """The technical table of one level (as the CSV export) with each unit's geometry."""
    table = export_table(results, level, labels=False, withheld=None)
    year = max(results.years)
    if level == "quarter":
        geo = results.quarters_geo(year)[["unit_id", "geometry"]]
    elif level == "planning_area":
        geo = results.planning_areas_geo(year)[["unit_id", "geometry"]]
    else:
        union = shapely.union_all(results.study.quarters.geometry.values)
        geo = gpd.GeoDataFrame(
            {"unit_id": table["unit_id"].unique()},
            geometry=[union] * table["unit_id"].nunique(),
            crs=results.study.quarters.crs,
        )
    merged = table.merge(pd.DataFrame(geo), on="unit_id", how="left", validate="many_to_one")
    geoms = merged["geometry"].to_numpy(dtype=object)
    single = shapely.get_type_id(geoms) == 3  # Polygon -> MultiPolygon: one type per column
    geoms[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
    frame = gpd.GeoDataFrame(
        merged.drop(columns=["geometry"]), geometry=geoms, crs=results.study.quarters.crs
    )
    frame.insert(0, "fid", range(1, len(frame) + 1))
    return frame


def postgis_frames(results: Results, language: str = "de") -> dict[str, pd.DataFrame]:
    """Every table of a run, built before the database is touched.

    Parameters
    ----------
    results
        Output of :func:`sqe_geo.pipeline.run`.
    language
        Language of the definitions, the quality report and the metadata.

    Returns
    -------
    dict of str to pandas.DataFrame
        Table name -> rows (GeoDataFrames for the levels), in :data:`TABLES` order.
    """
    frames: dict[str, pd.DataFrame] = {
        LEVEL_TABLES[level]: _level_frame(results, level) for level in LEVELS
    }
    frames["indikatoren"] = results.catalog.definitions(language)
    quality = quality_frame(results.report, language)
    quality.columns = list(_QUALITY)
    frames["datenqualitaet"] = quality
    metadata = metadata_frame(results, language)
    metadata.columns = ["item", "value"]
    frames["metadaten"] = metadata
    config = results.study.config
    frames[RUN_TABLE] = pd.DataFrame(
        {
            "study": [config.name],
            "title": [config.title],
            "written_at": [dt.datetime.now(dt.UTC).replace(microsecond=0)],
            "sqe_geo_version": [__version__],
            "years": [", ".join(map(str, results.years))],
            "analysis_crs": [config.analysis_crs],
            "language": [language],
            "demo": [config.demo],
        }
    )
    return frames


def default_schema(study: str) -> str:
    """The schema of a study's run when ``--schema`` is not given: ``sqe_<study name>``."""
    return "sqe_" + re.sub(r"[^a-z0-9_]+", "_", study.lower()).strip("_")[:58]


def _check_names(schema: str, frames: dict[str, pd.DataFrame]) -> None:
    if not _SCHEMA.match(schema):
        raise ExportError(Message("postgis.bad_schema", schema=schema))
    for name, frame in frames.items():
        long = [str(c) for c in frame.columns if len(str(c).encode()) > 63]
        if long:
            raise ExportError(Message("postgis.long_column", table=name, column=long[0]))


def write_postgis(results: Results, url: str, schema: str, *, language: str = "de") -> list[str]:
    """Write a run into ``schema`` of a PostGIS database, replacing an earlier run of it.

    Parameters
    ----------
    results
        Output of :func:`sqe_geo.pipeline.run`.
    url
        ``postgresql://user@host:port/database`` without a password (libpq takes it from
        ``PGPASSWORD`` or ``~/.pgpass``).
    schema
        The schema (created if missing; lower-case letters, digits and ``_``).
    language
        Language of the definitions, the quality report and the metadata.

    Returns
    -------
    list of str
        The written tables as ``schema.table``.

    Raises
    ------
    ExportError
        If the schema holds another study's run, a table cannot be replaced (e.g. a view
        of someone depends on it) or the database refuses a statement; nothing is changed.
    InputDataError
        If the login fails (the message names user, database and host).
    """
    check_no_password(url)
    require_postgis()
    frames = postgis_frames(results, language)
    _check_names(schema, frames)
    import sqlalchemy

    user, database, host = connection_target(url)
    engine = sqlalchemy.create_engine(
        "postgresql+psycopg://" + url.split("://", 1)[1], poolclass=sqlalchemy.pool.NullPool
    )
    try:
        try:
            connection = engine.connect()
        except sqlalchemy.exc.OperationalError as exc:
            raise login_error(url, exc.orig or exc) from None
        with connection, connection.begin():
            _replace(connection, schema, frames, results)
    except sqlalchemy.exc.DBAPIError as exc:
        detail = str(exc.orig or exc).strip().splitlines()
        raise ExportError(
            Message(
                "postgis.write_failed",
                schema=schema,
                database=database,
                host=host,
                user=user,
                detail=" ".join(detail[:3]),
            )
        ) from None
    finally:
        engine.dispose()
    return [f"{schema}.{name}" for name in frames]


def _replace(
    connection: Connection, schema: str, frames: dict[str, pd.DataFrame], results: Results
) -> None:
    """Inside the transaction: check the schema's run, drop our tables, write them anew."""
    from sqlalchemy import text as sql

    study = results.study.config.name
    connection.execute(sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    earlier = connection.execute(
        sql("SELECT to_regclass(:name)"), {"name": f'"{schema}".{RUN_TABLE}'}
    ).scalar()
    if earlier is not None:
        studies = connection.execute(sql(f'SELECT study FROM "{schema}".{RUN_TABLE}')).scalars()
        other = sorted(set(studies) - {study})
        if other:
            raise ExportError(
                Message("postgis.other_study", schema=schema, other=other[0], study=study)
            )
    for name, frame in frames.items():
        connection.execute(sql(f'DROP TABLE IF EXISTS "{schema}"."{name}"'))
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_postgis(name, connection, schema=schema, index=False)
            _keys(connection, schema, name, frame)
        else:
            frame.to_sql(name, connection, schema=schema, index=False)
    _comments(connection, schema, results, str(frames[RUN_TABLE]["language"].iloc[0]))


def _keys(connection: Connection, schema: str, name: str, frame: gpd.GeoDataFrame) -> None:
    """Primary key ``fid`` (QGIS needs one) and one row per unit and year."""
    from sqlalchemy import text as sql

    table = f'"{schema}"."{name}"'
    connection.execute(sql(f"ALTER TABLE {table} ADD PRIMARY KEY (fid)"))
    if {"unit_id", "year"} <= set(frame.columns):
        connection.execute(sql(f"ALTER TABLE {table} ADD UNIQUE (unit_id, year)"))


def _comments(connection: Connection, schema: str, results: Results, language: str) -> None:
    """Each indicator column's label and unit as its comment (QGIS shows them)."""
    from sqlalchemy import text as sql

    for name in LEVEL_TABLES.values():
        for ind_id in _present(connection, schema, name, results.catalog.ids):
            ind = results.catalog[ind_id]
            label = f"{ind.label(language)} ({ind.unit(language)})".replace("'", "''")
            label = label.replace(":", "\\:")  # not a bound parameter of sqlalchemy.text
            connection.execute(
                sql(f'COMMENT ON COLUMN "{schema}"."{name}"."{ind_id}" IS \'{label}\'')
            )


def _present(connection: Connection, schema: str, table: str, ids: Sequence[str]) -> list[str]:
    from sqlalchemy import text as sql

    columns = connection.execute(
        sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = :schema AND table_name = :table"
        ),
        {"schema": schema, "table": table},
    ).scalars()
    found = set(columns)
    return [i for i in ids if i in found]
