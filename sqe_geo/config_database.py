"""Layers of a study that live in a PostGIS database instead of a file.

A section's ``path`` may be a ``postgresql://user@host:port/database`` URL; ``table`` (or
``query``) then says which table, view or SQL query holds the layer. The URL never holds a
password: libpq takes it from ``PGPASSWORD``, ``PGPASSFILE`` or ``~/.pgpass``. Reading is
:mod:`sqe_geo.io.postgis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from sqe_geo._errors import StudyConfigError
from sqe_geo.i18n.messages import Message

#: URL schemes of a PostGIS database in a study file's ``path``.
DATABASE_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(path: object) -> bool:
    """Whether a ``path`` of a study file is a PostgreSQL URL (not a file)."""
    return isinstance(path, str) and path.lower().startswith(DATABASE_SCHEMES)


def _database_url(value: str) -> str:
    if not is_database_url(value):
        raise ValueError("not a database URL")  # the union then tries a file path
    return value


#: A ``postgresql://user@host:port/database`` URL (the password comes from the environment).
DatabaseUrl = Annotated[str, AfterValidator(_database_url)]


def check_no_password(url: str) -> None:
    """Refuse a database URL that holds a password (study files are shared and versioned)."""
    parts = urlsplit(url)
    if parts.password is not None or "password" in parse_qs(parts.query):
        raise StudyConfigError(Message("postgis.url_password", host=parts.hostname or ""))


def connection_target(url: str) -> tuple[str, str, str]:
    """User, database and host of a URL for messages (libpq's defaults where not given)."""
    import getpass
    import os

    parts = urlsplit(url)
    user = parts.username or os.environ.get("PGUSER") or getpass.getuser()
    database = parts.path.lstrip("/") or os.environ.get("PGDATABASE") or user
    host = parts.hostname or os.environ.get("PGHOST") or "localhost"
    return user, database, host


@dataclass(frozen=True)
class DatabaseLayer:
    """A table or an SQL query in a PostGIS database: where a layer comes from.

    The password is never here: libpq takes it from ``PGPASSWORD``, ``PGPASSFILE`` or
    ``~/.pgpass``.
    """

    url: str
    table: str | None = None
    query: str | None = None

    @property
    def database(self) -> str:
        """``database`` on ``host`` for messages (no user, no password)."""
        _user, database, host = connection_target(self.url)
        return f"{database}@{host}"

    @property
    def name(self) -> str:
        """The table (or ``SQL``) and its database, for messages and the report."""
        return f"{self.table or 'SQL'} ({self.database})"


class DatabaseKeys(BaseModel):
    """``table`` or ``query`` of a section whose ``path`` is a ``postgresql://`` URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str | None = Field(
        default=None, description="PostGIS: table or view, optionally 'schema.table'"
    )
    query: str | None = Field(default=None, description="PostGIS: an SQL query (SELECT ...)")

    @field_validator("path", mode="before", check_fields=False)
    @classmethod
    def _no_password(cls, path: object) -> object:
        if is_database_url(path):
            check_no_password(str(path))
        return path

    @model_validator(mode="after")
    def _table_or_query(self) -> DatabaseKeys:
        database = is_database_url(getattr(self, "path", None))
        given = (self.table is not None) + (self.query is not None)
        if (database and given != 1) or (not database and given):
            raise StudyConfigError(Message("postgis.table_or_query"))
        return self

    def source(self) -> Any:
        """The ``path`` as given, or a :class:`DatabaseLayer` for a database URL."""
        path = getattr(self, "path", None)
        if is_database_url(path):
            return DatabaseLayer(str(path), self.table, self.query)
        return path

    def source_name(self) -> str:
        """The input's name for messages: the file name, or the table and its database."""
        source = self.source()
        return source.name if isinstance(source, DatabaseLayer) else Path(source).name
