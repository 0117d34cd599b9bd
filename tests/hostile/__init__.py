"""Hostile content through the real scan: bombs, broken pictures, sparse giants, evil names."""
