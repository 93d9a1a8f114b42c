"""Indicators: the catalog, roll-up over levels, status of values, disclosure control."""
