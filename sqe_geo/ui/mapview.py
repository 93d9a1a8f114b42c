"""Showing folium maps in the app with streamlit-folium's documented ``st_folium``.

A map is built once per cache key (``st.cache_resource``) and handed to ``st_folium`` as a
copy on every rerun (``st_folium`` renames the elements of the map it is given). Leaflet
comes from the vendored copy (:func:`sqe_geo.outputs.maps.use_local_assets`), so the app
works without a CDN. A map whose layers change (indicator, year) keeps its base in the
browser: the layers go through ``st_folium``'s ``feature_group_to_add``, which swaps them
in the existing map without reloading the frame, Leaflet and the service layers, so zoom
and position stay.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from typing import Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from sqe_geo.outputs import maps


@st.cache_resource(show_spinner=False, max_entries=96)
def _cached_map(cache_key: Hashable, _build: Callable[[], folium.Map]) -> folium.Map:
    fmap = _build()
    maps.use_local_assets(fmap)
    return fmap


@st.cache_resource(show_spinner=False, max_entries=256)
def _cached_layers(
    cache_key: Hashable, _build: Callable[[], folium.FeatureGroup]
) -> folium.FeatureGroup:
    return _build()


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

    # copies: st_folium renames the elements of the objects it renders
    value: dict[str, Any] | None = st_folium(
        copy.deepcopy(fmap),
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=returned_objects,
        feature_group_to_add=copy.deepcopy(layers) if layers is not None else None,
        on_change=changed,
    )
    return value


def show_map(
    cache_key: Hashable,
    build: Callable[[], folium.Map],
    *,
    key: str,
    height: int = 560,
    returned_objects: list[str] | None = None,
    on_value: Callable[[dict[str, Any] | None], None] | None = None,
) -> dict[str, Any] | None:
    """Draw a folium map with ``st_folium``, built only once per ``cache_key``.

    Parameters
    ----------
    cache_key
        Everything the map depends on (study, indicator, year, language …); hashable.
    build
        Builds the folium map (called only when ``cache_key`` is new).
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
    fmap = _cached_map(cache_key, build)
    return _draw(fmap, key=key, height=height, returned_objects=returned_objects, on_value=on_value)


def show_layered_map(
    base_key: Hashable,
    build_base: Callable[[], folium.Map],
    layers_key: Hashable,
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
    base_key, build_base
        Cache key and builder of the base map (tiles, outlines, services).
    layers_key, build_layers
        Cache key and builder of the layers that change with the selection.
    key, height, returned_objects, on_value
        As for :func:`show_map`.

    Returns
    -------
    dict or None
        The map's value as ``st_folium`` returns it.
    """
    fmap = _cached_map(base_key, build_base)
    layers = _cached_layers(layers_key, build_layers)
    return _draw(
        fmap,
        key=key,
        height=height,
        returned_objects=returned_objects,
        on_value=on_value,
        layers=layers,
    )
