"""Known-indicator hash sets: import lab formats, compile signed bundles, look digests up."""
