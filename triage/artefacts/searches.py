"""Search words inside visited addresses: the query parameters of common search engines."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

# Host suffix -> query parameters that carry the words typed (the engines' own URL formats).
ENGINES: dict[str, tuple[str, ...]] = {
    "google.": ("q",), "bing.com": ("q",), "duckduckgo.com": ("q",), "yahoo.com": ("p",),
    "yandex.": ("text",), "ecosia.org": ("q",), "startpage.com": ("query", "q"),
    "baidu.com": ("wd",), "ask.com": ("q",), "search.brave.com": ("q",),
    "youtube.com": ("search_query",), "qwant.com": ("q",),
}


def host_of(url: str) -> str:
    """The host name of an address ('' when it has none or is not an address)."""
    try:
        return (urlsplit(url if "://" in url else f"http://{url}").hostname or "").lower()
    except ValueError:
        return ""


def search_terms(url: str) -> str | None:
    """The words searched for when `url` is a search engine's results page, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    for suffix, keys in ENGINES.items():
        if suffix in host:
            query = parse_qs(parts.query)
            for key in keys:
                if query.get(key):
                    return query[key][0]
    return None
