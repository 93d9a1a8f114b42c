"""Check the built wheel as a city IT department would use it (run by ``make test``).

Installs nothing itself: ``make wheel-check`` builds the wheel, installs it (not editable)
into a fresh venv and runs this script with that venv's Python from an empty folder. The
script runs ``sqe-geo indicators`` and ``sqe-geo run --out DIR`` on the embedded demo and
fails (exit 1, one line saying why) unless the installed package carries its catalog and
its demo: every catalog entry listed, every expected indicator column in the tables. The
wheel is installed without extras: the core runs without Streamlit and folium, and the
maps answer with one line naming the extra ``sqe-geo[app]``.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

# The shipped catalog: 22 entries (10 ageing, 12 accessibility templates per category).
MIN_CATALOG_ENTRIES = 20
# The demo: ageing and accessibility indicators (7 service categories) in the exports.
MIN_INDICATOR_COLUMNS = 60  # the demo gives 70 (+ unit, name, area, year)


def _command() -> list[str]:
    return [str(Path(sys.executable).with_name("sqe-geo"))]


def main() -> int:
    import sqe_geo

    package = Path(sqe_geo.__file__).resolve().parent
    if "site-packages" not in package.parts:
        print(f"FAIL: sqe_geo is imported from {package}, not from an installed wheel")
        return 1
    try:
        import streamlit  # noqa: F401
    except ImportError:
        pass
    else:
        print("FAIL: streamlit is installed; the check needs the core install without extras")
        return 1
    try:
        import sqe_geo.outputs.maps
    except sqe_geo.SqeGeoError as exc:
        if "sqe-geo[app]" not in str(exc):
            print(f"FAIL: the message for missing map libraries names no extra: {exc}")
            return 1
    else:
        print("FAIL: sqe_geo.outputs.maps imported without folium")
        return 1
    listing = subprocess.run(
        [*_command(), "indicators"], capture_output=True, text=True, check=False
    )
    entries = [line for line in listing.stdout.splitlines() if line.strip()]
    if listing.returncode != 0 or len(entries) < MIN_CATALOG_ENTRIES:
        print(f"FAIL: sqe-geo indicators listed {len(entries)} entries: {listing.stderr[-300:]}")
        return 1
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        run = subprocess.run(
            [*_command(), "run", "--out", str(out)],
            capture_output=True,
            text=True,
            check=False,
            cwd=folder,
        )
        if run.returncode != 0:
            print(f"FAIL: sqe-geo run exited {run.returncode}: {run.stderr[-500:]}")
            return 1
        tables = sorted(out.rglob("*.csv"))
        technical = [p for p in tables if p.name == "quarters.csv"]
        if not technical:
            print(f"FAIL: no technical quarter table among {[p.name for p in tables]}")
            return 1
        with technical[0].open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle))
        columns = [c for c in header if not c.startswith("status_")]
        if len(columns) < MIN_INDICATOR_COLUMNS:
            print(f"FAIL: {technical[0].name} has only {len(columns)} columns")
            return 1
    print(
        f"wheel check (core install, no Streamlit): {len(entries)} catalog entries, "
        f"{len(columns)} columns in {technical[0].name}, from {package}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
