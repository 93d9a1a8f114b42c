"""Where the shipped data lives: the indicator catalog and the embedded demo.

In the repository they are the top-level folders ``indicators/`` and ``geodata/``, where
planners look for them; the wheel carries them as the data packages ``sqe_geo.catalog``
and ``sqe_geo.demo_data`` (``[tool.setuptools.package-dir]`` in ``pyproject.toml``).
:func:`data_folder` finds them either way, through the import system.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["DEMO_FOLDER", "DEMO_STUDY", "data_folder"]


def data_folder(package: str, source_folder: str) -> Path:
    """The folder of a shipped data package.

    Parameters
    ----------
    package
        The data package, e.g. ``"sqe_geo.catalog"``.
    source_folder
        Its folder in a source checkout that is not installed, e.g. ``"indicators"``.

    Returns
    -------
    pathlib.Path
        The installed package's folder (wheel or editable install), else the source
        checkout's folder. The caller checks that it holds what it needs.
    """
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / source_folder


#: The embedded demo study's folder (``geodata/`` in the repository).
DEMO_FOLDER = data_folder("sqe_geo.demo_data", "geodata")
#: The embedded demo study file.
DEMO_STUDY = DEMO_FOLDER / "demo.toml"
