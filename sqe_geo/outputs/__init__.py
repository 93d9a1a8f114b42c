"""What leaves sqe-geo: exports, classification, folium and SVG maps, HTML reports, comparisons."""
