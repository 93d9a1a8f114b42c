"""Backtest of the population projection on the Karlsruhe Transparenzportal history (issue 11).

The portal files in ``../shared/karlsruhe/population`` give, per Stadtteil and year
2007–2021, the residents (``Wohnberechtigte``; in 2016 equal to the published ``Einwohner``) and
the child bands under 3, 3–5, 6–14 and 15–17. The projection runs on the bands 0–2, 3–5,
6–14, 15–17 and 18+ (= residents − children), without sex (the totals have none).

For every base year B in 2011–2020: net migration per Stadtteil and band from the history
B−4 … B (main variant: the mean yearly residual after survival, ageing and births), then a
projection to B+1 … min(B+5, 2021) (horizon h: 27 × (11 − h) Stadtteil-years, h ≤ 5); each
projected year is compared with the observed year per Stadtteil. Printed: the mean absolute
percentage error (MAPE, over Stadtteile and base years) per horizon for the total, the four
child bands and all children 0–17, for

* *model*: the cohort-component projection (main variant, shipped rates);
* *damped ½*: the model with half the observed net migration (``damping=0.5``,
  ``sqe-geo project --damping 0.5``; not the default);
* *no migration*: the same without migration (survival, ageing, births only);
* *constant*: the naive forecast "as in the base year";
* *raked*: the model raked every year to the observed city total (what an exact official
  municipal projection would give: an upper bound of what raking can add);

and the share of observed values inside the low–high range of the variants.

    python benchmarks/projection_backtest.py [--data ../shared/karlsruhe/population]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sqe_geo.io.portal import read_portal_bands, read_portal_csv
from sqe_geo.projection import (
    Migration,
    OfficialTotal,
    ProjectionModel,
    band_column,
    band_rates,
    load_rates,
    migration_from_history,
    parse_bands,
    project,
)
from sqe_geo.quality import QualityReport

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "karlsruhe" / "population"
CHILD_FILES = {
    "altersstruktur-der-bevolkerung-unter-3-jahrige-nach-geschlecht.csv": "0-2",
    "altersstruktur-der-bevolkerung-3-bis-unter-6-jahrige-nach-geschlecht.csv": "3-5",
    "altersstruktur-der-bevolkerung-6-bis-unter-15-jahrige-nach-geschlecht.csv": "6-14",
    "altersstruktur-der-bevolkerung-15-bis-unter-18-jahrige-nach-geschlecht.csv": "15-17",
}
TOTALS = "bevolkerung-wohnberechtigte-bevolkerung.csv"
BANDS = parse_bands([(0, 2), (3, 5), (6, 14), (15, 17), (18, None)])
BASE_YEARS = range(2011, 2021)
LAST_YEAR = 2021
HISTORY = 4  # years before the base year used for migration
HORIZON = 5


def read_history(data: Path, *, main_residence: bool) -> tuple[list[str], dict[int, np.ndarray]]:
    """Stadtteile and ``P[q, 1, b]`` per year from the portal files (via sqe_geo.io.portal).

    ``main_residence``: residents = Wohnberechtigte × Hauptwohnung (%) instead of all
    Wohnberechtigte (the share of second residences fell from 10–17 % to 2–3 % in 2016).
    """
    report = QualityReport()
    children = read_portal_bands(CHILD_FILES, directory=data, report=report)
    totals = read_portal_csv(data / TOTALS, report=report)
    if main_residence:
        totals["Wohnberechtigte"] = (
            totals["Wohnberechtigte"] * totals["Hauptwohnung (%)"] / 100
        ).round()
    table = children.merge(
        totals[["quarter_key", "year", "Wohnberechtigte"]], on=["quarter_key", "year"]
    )
    if len(report):
        print(f"data-quality findings: {len(report)}", file=sys.stderr)
    table["18+"] = table["Wohnberechtigte"] - table[list(CHILD_FILES.values())].sum(axis=1)
    quarters = sorted(table["quarter_key"].unique())
    history = {}
    for year, rows in table.groupby("year"):
        values = rows.set_index("quarter_key").loc[quarters, [*CHILD_FILES.values(), "18+"]]
        history[int(year)] = values.to_numpy(dtype=float)[:, None, :]
    return quarters, history


def _errors(projected: np.ndarray, observed: np.ndarray) -> dict[str, np.ndarray]:
    """Absolute percentage errors per Stadtteil for the total, each child band, 0–17."""
    out = {"total": (projected.sum(1), observed.sum(1))}
    for i, band in enumerate(BANDS[:-1]):
        out[band.label] = (projected[:, i], observed[:, i])
    out["0-17"] = (projected[:, :-1].sum(1), observed[:, :-1].sum(1))
    return {k: np.abs(p - o) / o * 100 for k, (p, o) in out.items()}


def backtest(quarters: list[str], history: dict[int, np.ndarray]) -> pd.DataFrame:
    """One row per method, base year, horizon, Stadtteil and measure: the error in %."""
    rates = band_rates(load_rates(), BANDS, ("all",))
    rows = []
    columns = [band_column(b) for b in BANDS]
    for base in BASE_YEARS:
        past = {y: history[y] for y in range(base - HISTORY, base + 1)}
        migration = migration_from_history(past, rates, BANDS)
        closed = {"main": Migration.none(history[base].shape)}
        damped = migration_from_history(past, rates, BANDS, damping=0.5)
        target = min(base + HORIZON, LAST_YEAR)
        official = {y: OfficialTotal(float(history[y].sum())) for y in range(base + 1, target + 1)}
        runs = {
            "model": project(history[base], quarters, base,
                             model=ProjectionModel(rates, BANDS, migration), target_year=target),
            "damped ½": project(history[base], quarters, base,
                                model=ProjectionModel(rates, BANDS, damped), target_year=target,
                                variants=["main"]),
            "no migration": project(history[base], quarters, base,
                                    model=ProjectionModel(rates, BANDS, closed),
                                    target_year=target, variants=["main"]),
            "raked": project(history[base], quarters, base,
                             model=ProjectionModel(rates, BANDS, migration), target_year=target,
                             official=official, variants=["main"]),
        }  # fmt: skip
        for h in range(1, target - base + 1):
            year = base + h
            observed = history[year][:, 0, :]
            for method, table in runs.items():
                main = table[(table["variant"] == "main") & (table["year"] == year)]
                for measure, err in _errors(main[columns].to_numpy(), observed).items():
                    rows += [
                        (method, base, h, q, measure, e) for q, e in zip(quarters, err, strict=True)
                    ]
            for measure, err in _errors(history[base][:, 0, :], observed).items():
                rows += [
                    ("constant", base, h, q, measure, e) for q, e in zip(quarters, err, strict=True)
                ]
            model = runs["model"]
            low = model[(model["variant"] == "low") & (model["year"] == year)][columns]
            high = model[(model["variant"] == "high") & (model["year"] == year)][columns]
            lo, hi = low.to_numpy().sum(1), high.to_numpy().sum(1)
            inside = (observed.sum(1) >= np.minimum(lo, hi)) & (
                observed.sum(1) <= np.maximum(lo, hi)
            )
            share = 100.0 * inside
            rows += [
                ("inside", base, h, q, "total", v) for q, v in zip(quarters, share, strict=True)
            ]
    return pd.DataFrame(rows, columns=["method", "base", "horizon", "quarter", "measure", "ape"])


def main() -> None:
    """Run the backtest and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--main-residence", action="store_true", help="residents with main residence only"
    )
    args = parser.parse_args()
    quarters, history = read_history(args.data, main_residence=args.main_residence)
    errors = backtest(quarters, history)
    measures = ["total", "0-2", "3-5", "6-14", "15-17", "0-17"]
    print(
        f"# projection backtest — {len(quarters)} Stadtteile, base years "
        f"{BASE_YEARS[0]}–{BASE_YEARS[-1]}, migration from the {HISTORY} years before, "
        f"horizons 1–{HORIZON} (up to {LAST_YEAR}); residents = "
        f"{'Wohnberechtigte × Hauptwohnung %' if args.main_residence else 'Wohnberechtigte'}; "
        "MAPE in % (mean over Stadtteile × base years)\n"
    )
    print("| horizon | method | n | " + " | ".join(measures) + " |")
    print("|---|---|---|" + "---|" * len(measures))
    for h in range(1, HORIZON + 1):
        for method in ("model", "damped ½", "no migration", "constant", "raked"):
            sub = errors[(errors["horizon"] == h) & (errors["method"] == method)]
            mape = sub.groupby("measure")["ape"].mean()
            n = int((sub["measure"] == "total").sum())
            cells = " | ".join(f"{mape[m]:.1f}" for m in measures)
            print(f"| {h} | {method} | {n} | {cells} |")
    inside = errors[errors["method"] == "inside"].groupby("horizon")["ape"].mean()
    print("\nobserved total inside the low–high range of the variants (% of Stadtteil-years):")
    print("  " + ", ".join(f"horizon {h}: {v:.0f} %" for h, v in inside.items()))
    worst = errors[(errors["method"] == "model") & (errors["measure"] == "total")]
    worst = worst[worst["horizon"] == HORIZON].groupby("quarter")["ape"].mean().nlargest(3)
    print(f"largest total errors at horizon {HORIZON} (model, mean over base years): "
          + ", ".join(f"{q} {v:.1f} %" for q, v in worst.items()))  # fmt: skip


if __name__ == "__main__":
    main()
