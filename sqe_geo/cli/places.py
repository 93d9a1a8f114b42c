"""``sqe-geo catchment`` and ``locate``: walking catchments and best new sites."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sqe_geo.cli.common import Handler, Subparsers, help_text, output_study, study_arg
from sqe_geo.i18n.messages import Language, text

if TYPE_CHECKING:
    import geopandas as gpd


def register(sub: Subparsers, lang: Language) -> dict[str, Handler]:
    """Register ``catchment`` and ``locate``; returns their handlers."""

    def h(key: str) -> str:
        return help_text(key, lang)

    catchment = sub.add_parser("catchment", help=h("catchment"))
    study_arg(catchment, lang)
    catchment.add_argument(
        "--at", type=float, nargs=2, required=True, metavar=("X", "Y"), help=h("at")
    )
    catchment.add_argument("--crs", default=None, help=h("at_crs"))
    catchment.add_argument(
        "--minutes", type=float, nargs="+", default=[5.0, 10.0, 15.0], help=h("minutes")
    )
    catchment.add_argument("--year", type=int, default=None, help=h("catchment_year"))
    catchment.add_argument("--out", type=Path, required=True, help=h("catchment_out"))

    locate = sub.add_parser("locate", help=h("locate"))
    study_arg(locate, lang)
    locate.add_argument("--category", required=True, help=h("locate_category"))
    locate.add_argument("--k", type=int, default=1, help=h("locate_k"))
    where = locate.add_mutually_exclusive_group()
    where.add_argument("--candidates", type=Path, default=None, help=h("locate_candidates"))
    where.add_argument("--in", dest="within", default=None, help=h("locate_in"))
    locate.add_argument(
        "--group", choices=["older", "oldest_old"], default="older", help=h("locate_group")
    )
    locate.add_argument("--year", type=int, default=None, help=h("catchment_year"))
    locate.add_argument(
        "--objective",
        choices=["coverage", "median"],
        default="coverage",
        help=h("locate_objective"),
    )
    places = locate.add_mutually_exclusive_group()
    places.add_argument("--capacity", type=float, default=None, help=h("locate_capacity"))
    places.add_argument("--capacity-column", default=None, help=h("locate_capacity_column"))
    locate.add_argument("--cutoff", type=float, default=None, help=h("locate_cutoff"))
    locate.add_argument("--out", type=Path, required=True, help=h("catchment_out"))
    return {"catchment": _cmd_catchment, "locate": _cmd_locate}


def _cmd_catchment(args: argparse.Namespace) -> int:
    from sqe_geo.catchments import COUNTED, count_text, study_catchments
    from sqe_geo.i18n.formatting import format_number
    from sqe_geo.outputs.layer_files import write_layer
    from sqe_geo.pipeline import run

    study = output_study(args)
    bands = study_catchments(
        run(study), tuple(args.at), minutes=args.minutes, crs=args.crs, year=args.year
    )
    for row in bands.itertuples():
        total, older, oldest_old = (count_text(getattr(row, f"residents_{c}")) for c in COUNTED)
        minutes = format_number(row.minutes, 0, args.lang)
        metres = format_number(row.distance_m, 0, args.lang)
        print(
            text(
                "cli.catchment_band",
                minutes=minutes,
                metres=metres,
                total=total,
                older=older,
                oldest_old=oldest_old,
            )
        )
    print(bands["note"].iloc[0])
    print("  " + text("cli.wrote", path=write_layer(bands, args.out, "einzugsbereiche")))
    return 0


def _cmd_locate(args: argparse.Namespace) -> int:
    import pandas as pd

    from sqe_geo.catchments import count_text
    from sqe_geo.i18n.formatting import format_number
    from sqe_geo.locate import LocationRequest, study_locations
    from sqe_geo.outputs.layer_files import write_layer
    from sqe_geo.pipeline import run

    study = output_study(args)
    request = LocationRequest(
        args.category,
        args.k,
        args.candidates,
        args.within,
        args.group,
        args.year,
        objective=args.objective,
        capacity=args.capacity,
        capacity_column=args.capacity_column,
        cutoff_m=args.cutoff,
    )
    sites = study_locations(run(study), request)
    print(_locate_summary(sites, args.lang))
    if sites.attrs["existing_without_capacity"]:
        print(text("cli.locate_unlimited", n=sites.attrs["existing_without_capacity"]))
    median = sites.attrs["objective"] == "median"
    for row in sites.itertuples():
        x, y = round(row.geometry.x), round(row.geometry.y)
        gain = count_text(row.gain)
        if median:
            # not given where the residents it serves are not (disclosure control)
            km = "–" if pd.isna(row.saved_km) else format_number(row.saved_km, 0, args.lang)
            line = text("cli.locate_site_median", rank=row.rank, gain=gain, km=km, x=x, y=y)
        else:
            line = text("cli.locate_site", rank=row.rank, gain=gain, x=x, y=y)
        print("  " + line)
    print("  " + text("cli.wrote", path=write_layer(sites, args.out, "standorte")))
    return 0


def _locate_summary(sites: gpd.GeoDataFrame, lang: Language) -> str:
    """The line on what the sites change (coverage, or the walking of the p-median)."""
    from sqe_geo.catchments import count_text
    from sqe_geo.i18n.formatting import format_number

    attrs = sites.attrs
    method = str(sites["method"].iloc[0]) if len(sites) else "-"
    gap = format_number(100 * float(sites["gap"].iloc[0]) if len(sites) else 0.0, 2, lang)
    if attrs["objective"] == "median":
        return text(
            "cli.locate_median",
            cutoff=format_number(attrs["cutoff_m"], 0, lang),
            before=format_number(attrs["mean_distance_before_m"], 0, lang),
            after=format_number(attrs["mean_distance_after_m"], 0, lang),
            beyond_before=count_text(attrs["beyond_before"]),
            beyond_after=count_text(attrs["beyond_after"]),
            method=method,
            gap=gap,
        )
    return text(
        "cli.locate_summary",
        before=count_text(attrs["covered_before"]),
        after=count_text(attrs["covered_after"]),
        method=method,
        gap=gap,
    )
