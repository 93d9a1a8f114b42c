"""The ``sqe-geo`` command.

Subcommands, each registered by one module of this package: ``run`` (compute and export),
``validate`` (data-quality report) and ``indicators`` (the catalog) in
:mod:`~sqe_geo.cli.analysis`; ``scenario`` (before and after) in
:mod:`~sqe_geo.cli.scenario`; ``catchment`` and ``locate`` in :mod:`~sqe_geo.cli.places`;
``surface`` (the accessibility surface) in :mod:`~sqe_geo.cli.surface`;
``project`` (population projection per quarter) in :mod:`~sqe_geo.cli.projection`;
``regions`` (planning areas that balance) in :mod:`~sqe_geo.cli.regions`;
``demo`` (rebuild the demo data) and ``fetch`` (download official sources) in
:mod:`~sqe_geo.cli.sources`; ``batch`` (many municipalities on Dask) in
:mod:`~sqe_geo.cli.batch`. User mistakes print one clear message without a traceback and
exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator

from sqe_geo._errors import SqeGeoError
from sqe_geo._version import __version__
from sqe_geo.cli import (
    analysis,
    batch,
    places,
    projection,
    regions,
    scenario,
    sources,
    surface,
)
from sqe_geo.cli.analysis import report_text
from sqe_geo.cli.common import Handler
from sqe_geo.i18n.messages import LANGUAGES, Language, as_language, text, use_language

__all__ = ["EXIT_USER_ERROR", "main", "report_text"]

EXIT_USER_ERROR = 2
#: Exit codes after Ctrl-C and SIGTERM (128 + signal number, as shells report them).
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

#: The modules that register subcommands, in the order of the help text.
_MODULES = (analysis, scenario, places, surface, regions, projection, sources, batch)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` cleans up (no ``.part`` files)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while a command runs (main thread only)."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave the handler alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _default_language() -> Language:
    """``$SQE_GEO_LANG`` when it names a catalog language, else German."""
    value = os.environ.get("SQE_GEO_LANG", "de")
    return as_language(value) if value in LANGUAGES else "de"


def _language(argv: list[str]) -> Language:
    """The language of the command: ``--lang`` (global or after ``run``) or the default."""
    scan = argparse.ArgumentParser(add_help=False)
    scan.add_argument("--lang", default=_default_language())
    known, _ = scan.parse_known_args(argv)
    return as_language(known.lang) if known.lang in LANGUAGES else _default_language()


def _build_parser(lang: Language) -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    parser = argparse.ArgumentParser(prog="sqe-geo", description=text("cli.description", lang))
    parser.add_argument("--version", action="version", version=f"sqe-geo {__version__}")
    parser.add_argument(
        "--lang", choices=list(LANGUAGES), default=lang, help=text("cli.help.lang", lang)
    )
    sub = parser.add_subparsers(dest="command", required=True)
    handlers: dict[str, Handler] = {}
    for module in _MODULES:
        handlers.update(module.register(sub, lang))
    return parser, handlers


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sqe-geo`` console script.

    Parameters
    ----------
    argv
        The arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        0 on success, 1 when ``validate`` found errors, 2 for a user error, 130/143 when
        interrupted.
    """
    argv = sys.argv[1:] if argv is None else argv
    language = _language(argv)
    parser, handlers = _build_parser(language)
    args = parser.parse_args(argv)
    # errors, the validate report and the XLSX labels come in the command's language
    with use_language(args.lang):
        return _run_command(handlers[args.command], args)


def _run_command(handler: Handler, args: argparse.Namespace) -> int:
    try:
        with _sigterm_raises():
            return handler(args)
    except SqeGeoError as exc:
        print(text("cli.error", message=str(exc)), file=sys.stderr)
        return EXIT_USER_ERROR
    except Terminated:
        print(text("cli.terminated"), file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print(text("cli.interrupted"), file=sys.stderr)
        return EXIT_INTERRUPTED
