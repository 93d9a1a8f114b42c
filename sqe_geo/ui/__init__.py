"""The Streamlit app of sqe-geo (the only package that imports streamlit).

The pages only arrange widgets; data shaping lives in :mod:`sqe_geo.outputs.maps`,
:mod:`sqe_geo.outputs.compare`, :mod:`sqe_geo.outputs.report_html`, :mod:`sqe_geo.io.upload` and
:mod:`sqe_geo.outputs.export`. ``app.py`` at the repository root calls :func:`sqe_geo.ui.app.main`.
"""

from sqe_geo._errors import missing_extra

try:  # the core install (pip install sqe-geo) has no Streamlit: sqe-geo[app] does
    import streamlit  # noqa: F401
except ImportError as exc:
    raise missing_extra(exc.name) from None
