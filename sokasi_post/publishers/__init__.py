"""Publishers: one module per platform; the names below are the platforms the tool knows."""

PLATFORMS = ("facebook", "instagram")
