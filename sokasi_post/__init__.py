"""sokasi-post: put the bamboo crafts of Tigawasa on a Facebook Page and Instagram."""
