"""Page scripts of the app (one per page; registered by sqe_geo.ui.app.main)."""
