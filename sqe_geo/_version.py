"""The installed version of sqe-geo (``0+unknown`` in a source tree without installation)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sqe-geo")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
