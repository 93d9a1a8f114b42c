"""Language: the number formatter (and the message catalogs of German and English)."""
