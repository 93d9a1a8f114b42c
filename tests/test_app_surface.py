"""Issue 10, part 4 in the app: the accessibility surface on the page "Karte"."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import rasterio
from test_app import downloaded, media, open_app  # noqa: F401  (media is a fixture)


def _surface_map(at) -> str:
    """The arguments of the one map component that holds an image overlay (the surface)."""
    (args,) = [
        c.proto.json_args
        for c in at.get("component_instance")
        if "imageOverlay" in c.proto.json_args
    ]
    return str(args)


def test_surface_layer_renders_with_legend_and_downloads(media: dict[str, bytes], tmp_path: Path):  # noqa: F811
    at = open_app("karte")
    at.toggle(key="surface_show").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="surface_category").options[0] == "Lebensmittel"
    assert any("17.329 Zellen" in c.value for c in at.caption)
    # the classed cells as one image over the base map, and the legend of the measure
    surface_map = _surface_map(at)
    assert "Lebensmittel: Gehzeit zur n" in surface_map
    at.selectbox(key="surface_category").set_value("pharmacy").run()
    at.radio(key="surface_measure").set_value("score").run()
    assert not at.exception
    assert "Apotheke: Erreichbarkeitswert (Gravitation)" in _surface_map(at)
    tif = tmp_path / "s.tif"
    tif.write_bytes(downloaded(at, "surface_download_tif", media))
    with rasterio.open(tif) as raster:
        assert "score_pharmacy" in raster.descriptions and raster.crs.to_epsg() == 25832
    gpkg = tmp_path / "s.gpkg"
    gpkg.write_bytes(downloaded(at, "surface_download_gpkg", media))
    assert len(gpd.read_file(gpkg)) == 17_329
