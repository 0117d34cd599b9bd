"""Signed lists: added and used; unsigned, untrusted or tampered ones refused with the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.keywords.conftest import LINE, LIST_TEXT
from triage import keys
from triage.cli import cli
from triage.errors import InvalidInputError
from triage.keywords.bundle import TERMS, add, list_path
from triage.keywords.library import KeywordLibrary


def test_a_signed_list_is_used_and_its_file_kept_byte_for_byte(hashsets: Path,
                                                                trusted_dir: Path) -> None:
    folder = list_path(hashsets, "lab-terms")
    assert (folder / TERMS).read_text("utf-8") == LIST_TEXT
    library = KeywordLibrary.load(hashsets, trusted_dir)
    assert library.refused == [] and [kl.name for kl in library.lists] == ["lab-terms"]
    (record,) = library.provenance
    assert record["kind"] == "keyword list" and record["trusted"] and record["count"] == 4
    assert record["version"] == "3"
    hits = library.hits({"kind": "browser-visit", "fields": {
        "url": "https://example.org/?q=WIPE", "title": "Blue Whale facts"}})
    assert sorted((h["line"], h["field"]) for h in hits) == [
        (LINE["wipe"], "url"), (LINE["blue whale"], "title")]
    assert all(set(h) == {"list", "version", "line", "field"} for h in hits)  # never the term


def test_an_unsigned_list_is_refused_naming_the_fix(hashsets: Path, trusted_dir: Path) -> None:
    (list_path(hashsets, "lab-terms") / "signature.json").unlink()
    library = KeywordLibrary.load(hashsets, trusted_dir)
    assert library.lists == []
    assert library.refused == [
        "keyword list 'lab-terms' was not used: it is not signed; sign it with a lab key "
        "(`triage keywords add LIST --name lab-terms --sign LAB.key --into HASHSETS`) and give "
        "that key's .pub in --trusted-keys"]


def test_a_tampered_list_is_refused(hashsets: Path, trusted_dir: Path) -> None:
    terms = list_path(hashsets, "lab-terms") / TERMS
    terms.write_text(LIST_TEXT.replace("wipe", "wipf"), "utf-8")  # same size, other bytes
    library = KeywordLibrary.load(hashsets, trusted_dir)
    assert library.lists == []
    assert library.refused[0].startswith("keyword list 'lab-terms' was not used: it was altered "
                                         "(file terms.txt does not match its manifest); copy "
                                         "it again from the lab")


def test_a_list_whose_manifest_was_edited_fails_its_signature(hashsets: Path,
                                                              trusted_dir: Path) -> None:
    manifest = list_path(hashsets, "lab-terms") / "manifest.json"
    data = json.loads(manifest.read_text())
    data["version"] = "4"
    manifest.write_text(json.dumps(data))
    (problem,) = KeywordLibrary.load(hashsets, trusted_dir).refused
    assert "it was altered (bad signature)" in problem


def test_a_list_signed_by_an_unknown_key_is_refused(tmp_path: Path, hashsets: Path,
                                                    trusted_dir: Path) -> None:
    stranger = keys.generate(tmp_path / "other", "stranger")
    source = tmp_path / "more.txt"
    source.write_text("blue whale\n", "utf-8")
    add(source, name="stranger", version="1", into=hashsets, signer=stranger)
    library = KeywordLibrary.load(hashsets, trusted_dir)
    assert [kl.name for kl in library.lists] == ["lab-terms"]
    assert library.refused == [
        f"keyword list 'stranger' was not used: it is signed by key {stranger.fingerprint}, "
        "which is not trusted; sign it with a lab key (`triage keywords add LIST --name "
        "stranger --sign LAB.key --into HASHSETS`) and give that key's .pub in --trusted-keys"]


def test_hash_set_loading_ignores_the_keywords_folder(hashsets: Path, trusted_dir: Path) -> None:
    from triage.hashdb.library import HashSetLibrary

    library = HashSetLibrary.load(hashsets, trusted_dir)
    assert library.provenance() == [] and library.trust_problems == []


def test_add_refuses_text_that_is_not_utf8_or_holds_no_term(tmp_path: Path,
                                                             lab_key: keys.SigningKey) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("été\n".encode("latin-1"))
    with pytest.raises(InvalidInputError, match="not UTF-8 text .*save it as UTF-8"):
        add(latin, name="x", version="1", into=tmp_path / "hs", signer=lab_key)
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n\n", "utf-8")
    with pytest.raises(InvalidInputError, match="holds no terms"):
        add(empty, name="x", version="1", into=tmp_path / "hs", signer=lab_key)
    assert not (tmp_path / "hs" / "keywords" / "x").exists()


def test_the_lab_commands(tmp_path: Path, trusted_dir: Path) -> None:
    source = tmp_path / "terms.txt"
    source.write_text(LIST_TEXT, "utf-8")
    runner = CliRunner()
    into = tmp_path / "hs"
    added = runner.invoke(cli, ["keywords", "add", str(source), "--name", "lab-terms",
                                "--sign", str(tmp_path / "keys" / "lab.key"), "--into",
                                str(into)])
    assert added.exit_code == 0, added.output
    assert "4 terms, signed by" in added.stdout
    assert f"{source}:6: holds no letters or digits" in added.stderr
    listed = runner.invoke(cli, ["keywords", "list", str(into), "--trusted", str(trusted_dir)])
    assert listed.exit_code == 0 and "lab-terms  1        4      " in listed.stdout
    assert "holiday" not in listed.output  # the commands never print the terms
    folder = into / "keywords" / "lab-terms"
    verified = runner.invoke(cli, ["keywords", "verify", str(folder), "--trusted",
                                   str(trusted_dir)])
    assert verified.exit_code == 0 and "intact, 4 terms" in verified.stdout
    (folder / TERMS).write_text("changed\n", "utf-8")
    broken = runner.invoke(cli, ["keywords", "list", str(into), "--trusted", str(trusted_dir)])
    assert isinstance(broken.exception, InvalidInputError)  # exit 4 through `triage`
    assert "NOT USED" in broken.stdout and "would not be used by a scan" in str(broken.exception)


def test_hashset_list_shows_keyword_lists_in_the_scans_words(hashsets: Path,
                                                             trusted_dir: Path) -> None:
    from triage.hashdb.listing import NOT_USABLE, TRUSTED, list_folder

    listing = list_folder(hashsets, trusted_dir)
    assert listing.rows[1][:4] == ("lab-terms", "3", "keyword list", "4")
    assert listing.rows[1][-1] == TRUSTED and listing.unusable == 0
    (list_path(hashsets, "lab-terms") / "signature.json").unlink()
    listing = list_folder(hashsets, trusted_dir)
    assert listing.rows[1][-1] == NOT_USABLE and listing.unusable == 1
    assert "keyword list 'lab-terms' was not used: it is not signed" in listing.problems[0]


def test_lines_noted_per_record_are_bounded() -> None:
    from triage.keywords.bundle import KeywordList
    from triage.keywords.library import MAX_LINES_PER_FIELD
    from triage.keywords.terms import TermIndex

    index, _ = TermIndex.from_lines(["common"] * 500 + ["rare words"])
    library = KeywordLibrary(lists=[KeywordList("generic", "1", index, {})])
    hits = library.hits({"fields": {"title": "a common page with rare words"}})
    assert len(hits) == MAX_LINES_PER_FIELD
    assert index.lines_in("rare words") == {501} and len(index.lines_in("common")) == 500


def test_matches_no_rule_reports_are_a_gap(hashsets: Path, trusted_dir: Path,
                                           tmp_path: Path) -> None:
    import datetime as dt

    from triage.ruleset import PACKAGED_RULES, RuleContext, load_rules
    from triage.stages.matching import Matchers

    record = {"kind": "browser-search", "time": None, "source": "d · /History",
              "profile": None, "fields": {"terms": "blue whale"}}
    shipped = Matchers(rules=load_rules(PACKAGED_RULES), rule_context=RuleContext(
        now=dt.datetime.now(dt.UTC)), keywords=KeywordLibrary.load(hashsets, trusted_dir))
    found = shipped.match_artefacts([dict(record)])
    assert [f.detail["keyword_lines"] for f in found if f.rule == "lab-keyword-match"] == [[7]]
    assert shipped.gaps == []
    own = tmp_path / "own-rules"
    own.mkdir()
    (own / "r.yml").write_text((PACKAGED_RULES / "artefacts.yml").read_text().split("\n---\n")[0],
                               "utf-8")  # the onion rule only: nothing reads keyword lists
    bare = Matchers(rules=load_rules(own), rule_context=shipped.rule_context,
                    keywords=KeywordLibrary.load(hashsets, trusted_dir))
    assert bare.match_artefacts([dict(record)]) == []
    assert bare.gaps == ["1 artefact record(s) hold terms of a lab keyword list, but no rule in "
                         "use reports keyword lists; scan with the shipped rules or add a rule "
                         "with `keywords: true` (rules/README.md)."]
