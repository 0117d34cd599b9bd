"""recently-used.xbel written by GLib itself (GBookmarkFile, the code GTK's RecentManager uses),
called through ctypes: the stock Debian glib has no Python constructor for it."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

GLIB = ctypes.util.find_library("glib-2.0")


def write_xbel(path: Path, entries: list[dict]) -> Path:
    """Each entry: uri, mime, added, visited (POSIX seconds), apps [(name, exec, count, time)]."""
    if GLIB is None:
        raise RuntimeError("libglib-2.0 is not installed (apt-get install libglib2.0-0)")
    g = ctypes.CDLL(GLIB)
    g.g_bookmark_file_new.restype = ctypes.c_void_p
    g.g_bookmark_file_set_mime_type.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                                ctypes.c_char_p]
    for name in ("g_bookmark_file_set_added", "g_bookmark_file_set_visited",
                 "g_bookmark_file_set_modified"):
        getattr(g, name).argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_long]
    g.g_bookmark_file_set_app_info.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                               ctypes.c_char_p, ctypes.c_int, ctypes.c_long,
                                               ctypes.c_void_p]
    g.g_bookmark_file_to_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    g.g_bookmark_file_free.argtypes = [ctypes.c_void_p]
    bookmarks = g.g_bookmark_file_new()
    try:
        for entry in entries:
            uri = entry["uri"].encode()
            g.g_bookmark_file_set_mime_type(bookmarks, uri, entry["mime"].encode())
            for name, command, count, when in entry["apps"]:
                g.g_bookmark_file_set_app_info(bookmarks, uri, name.encode(), command.encode(),
                                               count, int(when), None)
            g.g_bookmark_file_set_added(bookmarks, uri, int(entry["added"]))
            g.g_bookmark_file_set_modified(bookmarks, uri, int(entry["added"]))
            g.g_bookmark_file_set_visited(bookmarks, uri, int(entry["visited"]))
        if not g.g_bookmark_file_to_file(bookmarks, str(path).encode(), None):
            raise RuntimeError(f"GLib could not write {path}")
    finally:
        g.g_bookmark_file_free(bookmarks)
    return path
