"""What the subcommands of ``sqe-geo`` share: the study argument, loading, help texts."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqe_geo._resources import DEMO_STUDY
from sqe_geo.i18n.messages import Language, text

if TYPE_CHECKING:
    from sqe_geo.study import Study

#: A subcommand's handler: parsed arguments in, exit code out.
Handler = Callable[[argparse.Namespace], int]


class Subparsers(Protocol):
    """The ``add_parser`` of ``argparse``'s subparsers action (what commands register on)."""

    def add_parser(self, name: str, **kwargs: str) -> argparse.ArgumentParser: ...


def help_text(key: str, lang: Language) -> str:
    """The help text ``cli.help.<key>`` in the command's language."""
    return text(f"cli.help.{key}", lang)


def study_arg(parser: argparse.ArgumentParser, lang: Language) -> None:
    """The optional positional study file (the demo when left out).

    Parameters
    ----------
    parser
        A subcommand's parser.
    lang
        Language of the help text.
    """
    parser.add_argument(
        "study", nargs="?", type=Path, default=None, help=text("cli.help.study", lang)
    )


def load(study: Path | None) -> Study:
    """Load the study of a command (the demo when none is given).

    Parameters
    ----------
    study
        The study file, or None.

    Returns
    -------
    Study
        The loaded study.
    """
    from sqe_geo.study import load_study

    return load_study(study if study is not None else DEMO_STUDY)


def output_study(args: argparse.Namespace) -> Study:
    """The study of a command that writes one layer file (``args.out``).

    A wrong suffix or an output in an input folder fails before the computation.

    Parameters
    ----------
    args
        Parsed arguments with ``study`` and ``out``.

    Returns
    -------
    Study
        The loaded study.
    """
    from sqe_geo.outputs.export import check_output_folder
    from sqe_geo.outputs.layer_files import check_suffix

    study = load(args.study)
    check_suffix(args.out)
    check_output_folder(Path(args.out).parent, study.config.input_paths())
    return study
