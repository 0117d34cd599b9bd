"""Developer tools used by the tests and by hand (not part of triage)."""
