"""Per-file stages: each adds facts to a file record from its content."""
