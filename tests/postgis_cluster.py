"""A throw-away PostgreSQL + PostGIS server for the tests (Debian's packages).

:func:`start_cluster` runs ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin`` in a
temporary folder on a free port; as root (CI) it runs them as the ``postgres`` user, because
PostgreSQL refuses to run as root. The server asks a password over TCP (scram-sha-256), so
the tests can check a wrong password; the role ``planer`` (password ``geheim``) owns the
database ``sqe`` with the extension ``postgis``.

:func:`why_no_server` says why no server can be started here (the tests skip with it).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

USER = "planer"
PASSWORD = "geheim"
DATABASE = "sqe"


def _binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    found = [p for p in found if p.parts[-3].isdigit()]
    if not found:
        return None
    return max(found, key=lambda p: int(p.parts[-3])).parent


def why_no_server() -> str | None:
    """Why no test server can run here, or None when it can."""
    bin_dir = _binaries()
    if bin_dir is None:
        return (
            "no PostgreSQL server (initdb under /usr/lib/postgresql/*/bin): "
            "apt-get install postgresql postgis"
        )
    version = bin_dir.parent.name
    if not Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
        return f"PostgreSQL {version} has no PostGIS extension: apt-get install postgis"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' user to run the server"
    try:
        import geoalchemy2  # noqa: F401
        import psycopg  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} missing: pip install 'sqe-geo[postgis]'"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    """A running test server: its port and URLs (without password) for the tests."""

    port: int
    folder: Path

    def url(self, user: str = USER, database: str = DATABASE) -> str:
        """A study-file URL: no password."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def sqlalchemy_url(self) -> str:
        """The URL with the password, for the tests' own setup with SQLAlchemy."""
        return f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}"


def _run(command: list[str], *, as_postgres: bool) -> None:
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def start_cluster() -> Iterator[Cluster]:
    """Start a server in a temporary folder; stop it and remove the folder on leaving."""
    bin_dir = _binaries()
    assert bin_dir is not None
    as_postgres = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="sqe-pg-"))
    data = folder / "data"
    try:
        if as_postgres:
            shutil.chown(folder, "postgres", "postgres")
        superuser_pw = folder / "pw"
        superuser_pw.write_text(PASSWORD + "\n")
        if as_postgres:
            shutil.chown(superuser_pw, "postgres", "postgres")
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8"]
        initdb += ["--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256"]
        _run([*initdb, f"--pwfile={superuser_pw}"], as_postgres=as_postgres)
        port = _free_port()
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log")]
        _run([*pg_ctl, "-o", options, "-w", "start"], as_postgres=as_postgres)
        try:
            psql = [str(bin_dir / "psql"), "-h", str(folder), "-p", str(port), "-U", "postgres"]
            psql += ["-v", "ON_ERROR_STOP=1", "-q"]
            _run(
                [*psql, "-c", f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'"],
                as_postgres=as_postgres,
            )
            _run([*psql, "-c", f"CREATE DATABASE {DATABASE} OWNER {USER}"], as_postgres=as_postgres)
            _run([*psql, "-d", DATABASE, "-c", "CREATE EXTENSION postgis"], as_postgres=as_postgres)
            yield Cluster(port, folder)
        finally:
            _run([*pg_ctl, "-m", "fast", "-w", "stop"], as_postgres=as_postgres)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
