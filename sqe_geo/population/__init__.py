"""Residents: the age bands of demographic tables and residents per origin (grid cells,
address points, Zensus)."""
