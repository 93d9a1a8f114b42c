"""Walking accessibility: the network, nearest service per origin, coverage, floating catchments."""
