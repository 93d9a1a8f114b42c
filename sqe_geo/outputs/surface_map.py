"""A folium map of the accessibility surface: one category and measure, classed like the
choropleth.

The cells are classified with the choropleth's classifier and colours
(:func:`sqe_geo.outputs.classify.classify`: darker means more need, so long walks and low
scores are dark), warped to Web Mercator (nearest neighbour, no new values) and laid over
the base map as one image; cells without a value (off the network, beyond the cut-off) stay
transparent. Fisher-Jenks, quadratic in pure-Python mapclassify, classifies 500 quantiles
of the cell values instead of all of them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.warp
from pyproj import Transformer
from rasterio.transform import Affine

from sqe_geo._errors import missing_extra
from sqe_geo.i18n.messages import text
from sqe_geo.outputs.classify import OUTLINE_COLOR, Classification, classify
from sqe_geo.outputs.map_data import to_web
from sqe_geo.outputs.map_elements import Legend, MetricScale
from sqe_geo.outputs.map_legend import LegendMarks, legend_html
from sqe_geo.outputs.maps import use_local_assets
from sqe_geo.stats.indicators import Indicator
from sqe_geo.surface import Surface

try:  # the core install has no map libraries: sqe-geo[app] does
    import folium
except ImportError as exc:
    raise missing_extra(exc.name) from None

__all__ = ["DIRECTION", "surface_classes", "surface_indicator", "surface_map"]

#: Direction of each measure (decides the colours).
DIRECTION = {"minutes": "higher_is_worse", "score": "higher_is_better"}
_SAMPLE = 500
_NODATA = 255


def surface_classes(values: pd.Series, scheme: str, k: int, direction: str) -> Classification:
    """Classes of the cell values (Fisher-Jenks on 500 quantiles of many values).

    Parameters
    ----------
    values
        One value per cell; NaN gets no class.
    scheme, k
        As for the choropleth (:func:`~sqe_geo.outputs.classify.classify`).
    direction
        ``"higher_is_worse"`` or ``"higher_is_better"``.

    Returns
    -------
    Classification
    """
    valid = values.dropna()
    if scheme != "fisher_jenks" or len(valid) <= _SAMPLE:
        return classify(values, scheme, k, direction=direction)
    sample = pd.Series(np.quantile(valid.to_numpy(), np.linspace(0.0, 1.0, _SAMPLE)))
    fitted = classify(sample, scheme, k, direction=direction)
    position = np.searchsorted(np.asarray(fitted.bins), valid.to_numpy(), side="left")
    classes = pd.Series(pd.NA, index=values.index, dtype="Int64")
    classes[valid.index] = np.minimum(position, fitted.k - 1)
    fitted.classes = classes
    return fitted


def surface_indicator(measure: str, category_label: str, language: str) -> Indicator:
    """The legend's title, unit and decimals of one measure of a category.

    Parameters
    ----------
    measure
        ``"minutes"`` or ``"score"``.
    category_label
        The category's label in ``language``.
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    Indicator
    """
    label = text(f"outputs.surface.{measure}", language, category=category_label)
    unit = text(f"outputs.surface.{measure}_unit", language)
    return Indicator(
        id=f"{measure}_surface",
        kind="value",
        inputs={"value": measure},
        label_de=label,
        label_en=label,
        unit_de=unit,
        unit_en=unit,
        direction="higher_is_worse" if measure == "minutes" else "higher_is_better",
        decimals=1 if measure == "minutes" else 2,
    )


def _image(
    surface: Surface, classification: Classification
) -> tuple[np.ndarray, list[list[float]]]:
    """RGBA image of the classes in Web Mercator and its bounds (latitude, longitude)."""
    grid = surface.grid
    rows, cols = grid.shape
    classes = np.full((rows, cols), _NODATA, dtype="uint8")
    cls = classification.classes.to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(cls)
    classes[grid.cells["row"].to_numpy()[ok], grid.cells["col"].to_numpy()[ok]] = cls[ok]
    # the bounds and transforms by hand: rasterio's own helpers multiply Affines with `*`,
    # which affine 3.1 deprecates (a warning, an error under the tests' filter)
    t = grid.transform
    left, top = t.c, t.f
    right, bottom = left + cols * t.a, top + rows * t.e
    to_web_mercator = Transformer.from_crs(grid.crs, "EPSG:3857", always_xy=True)
    w, s, e, n = to_web_mercator.transform_bounds(left, bottom, right, top, densify_pts=21)
    res = max((e - w) / cols, (n - s) / rows)
    width, height = int(np.ceil((e - w) / res)), int(np.ceil((n - s) / res))
    dst_transform = Affine(res, 0.0, w, 0.0, -res, n)
    warped = np.full((height, width), _NODATA, dtype="uint8")
    rasterio.warp.reproject(
        classes, warped, src_transform=grid.transform, src_crs=grid.crs,
        dst_transform=dst_transform, dst_crs="EPSG:3857", src_nodata=_NODATA,
        dst_nodata=_NODATA, resampling=rasterio.warp.Resampling.nearest,
    )  # fmt: skip
    lut = np.zeros((256, 4), dtype="uint8")
    for k, color in enumerate(classification.colors):
        rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
        lut[k] = [*rgb, 255]
    to_lonlat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    east_m, south_m = w + width * res, n - height * res
    (west, east), (south, north) = to_lonlat.transform([w, east_m], [south_m, n])
    return lut[warped], [[south, west], [north, east]]


def surface_map(
    surface: Surface,
    category: str,
    measure: str,
    *,
    category_label: str,
    quarters: gpd.GeoDataFrame | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    language: str = "de",
) -> folium.Map:
    """The surface of one category and measure on a map with its legend.

    Parameters
    ----------
    surface
        The study's surface (:func:`sqe_geo.surface.study_surface`).
    category
        A category of the surface.
    measure
        ``"minutes"`` or ``"score"``.
    category_label
        The category's label in ``language``.
    quarters
        Quarter polygons drawn as outlines (none: no outlines).
    scheme, k
        Classification, as on the choropleth.
    language
        ``"de"`` or ``"en"``.

    Returns
    -------
    folium.Map
    """
    ind = surface_indicator(measure, category_label, language)
    values = surface.values[f"{measure}_{category}"]
    classification = surface_classes(values, scheme, k, ind.direction)
    image, bounds = _image(surface, classification)
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=False)
    use_local_assets(fmap)
    fmap.fit_bounds(bounds)
    folium.raster_layers.ImageOverlay(
        image, bounds=bounds, opacity=0.7, name=ind.label(language), interactive=False
    ).add_to(fmap)
    if quarters is not None:
        folium.GeoJson(
            to_web(quarters[["geometry"]]).to_json(),
            name=text("outputs.map.quarters", language),
            style_function=lambda _f: {"color": OUTLINE_COLOR, "weight": 0.8, "fill": False},
            interactive=False,
        ).add_to(fmap)
    body = legend_html(
        ind,
        classification,
        language,
        marks=LegendMarks(suppressed=False, missing=False, method=surface.method),
    )
    Legend(body).add_to(fmap)
    MetricScale().add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap
