"""Page script "szenarien" (registered by sqe_geo.ui.app.main)."""

from sqe_geo.ui.app import run_page

run_page("szenarien")
