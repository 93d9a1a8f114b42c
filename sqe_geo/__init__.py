"""sqe-geo: ageing and walking-accessibility indicators per quarter.

A small public API; everything else lives in the modules named in the README.

>>> import sqe_geo
>>> study = sqe_geo.load_study(sqe_geo.DEMO_STUDY)   # doctest: +SKIP
>>> results = sqe_geo.run(study)                      # doctest: +SKIP
>>> results.table("planning_area", year=2023)          # doctest: +SKIP
"""

from sqe_geo._errors import SqeGeoError
from sqe_geo._resources import DEMO_STUDY
from sqe_geo._version import __version__
from sqe_geo.config import StudyConfig, load_config
from sqe_geo.pipeline import Results, run
from sqe_geo.study import Study, load_study

__all__ = [
    "DEMO_STUDY",
    "Results",
    "SqeGeoError",
    "Study",
    "StudyConfig",
    "__version__",
    "load_config",
    "load_study",
    "run",
]
