"""Terms match whole words, ignoring case and accents, in search words, titles and addresses."""

from __future__ import annotations

from tests.keywords.conftest import LINE, LIST_TEXT
from triage.keywords.terms import TermIndex, fold, readable


def _index() -> TermIndex:
    index, wordless = TermIndex.from_lines(LIST_TEXT.splitlines())
    assert index.count == 4 and wordless == [6]  # '!!!' can never match, and is said so
    return index


def test_fold_drops_case_and_accents() -> None:
    assert fold("ÉTÉ Straße") == "ete strasse"
    assert fold("ﬁle") == "file"  # compatibility forms (NFKD) too


def test_case_and_accent_insensitive_whole_words_with_their_line_numbers() -> None:
    index = _index()
    assert index.lines_in("HOLIDAY   Snaps from 2019") == {LINE["holiday snaps"]}
    assert index.lines_in("ete secret") == {LINE["été secret"]}
    assert index.lines_in("Été-secret!") == {LINE["été secret"]}
    assert index.lines_in("how to wipe a laptop; blue whale") == {LINE["wipe"],
                                                                   LINE["blue whale"]}
    assert index.lines_in("wiped holidays snapshots bluewhale") == set()  # not inside words
    assert index.lines_in("holiday") == set()  # a two-word term needs both words, in order
    assert index.lines_in("snaps holiday") == set()


def test_addresses_are_decoded_before_matching() -> None:
    index = _index()
    url = "https://www.google.com/search?q=%C3%A9t%C3%A9+secret&hl=en"
    assert index.lines_in(readable(url, is_url=True)) == {LINE["été secret"]}
    assert index.lines_in("https://example.org/blue_whale/") == {LINE["blue whale"]}
    assert index.lines_in(readable("https://example.org/wipe%2Ddisk", is_url=True)) == {
        LINE["wipe"]}
