"""Hash-set input formats: one module per format, each registered in `registry`."""
