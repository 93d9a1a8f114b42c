"""The Streamlit app of sqe-geo (the only package that imports streamlit).

The pages only arrange widgets; data shaping lives in :mod:`sqe_geo.maps`,
:mod:`sqe_geo.compare`, :mod:`sqe_geo.report_html`, :mod:`sqe_geo.upload` and
:mod:`sqe_geo.export`. ``app.py`` at the repository root calls :func:`sqe_geo.ui.app.main`.
"""
