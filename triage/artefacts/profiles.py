"""Which user a file belongs to, from where it lies (Windows, macOS and Linux home folders)."""

from __future__ import annotations

import re

_HOME = re.compile(r"^(?:/[^/]+)?/(?:users|home|documents and settings)/([^/]+)/",
                   re.IGNORECASE)
_ROOT = re.compile(r"^/root/", re.IGNORECASE)


def profile_of(path: str) -> str | None:
    """'alex' for '/Users/alex/...', '/home/alex/...' or '/@home/alex/...'; 'root' for /root."""
    found = _HOME.match(path)
    if found:
        return found.group(1)
    return "root" if _ROOT.match(path) else None
