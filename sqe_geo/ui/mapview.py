"""Showing folium maps in the app fast: built once per selection, Leaflet served once.

``st_folium`` rebuilds and re-renders a folium map on every rerun and ships Leaflet as
the map's ``default_js`` (the vendored copy is a 200 KB data: URL) with every map. Here:

* the arguments that ``st_folium`` hands its frontend (script, header, links …) are
  computed once per map key with ``st.cache_resource`` and reused on every rerun;
* the vendored Leaflet is registered as the static folder of a (never drawn) component,
  so Streamlit serves ``leaflet.js``/``leaflet.css`` once as cacheable files next to the
  ``st_folium`` frame; the in-app map loads them by URL instead of as data: URLs. The
  downloadable HTML maps keep the embedded copy (they must work standalone).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

import folium
import streamlit as st
import streamlit.components.v1 as components
import streamlit_folium

from sqe_geo.outputs import maps

# Registers the Leaflet folder under /component/<this module>.sqe_leaflet/ (served with
# "Cache-Control: public"); st_folium's frame lives at /component/streamlit_folium.st_folium/
_LEAFLET_COMPONENT = components.declare_component("sqe_leaflet", path=str(maps.LEAFLET_DIR))
LEAFLET_URL = f"../{__name__}.sqe_leaflet/"
_COMPONENT = streamlit_folium._component_func
_CAPTURE_LOCK = threading.Lock()


def served_assets(fmap: folium.Map) -> folium.Map:
    """Point the map's Leaflet at the served copy (falls back to the embedded one)."""
    if (maps.LEAFLET_DIR / "leaflet.js").is_file():
        fmap.default_js = [("leaflet", LEAFLET_URL + "leaflet.js")]
        fmap.default_css = [("leaflet_css", LEAFLET_URL + "leaflet.css")]
    else:
        maps.use_local_assets(fmap)
    return fmap


def _capture(
    fmap: folium.Map,
    returned_objects: list[str] | None,
    feature_group: folium.FeatureGroup | None = None,
) -> dict[str, Any]:
    """The keyword arguments st_folium passes to its frontend for this map."""
    captured: dict[str, Any] = {}

    def keep(**kwargs: Any) -> None:
        captured.update(kwargs)

    with _CAPTURE_LOCK:
        original = streamlit_folium._component_func
        streamlit_folium._component_func = keep
        try:
            # render=False: st_folium renders the map itself once more anyway
            streamlit_folium.st_folium(
                fmap,
                height=560,
                use_container_width=True,
                returned_objects=returned_objects,
                render=False,
                feature_group_to_add=feature_group,
            )
        finally:
            streamlit_folium._component_func = original
    captured.pop("on_change", None)
    return captured


@st.cache_resource(show_spinner=False, max_entries=96)
def _frontend_args(
    cache_key: Hashable, _build: Callable[[], folium.Map], returned: tuple[str, ...] | None
) -> dict[str, Any]:
    fmap = served_assets(_build())
    return _capture(fmap, list(returned) if returned is not None else None)


def show_map(
    cache_key: Hashable,
    build: Callable[[], folium.Map],
    *,
    key: str,
    height: int = 560,
    returned_objects: list[str] | None = None,
    on_value: Callable[[dict[str, Any] | None], None] | None = None,
) -> dict[str, Any] | None:
    """Draw a folium map like ``st_folium`` does, built only once per ``cache_key``.

    Parameters
    ----------
    cache_key
        Everything the map depends on (study, indicator, year, language …); hashable.
    build
        Builds the folium map (called only when ``cache_key`` is new).
    key
        Widget key; the map's value (``returned_objects``) is also copied into
        ``st.session_state[key]`` before the next rerun.
    on_value
        Called with the new value when the map reports one (a click), before the rerun.
    """
    returned = tuple(returned_objects) if returned_objects is not None else None
    args = dict(_frontend_args(cache_key, build, returned))
    hash_key = f"{key}_{args.pop('key')[:16]}"
    args["height"] = height

    def copy() -> None:
        value = st.session_state.get(hash_key, {})
        st.session_state[key] = value
        if on_value is not None:
            on_value(value)

    value: dict[str, Any] | None = _COMPONENT(key=hash_key, on_change=copy, **args)
    return value


@st.cache_resource(show_spinner=False, max_entries=256)
def _layers_script(cache_key: Hashable, _build: Callable[[], folium.FeatureGroup]) -> str:
    """The JavaScript that adds a feature group to the frontend's map (``map_div``)."""
    carrier = folium.Map(tiles=None)  # only to name the map the group is added to
    script: str = _capture(carrier, [], feature_group=_build())["feature_group"]
    return script


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

    The base (``build_base``, once per ``base_key``) is loaded once into the frame; the
    layers (``build_layers``, once per ``layers_key``) are swapped in the existing map
    (st_folium's ``feature_group_to_add``), so a new indicator or year does not reload
    the frame, Leaflet and the service layers, and zoom and position stay.
    """
    returned = tuple(returned_objects) if returned_objects is not None else None
    args = dict(_frontend_args(base_key, build_base, returned))
    hash_key = f"{key}_{args.pop('key')[:16]}"
    args["height"] = height
    args["feature_group"] = _layers_script(layers_key, build_layers)

    def copy() -> None:
        value = st.session_state.get(hash_key, {})
        st.session_state[key] = value
        if on_value is not None:
            on_value(value)

    value: dict[str, Any] | None = _COMPONENT(key=hash_key, on_change=copy, **args)
    return value
