"""Readers and sources: tables, vector layers, quarter keys, OSM, the open-data portal,
downloads and uploads.

One module per concern: ``tables`` (the one table reader; ``table_sources`` decodes and reads
cells, ``table_numbers`` parses numbers), ``layers`` and ``extent`` (vector layers and the
plausibility of their coordinates), ``keys`` and ``key_findings`` (matching table keys to
quarters), ``osm`` / ``osm_presets`` / ``osm_merge`` / ``osm_boundaries`` / ``osm_json``
(OpenStreetMap services, tag presets, same-place merging, boundaries, the JSON place list),
``portal`` (Transparenzportal tables), ``fetch`` / ``fetch_sources`` / ``download``
(``sqe-geo fetch``), ``upload`` (the app's uploads) and ``hashing``.
"""
