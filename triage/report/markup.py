"""Escaped HTML pieces the report pages are built from: text, paths that wrap, digests, tables."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

# Characters a suspect can put in a file name to hide or reorder text: C0/C1 controls,
# bidirectional overrides (the "gpj.exe" trick), zero-width marks and lone surrogates.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def text(value: Any) -> str:
    """A value as safe HTML text: escaped, hidden characters shown as visible escapes."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    shown = _HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))
    return html.escape(shown, quote=True)


def wrap(html_text: str) -> str:
    """Let a long unbroken value (a path) wrap anywhere instead of widening the page."""
    return f'<span class="wrap">{html_text}</span>'


DIGEST_GROUP = 16  # hex digits between break opportunities: a SHA-256 wraps as 2 x 32 or 4 x 16


def digest(value: Any) -> str:
    """A hex digest in monospace that may wrap only between groups of 16 digits.

    <wbr> breaks without adding a character, so a copied digest stays one unbroken string.
    """
    if not isinstance(value, str) or not value:
        return text(value)
    shown = text(value)
    groups = [shown[i:i + DIGEST_GROUP] for i in range(0, len(shown), DIGEST_GROUP)]
    return f'<span class="digest">{"<wbr>".join(groups)}</span>'


def table(headers: list[str], rows: Iterable[list[Any]], empty: str) -> str:
    """A table of ready-made (escaped) cells under escaped headers; `empty` when no rows."""
    body = ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows]
    if not body:
        return f'<p class="none">{text(empty)}</p>'
    head = "".join(f"<th>{text(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def kv(pairs: list[tuple[str, Any]]) -> str:
    """A two-column table of names and values, both escaped."""
    rows = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>" for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'
