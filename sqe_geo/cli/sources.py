"""``sqe-geo demo`` and ``fetch``: build the demo, download official sources."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqe_geo._resources import DEMO_STUDY
from sqe_geo.cli.common import Handler, Subparsers, help_text
from sqe_geo.i18n.messages import Language, text


def register(sub: Subparsers, lang: Language) -> dict[str, Handler]:
    """Register ``demo`` and ``fetch``; returns their handlers."""
    demo = sub.add_parser("demo", help=help_text("demo", lang))
    demo.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=DEMO_STUDY.parent,
        help=help_text("demo_folder", lang),
    )
    demo.add_argument("--sources", type=Path, required=True, help=help_text("demo_sources", lang))
    fetch = sub.add_parser("fetch", help=help_text("fetch", lang))
    fetch.add_argument("source", help=help_text("source", lang))
    fetch.add_argument(
        "--cache", type=Path, default=Path("data-cache"), help=help_text("cache", lang)
    )
    return {"demo": _cmd_demo, "fetch": _cmd_fetch}


def _cmd_demo(args: argparse.Namespace) -> int:
    from sqe_geo.demo import build

    for path in build(args.sources, args.folder):
        print(text("cli.wrote", path=path))
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from sqe_geo.io.fetch import fetch

    for result in fetch(args.source, args.cache):
        size = f"{result.size:,}"
        print("  " + text("cli.fetched", status=f"{result.status:10}", path=result.path, size=size))
    return 0
