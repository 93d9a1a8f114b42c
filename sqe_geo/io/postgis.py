"""Reading layers and tables of a study from PostGIS.

A section of the study file whose ``path`` is a ``postgresql://user@host:port/database`` URL
reads its ``table`` (a table or view, ``schema.table``) or its ``query`` (any ``SELECT``)
from the database (:class:`~sqe_geo.config_database.DatabaseLayer`). The password never
stands in the study file: libpq takes it from ``PGPASSWORD``, ``PGPASSFILE`` or ``~/.pgpass``
(and ``PGSSLMODE`` and the other ``PG*`` variables apply as for ``psql``).

Geometry arrives as EWKB with its SRID, so a layer keeps its CRS as a file does; the file
readers (:func:`sqe_geo.io.layers.read_vector`, :func:`sqe_geo.io.tables.read_table`) take
it from here and apply the same checks (CRS, extent, repairs, columns, numbers).

The database libraries (psycopg 3, SQLAlchemy, GeoAlchemy2) are the optional extra
``postgis``; the core imports without them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo._errors import InputDataError, MissingDependencyError, listing
from sqe_geo.config_database import DatabaseLayer, check_no_password, connection_target
from sqe_geo.i18n.messages import Message

if TYPE_CHECKING:
    import psycopg

__all__ = ["connect", "read_database_layer", "read_database_table", "require_postgis"]

#: The SQLSTATE codes of a refused login (28P01 wrong password, 28000 no such role/entry).
_LOGIN_REFUSED = ("28P01", "28000")


def require_postgis() -> None:
    """Fail with "install sqe-geo[postgis]" when the database libraries are missing.

    Raises
    ------
    MissingDependencyError
        If psycopg, SQLAlchemy or GeoAlchemy2 cannot be imported.
    """
    try:
        import geoalchemy2  # noqa: F401
        import psycopg  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            Message("postgis.missing_extra", module=exc.name or "psycopg")
        ) from None


@contextlib.contextmanager
def connect(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A psycopg connection to the database of a study URL (closed on leaving).

    Parameters
    ----------
    url
        ``postgresql://user@host:port/database`` without a password.

    Raises
    ------
    StudyConfigError
        If the URL holds a password.
    InputDataError
        If the server refuses the login (the message names user, database and host and
        where the password comes from) or cannot be reached.
    """
    check_no_password(url)
    require_postgis()
    import psycopg

    try:
        connection = psycopg.connect(url, connect_timeout=20)
    except psycopg.Error as exc:
        raise login_error(url, exc) from None
    try:
        yield connection
    finally:
        connection.close()


def login_error(url: str, exc: Exception) -> InputDataError:
    """The message of a failed connection: wrong password, unknown database, no server."""
    user, database, host = connection_target(url)
    detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    lowered = str(exc).lower()
    state = getattr(exc, "sqlstate", None)
    if state in _LOGIN_REFUSED or "password authentication failed" in lowered:
        key = "postgis.login_refused"
    elif "no password supplied" in lowered:
        key = "postgis.no_password"
    elif state == "3D000" or ("database" in lowered and "does not exist" in lowered):
        key = "postgis.no_database"
    else:
        key = "postgis.cannot_connect"
    return InputDataError(Message(key, user=user, database=database, host=host, detail=detail))


def _relation(cursor: psycopg.Cursor[Any], layer: DatabaseLayer) -> str:
    """The quoted, qualified name of the layer's table (refused naming it when missing)."""
    assert layer.table is not None
    try:
        cursor.execute("SELECT to_regclass(%s)::text", (layer.table,))
        row = cursor.fetchone()
    except Exception as exc:  # an unparsable name (quotes, dots)
        cursor.connection.rollback()
        raise InputDataError(
            Message("postgis.bad_table_name", table=layer.table, detail=str(exc).strip())
        ) from None
    if row is None or row[0] is None:
        cursor.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'topology') "
            "AND table_name NOT IN ('spatial_ref_sys', 'geometry_columns', "
            "'geography_columns', 'raster_columns', 'raster_overviews') ORDER BY 1"
        )
        tables = [r[0] for r in cursor.fetchall()]
        raise InputDataError(
            Message(
                "postgis.table_missing",
                table=layer.table,
                database=layer.database,
                tables=listing(tables) or "–",
            )
        )
    return str(row[0])


def read_database_table(layer: DatabaseLayer, *, what: str) -> pd.DataFrame:
    """Read a table or query as a plain table (geometry columns left out).

    Parameters
    ----------
    layer
        The table or query and its database.
    what
        The study's layer (``"demographics"``, ``"planning_areas"``) for messages.

    Returns
    -------
    pandas.DataFrame
        The rows; ``numeric`` columns as float, other types as psycopg returns them.
    """
    frame, spatial = _rows(layer, what=what)
    return frame.drop(columns=spatial)


def read_database_layer(layer: DatabaseLayer, *, what: str) -> gpd.GeoDataFrame:
    """Read a table or query with one geometry column as a layer in its stored CRS.

    Parameters
    ----------
    layer
        The table or query and its database.
    what
        The study's layer (``"quarters"``, ``"services"``, ``"network"``) for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows with their geometry; the CRS is the SRID of the geometries (none for
        SRID 0: the study file's ``crs`` key then says it, as for a file).

    Raises
    ------
    InputDataError
        If the result has no or several geometry columns, or mixes SRIDs.
    """
    frame, spatial = _rows(layer, what=what)
    if len(spatial) != 1:
        key = "postgis.no_geometry" if not spatial else "postgis.several_geometries"
        raise InputDataError(
            Message(key, source=layer.name, what=what, columns=listing(spatial or frame.columns))
        )
    column = spatial[0]
    values = frame[column].to_numpy(dtype=object)
    present = pd.notna(values)
    geoms = np.full(len(values), None, dtype=object)
    geoms[present] = shapely.from_wkb(values[present].astype(str))
    srids = set(shapely.get_srid(geoms[present]).tolist()) if present.any() else set()
    if len(srids) > 1:
        raise InputDataError(
            Message("postgis.mixed_srid", source=layer.name, srids=sorted(srids), column=column)
        )
    srid = srids.pop() if srids else 0
    geoms[present] = shapely.set_srid(geoms[present], 0)
    return gpd.GeoDataFrame(
        frame.drop(columns=[column]),
        geometry=gpd.GeoSeries(geoms, index=frame.index),
        crs=f"EPSG:{srid}" if srid else None,
    )


def _rows(layer: DatabaseLayer, *, what: str) -> tuple[pd.DataFrame, list[str]]:
    """The rows of a table or query, numeric columns as float; the geometry columns."""
    import psycopg

    with connect(layer.url) as connection, connection.cursor() as cursor:
        connection.read_only = True  # a study reads: its query cannot change the database
        sql = f"SELECT * FROM {_relation(cursor, layer)}" if layer.table else str(layer.query)
        try:
            cursor.execute(sql.strip().rstrip(";"))
            described = cursor.description
            rows = cursor.fetchall() if described is not None else []
        except psycopg.Error as exc:
            raise InputDataError(
                Message(
                    "postgis.query_failed",
                    source=layer.name,
                    what=what,
                    detail=str(exc).strip().splitlines()[0],
                )
            ) from None
        if described is None:
            raise InputDataError(Message("postgis.no_result", source=layer.name, what=what))
        names = [d.name for d in described]
        cursor.execute(
            "SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography') AND oid = ANY(%s)",
            ([d.type_code for d in described],),
        )
        spatial_oids = {r[0] for r in cursor.fetchall()}
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InputDataError(
            Message("postgis.column_twice", source=layer.name, columns=listing(twice))
        )
    frame = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)
    for name in frame.columns:
        if frame[name].map(lambda v: isinstance(v, Decimal)).any():
            frame[name] = pd.to_numeric(frame[name].map(_decimal), errors="raise")
    spatial = [d.name for d in described if d.type_code in spatial_oids]
    return frame, spatial


def _decimal(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def read_named_columns(
    layer: DatabaseLayer,
    named: Sequence[str],
    text_columns: Sequence[str],
    keys: Mapping[str, str],
    *,
    what: str,
) -> pd.DataFrame:
    """A table or query for :func:`~sqe_geo.io.tables.read_table`: named columns checked.

    Parameters
    ----------
    layer
        The table or query and its database.
    named
        The columns the study names (refused naming the study-file key when missing).
    text_columns
        Key and name columns: kept as text (an integer key 1 becomes ``"1"``).
    keys
        Column -> the study-file key that names it.
    what
        The study's layer for messages.

    Returns
    -------
    pandas.DataFrame
        The rows without geometry columns; ``attrs["first_line"]`` is 1 (row numbers in
        the report count the result's rows from 1).
    """
    frame = read_database_table(layer, what=what)
    missing = list(dict.fromkeys(c for c in named if c not in frame.columns))
    if missing:
        where = ", ".join(f"{keys[c]} = {c!r}" for c in missing if c in keys)
        raise InputDataError(
            Message(
                "postgis.missing_columns",
                source=layer.name,
                columns=", ".join(missing),
                where=f" ({where})" if where else "",
                found=listing(frame.columns),
            )
        )
    if len(frame) == 0:
        raise InputDataError(Message("postgis.no_rows", source=layer.name))
    for column in text_columns:
        values = frame[column]
        frame[column] = values.astype(object).where(values.isna(), values.astype(str))
    frame.attrs["first_line"] = 1
    return frame
