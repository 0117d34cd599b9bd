"""Path globs: case-insensitive, `**` spans whole folders, and their dispatch anchors."""

import pytest

from triage.ruleset.globs import GlobError, compile_glob

CASES = [
    ("**/Tor Browser/**", "/users/a/desktop/tor browser/browser/firefox.exe", True),
    ("**/Tor Browser/**", "/tor browser", True),
    ("**/Tor Browser/**", "/users/a/tor browsers/x", False),
    ("*.torrent", "/a/b/film.torrent", True),
    ("*.torrent", "/film.torrent", True),
    ("*.torrent", "/a/film.torrent.txt", False),
    ("/Users/*/Dropbox/**", "/users/alex/dropbox/a/b.txt", True),
    ("/Users/*/Dropbox/**", "/users/alex/sub/dropbox/a.txt", False),
    ("/etc/tor/**", "/etc/tor/torrc", True),
    ("/etc/tor/**", "/etc/torsocks.conf", False),
    ("**/file?.txt", "/a/file1.txt", True),
    ("**/file?.txt", "/a/file12.txt", False),
    ("**/[ab]x", "/q/bx", True),
    ("**/[!ab]x", "/q/bx", False),
    ("**/.*/**/*", "/home/jo/.private/a.jpg", True),
    ("**/.*/**/*", "/home/jo/.bashrc", False),
    ("/a/*/c", "/a/b/x/c", False),
]


@pytest.mark.parametrize(("glob", "path", "expected"), CASES)
def test_glob_semantics(glob: str, path: str, expected: bool) -> None:
    compiled = compile_glob(glob)
    assert compiled.matches(path) is expected
    # the fast search form of a leading '**' agrees with the plain whole-path regex
    assert (compiled.regex.fullmatch(path) is not None) is expected


def test_globs_ignore_case_and_accept_backslashes() -> None:
    glob = compile_glob(r"**\AppData\Roaming\qBittorrent\**")
    assert glob.matches("/users/x/appdata/roaming/qbittorrent/qbittorrent.ini")
    assert glob.component == "qbittorrent"


def test_anchor_prefers_rare_literal_components_then_extension() -> None:
    assert compile_glob("/Users/*/AppData/Roaming/uTorrent/**").component == "utorrent"
    assert compile_glob("**/*.torrent").extension == "torrent"
    assert compile_glob("**/*.tar.gz").extension is None
    wild = compile_glob("**/tor-browser_*/**")
    assert wild.component is None and wild.extension is None
    assert wild.substring == "/tor-browser_"
    assert compile_glob("**/.*/**/*").substring == "/."
    assert compile_glob("**/*/x*y/**").substring == "/x"
    bare = compile_glob("**/*")
    assert (bare.component, bare.extension, bare.substring) == (None, None, None)


@pytest.mark.parametrize("bad", ["", "a/**b/c", "/a//b", "**/[abc"])
def test_bad_globs_raise_glob_error(bad: str) -> None:
    with pytest.raises(GlobError):
        compile_glob(bad)
