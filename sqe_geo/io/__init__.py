"""Readers and sources: tables, vector layers, quarter keys, OSM, the open-data portal,
downloads and uploads."""
