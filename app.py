"""sqe-geo planner app: ``streamlit run app.py`` (``SQE_STUDY`` may name a study file)."""

from sqe_geo.ui.app import main

main()
