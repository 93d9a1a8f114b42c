"""Showing folium maps in the app with streamlit-folium's documented ``st_folium``.

A map is built on every rerun (a few hundredths of a second; ``st_folium`` renames the
elements of the map it is given, so a built map is not reused) and handed to ``st_folium``.
Leaflet comes from the vendored copy (:func:`sqe_geo.outputs.maps.use_local_assets`), so
the app works without a CDN. A map whose layers change (indicator, year) keeps its base in
the browser: the layers go through ``st_folium``'s ``feature_group_to_add``, which swaps
them in the existing map without reloading the frame, Leaflet and the service layers, so
zoom and position stay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from sqe_geo.outputs import maps


def _draw(
    fmap: folium.Map,
    *,
    key: str,
    height: int,
    returned_objects: list[str] | None,
    on_value: Callable[[dict[str, Any] | None], None] | None,
    layers: folium.FeatureGroup | None = None,
) -> dict[str, Any] | None:
    def changed() -> None:
        # st_folium has copied the map's value into st.session_state[key]
        if on_value is not None:
            on_value(st.session_state.get(key))

    maps.use_local_assets(fmap)
    value: dict[str, Any] | None = st_folium(
        fmap,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=returned_objects,
        feature_group_to_add=layers,
        on_change=changed,
    )
    return value


def show_map(
    build: Callable[[], folium.Map],
    *,
    key: str,
    height: int = 560,
    returned_objects: list[str] | None = None,
    on_value: Callable[[dict[str, Any] | None], None] | None = None,
) -> dict[str, Any] | None:
    """Draw a folium map with ``st_folium``.

    Parameters
    ----------
    build
        Builds the folium map.
    key
        Widget key; the map's value (``returned_objects``) is also in
        ``st.session_state[key]``.
    height
        Height of the map in pixels.
    returned_objects
        What the map reports back (``st_folium``'s parameter); ``[]`` for nothing.
    on_value
        Called with the new value when the map reports one (a click), before the rerun.

    Returns
    -------
    dict or None
        The map's value as ``st_folium`` returns it.
    """
    return _draw(
        build(), key=key, height=height, returned_objects=returned_objects, on_value=on_value
    )


def show_layered_map(
    build_base: Callable[[], folium.Map],
    build_layers: Callable[[], folium.FeatureGroup],
    *,
    key: str,
    height: int = 560,
    returned_objects: list[str] | None = None,
    on_value: Callable[[dict[str, Any] | None], None] | None = None,
) -> dict[str, Any] | None:
    """A map whose base stays in the browser while its layers change.

    Parameters
    ----------
    build_base
        Builds the base map (tiles, outlines, services).
    build_layers
        Builds the layers that change with the selection.
    key, height, returned_objects, on_value
        As for :func:`show_map`.

    Returns
    -------
    dict or None
        The map's value as ``st_folium`` returns it.
    """
    return _draw(
        build_base(),
        key=key,
        height=height,
        returned_objects=returned_objects,
        on_value=on_value,
        layers=build_layers(),
    )
