"""Named options of the statistics, cheap to import (the command line offers them as choices)."""

#: How a reference raster is brought onto the map's grid.
RESAMPLING = ("nearest", "mode")
#: How a reference polygon is given a map class: at its centroid, or by majority of its pixels.
POLYGON_RULES = ("centroid", "majority")
