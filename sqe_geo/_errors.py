"""Error types for user mistakes.

Every problem a user can fix (a missing file, a wrong column, a bad key in the study file)
raises a :class:`SqeGeoError` subclass whose message names the file, column or key and
says how to fix it. The CLI prints these without a traceback (exit code 2); the app shows
them with ``st.error``. Programming errors stay ordinary Python exceptions.
"""

from __future__ import annotations


class SqeGeoError(Exception):
    """Base class of all user-facing errors of sqe-geo."""


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
