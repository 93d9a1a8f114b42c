"""``sqe-geo surface``: the accessibility surface as a GeoTIFF or GeoPackage."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sqe_geo.cli.common import Handler, Subparsers, load, study_arg
from sqe_geo.i18n.messages import Language, text


def register(sub: Subparsers, lang: Language) -> dict[str, Handler]:
    """Register ``surface``; returns its handler."""
    surface = sub.add_parser("surface", help=text("cli.surface.help", lang))
    study_arg(surface, lang)
    surface.add_argument("--out", type=Path, required=True, help=text("cli.surface.help_out", lang))
    surface.add_argument(
        "--category", nargs="+", default=None, help=text("cli.surface.help_category", lang)
    )
    return {"surface": _cmd_surface}


def _cmd_surface(args: argparse.Namespace) -> int:
    from sqe_geo.i18n.formatting import format_number
    from sqe_geo.outputs.export import check_output_folder
    from sqe_geo.outputs.surface_files import check_surface_suffix, write_surface
    from sqe_geo.surface import study_surface

    study = load(args.study)
    check_surface_suffix(args.out)
    check_output_folder(Path(args.out).parent, study.config.input_paths())
    surface = study_surface(study, args.category)
    s = study.config.accessibility.surface
    decay = f"{s.decay}, {format_number(s.scale_min, 1, args.lang)} / {s.reach_min:g} min"
    size = format_number(float(surface.grid.transform.a), 0, args.lang)
    print(
        text(
            "cli.surface.grid",
            cells=format_number(len(surface.grid.cells), 0, args.lang),
            size=size,
            crs=surface.grid.crs.to_string(),
            method=surface.method,
            decay=decay,
            off=format_number(int(surface.values.iloc[:, 1].isna().sum()), 0, args.lang),
        )
    )
    services = study.config.services
    assert services is not None  # study_surface checked it
    for cat in surface.categories:
        minutes = surface.values[f"minutes_{cat}"].to_numpy(dtype=float)
        score = surface.values[f"score_{cat}"].to_numpy(dtype=float)
        within = float(np.mean(np.nan_to_num(minutes, nan=np.inf) <= s.reach_min)) * 100
        print(
            text(
                "cli.surface.line",
                category=services.categories[cat].label(args.lang),
                minutes=format_number(float(np.nanmedian(minutes)), 1, args.lang),
                share=format_number(within, 1, args.lang),
                reach=f"{s.reach_min:g}",
                score=format_number(float(np.nanmean(score)), 2, args.lang),
            )
        )
    print("  " + text("cli.wrote", path=write_surface(surface, args.out)))
    return 0
