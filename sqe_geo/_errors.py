"""Error types for user mistakes.

Every problem a user can fix (a missing file, a wrong column, a bad key in the study file)
raises a :class:`SqeGeoError` subclass whose message names the file, column or key and
says how to fix it. The CLI prints these without a traceback (exit code 2); the app shows
them with ``st.error``. Programming errors stay ordinary Python exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqe_geo.i18n.messages import Message, text


class SqeGeoError(Exception):
    """Base class of all user-facing errors of sqe-geo.

    Parameters
    ----------
    message
        A :class:`~sqe_geo.i18n.messages.Message` of the catalog, rendered in the reader's
        language when the error is shown (``str(error)``).
    """

    def __init__(self, message: Message | str, /) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class StudyConfigError(SqeGeoError, ValueError):
    """The study file is missing, unreadable or has an invalid key or value."""


class InputDataError(SqeGeoError, ValueError):
    """An input file cannot be read or lacks a required column, CRS or value."""


class NetworkError(SqeGeoError, ValueError):
    """The walking network cannot be built or used (no edges, geographic CRS, ...)."""


class ExportError(SqeGeoError, OSError):
    """An output cannot be written (output folder is an input folder, disk full, ...)."""


class FetchError(SqeGeoError, OSError):
    """A download failed (offline, wrong address, size or hash mismatch)."""


#: How many names a message lists before it says "… and N more".
MAX_LISTED_NAMES = 20
#: Longest name shown in a message (a header line read as one name can be huge).
MAX_NAME_CHARS = 40


def listing(names: Iterable[object], *, limit: int = MAX_LISTED_NAMES) -> str:
    """Return names for a message: at most ``limit``, each shortened, never file content.

    >>> listing(["a", "b"] + [f"c{i}" for i in range(30)], limit=3)
    "'a', 'b', 'c0', … and 29 more"
    """
    items = [str(n) for n in names]
    shown = []
    for name in items[:limit]:
        if len(name) > MAX_NAME_CHARS:
            name = name[: MAX_NAME_CHARS - 1] + "…"
        shown.append(repr(name))
    more = len(items) - limit
    return ", ".join(shown) + (", " + text("common.and_more", n=more) if more > 0 else "")


class MissingDependencyError(SqeGeoError, ImportError):
    """An optional dependency is not installed (the message names the extra)."""


def missing_extra(module: str | None, extra: str = "app") -> MissingDependencyError:
    """The error for an optional dependency that the core install does not bring.

    Parameters
    ----------
    module
        The module that failed to import (``ImportError.name``).
    extra
        The extra that installs it.

    Returns
    -------
    MissingDependencyError
        To be raised by the caller, with a one-line message naming the extra.
    """
    name: Message | str = module or Message("study.errors.some_library")
    return MissingDependencyError(Message("study.errors.missing_extra", module=name, extra=extra))
