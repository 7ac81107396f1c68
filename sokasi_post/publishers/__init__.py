"""Publishers: one module per platform, each the only home of that platform's library."""
