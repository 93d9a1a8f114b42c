#!/usr/bin/env python3
"""Check that the version floors in pyproject.toml are true (``make min-deps``).

Reads the ``>=`` floor of every core dependency and of the ``app``, ``batch`` and ``test``
extras that the tests need (linters and type checkers are left out), pins each to
``==floor`` in a constraints file, installs sqe-geo with exactly these versions into a fresh
venv in a temporary folder, checks that the installed versions are the floors, and runs the fast
tests there (no browser, no real data).

A floor that cannot be installed on this Python or fails the tests is false: raise it in
pyproject.toml.

    python3 tests/min_deps.py                 # the whole check; exit code 0 when it passes
    python3 tests/min_deps.py --print         # only print the constraints
    python3 tests/min_deps.py --keep-venv /tmp/floors -- -k app   # keep the venv, pick tests

Not a pytest file: it needs nothing but the standard library of Python >= 3.11.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The extras whose floors are checked, besides the core dependencies.
EXTRAS = ("app", "batch", "postgis", "regions", "test")
#: Test-extra tools the tests do not import (lint and type checking): not pinned, not installed.
NOT_FOR_TESTS = re.compile(r"^(ruff|mypy|types-.*|.*-stubs)$")
#: The fast tests: everything except the browser test and the tests on the real data.
#: numpy < 2.4 only warns (DeprecationWarning) where pyproj's one-point fast path hands it a
#: one-element array; numpy 2.4 raises and pyproj falls back to its array path. Harmless, so
#: ignored here rather than lifting numpy to 2.4.
FAST_TESTS = [
    "-m",
    "not browser and not realdata",
    "-x",
    "-q",
    "-p",
    "no:cacheprovider",
    "-W",
    "ignore:Conversion of an array with ndim > 0 to a scalar:DeprecationWarning",
]

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*)")


def normalize(name: str) -> str:
    """The PEP 503 form of a distribution name (``Streamlit_Folium`` → ``streamlit-folium``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def floors(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Name → ``>=`` floor of the dependencies that the tests need, in pyproject's order."""
    with pyproject.open("rb") as f:
        project = tomllib.load(f)["project"]
    own = normalize(project["name"])
    requirements = list(project["dependencies"])
    for extra in EXTRAS:
        requirements += project["optional-dependencies"][extra]
    found: dict[str, str] = {}
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if not match:
            raise SystemExit(f"pyproject.toml: cannot read the requirement {requirement!r}")
        name, _extras, specifiers = match.groups()
        name = normalize(name)
        if name == own or NOT_FOR_TESTS.match(name):
            continue
        floor = re.search(r">=\s*([^,\s]+)", specifiers)
        if floor is None:
            raise SystemExit(
                f"pyproject.toml: {requirement!r} has no '>=' floor; give it one "
                "(the lowest version that installs and passes the tests)"
            )
        if name in found and found[name] != floor.group(1):
            raise SystemExit(
                f"pyproject.toml: {name} has two floors, {found[name]} and {floor.group(1)}; "
                "keep one"
            )
        found[name] = floor.group(1)
    return found


def run(cmd: list[str], **kwargs: object) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def same_version(installed: str, floor: str) -> bool:
    """``1.26.0`` is the floor ``1.26``, ``5.0.0`` is ``5``."""

    def parts(v: str) -> list[str]:
        items = v.split(".")
        while len(items) > 1 and items[-1] == "0":
            items.pop()
        return items

    return parts(installed) == parts(floor)


def check(venv: Path, pytest_args: list[str]) -> int:
    pins = floors()
    started = time.monotonic()
    run([sys.executable, "-m", "venv", str(venv)])
    constraints = venv / "min-deps-constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()), encoding="utf-8")
    print(f"== {len(pins)} floors from pyproject.toml pinned in {constraints}", flush=True)
    python = str(venv / "bin" / "python")
    # Only wheels: a floor that has no wheel for this Python counts as not installable
    # (building numpy or rasterio from source is not what a user's pip does either).
    test_tools = [n for n in pins if n in {normalize(r) for r in _test_requirements()}]
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    extras = ",".join(e for e in EXTRAS if e != "test")  # the test extra's tools come by name
    run(
        [
            *pip,
            "--only-binary=:all:",
            "-c",
            str(constraints),
            "-e",
            f"{ROOT}[{extras}]",
            *test_tools,
        ],
        cwd=ROOT,
    )
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    installed = {normalize(p["name"]): p["version"] for p in json.loads(listed)}
    wrong = [
        f"{n}: floor {v}, installed {installed.get(n, 'nothing')}"
        for n, v in pins.items()
        if not same_version(installed.get(n, ""), v)
    ]
    if wrong:
        print("The installed versions are not the floors:\n  " + "\n  ".join(wrong))
        return 1
    print(f"== installed on the floors in {time.monotonic() - started:.0f} s", flush=True)

    started = time.monotonic()
    tests = subprocess.run([python, "-m", "pytest", *FAST_TESTS, *pytest_args], cwd=ROOT)
    took = time.monotonic() - started
    print(f"== fast tests on the floors: exit {tests.returncode} in {took:.0f} s")
    if tests.returncode != 0:
        print("A floor is false (or a test is broken): raise it in pyproject.toml.")
    return tests.returncode


def _test_requirements() -> list[str]:
    """Names of the test extra's requirements (without the project itself)."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        test = tomllib.load(f)["project"]["optional-dependencies"]["test"]
    return [m.group(1) for r in test if (m := _REQUIREMENT.match(r))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--print", action="store_true", help="only print the constraints")
    parser.add_argument("--keep-venv", type=Path, help="build the venv here and keep it")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args()
    if args.print:
        print("".join(f"{n}=={v}\n" for n, v in floors().items()), end="")
        return 0
    if args.keep_venv:
        if args.keep_venv.exists():
            raise SystemExit(f"{args.keep_venv} exists; name a new folder")
        args.keep_venv.parent.mkdir(parents=True, exist_ok=True)
        return check(args.keep_venv, args.pytest_args)
    folder = Path(tempfile.mkdtemp(prefix="sqe-min-deps-"))
    try:
        return check(folder / "venv", args.pytest_args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
