"""Safari, recently-used.xbel and lab keyword lists through the real scan of a folder laid out
like a Mac and a Linux home: records listed with their source, the keyword finding names the
list and lines (never the terms), an altered list is named as not used, the evidence unchanged."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from tests.artefacts.test_safari import SCHEMA
from tests.artefacts.xbel_files import GLIB, write_xbel
from triage import keys
from triage.keywords.bundle import TERMS, add, list_path
from triage.options import ScanOptions
from triage.pipeline import run_scan
from triage.ruleset import PACKAGED_RULES

pytestmark = pytest.mark.skipif(GLIB is None, reason="libglib-2.0 is not installed")

SEARCHED = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
# Benign stand-ins for a lab's list; 'never seen phrase' must never reach the report.
TERMS_TEXT = "# test list\nnever seen phrase\ntor browser\n\nholiday snaps\n"


def _safari(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        mac = (SEARCHED - dt.datetime(2001, 1, 1, tzinfo=dt.UTC)).total_seconds()
        db.execute("INSERT INTO history_items VALUES (1, 'https://duckduckgo.com/?q=Tor+Browser"
                   "+download', NULL, 1, x'', NULL, NULL, 0, 1)")
        db.execute("INSERT INTO history_visits (history_item, visit_time, title) VALUES "
                   "(1, ?, 'Tor Browser download at DuckDuckGo')", (mac,))


def _tree_digest(tree: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(tree)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str, str]:
    work = tmp_path_factory.mktemp("linuxmac")
    tree = work / "evidence"
    _safari(tree / "Users/alex/Library/Safari/History.db")
    xbel = tree / "home/alex/.local/share/recently-used.xbel"
    xbel.parent.mkdir(parents=True)
    write_xbel(xbel, [{"uri": "file:///media/alex/KINGSTON/Holiday%20Snaps/1.jpg",
                       "mime": "image/jpeg", "added": SEARCHED.timestamp(),
                       "visited": SEARCHED.timestamp(),
                       "apps": [("Image Viewer", "eog %u", 2, SEARCHED.timestamp())]}])
    lab = keys.generate(work / "keys", "lab")
    trusted = work / "trusted"
    trusted.mkdir()
    (trusted / "lab.pub").write_bytes((work / "keys" / "lab.pub").read_bytes())
    source = work / "terms.txt"
    source.write_text(TERMS_TEXT, "utf-8")
    hashsets = work / "hashsets"
    add(source, name="lab-terms", version="5", into=hashsets, signer=lab)
    add(source, name="altered", version="1", into=hashsets, signer=lab)
    (list_path(hashsets, "altered") / TERMS).write_text(TERMS_TEXT + "x\n", "utf-8")
    before = _tree_digest(tree)
    out = work / "out"
    result = run_scan([str(tree)], out, ScanOptions(rules=PACKAGED_RULES, hashsets=hashsets,
                                                   trusted_keys=trusted))
    return out, result.report, before, _tree_digest(tree)


def _records(out: Path) -> list[dict]:
    with gzip.open(out / "artefacts.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_safari_and_recently_used_records_with_their_source(scanned) -> None:  # noqa: ANN001
    out, report, before, after = scanned
    records = _records(out)
    safari = [r for r in records if r["fields"].get("browser") == "Safari"]
    assert [r["kind"] for r in safari] == ["browser-visit", "browser-search"]
    assert safari[1]["fields"]["terms"] == "Tor Browser download"
    assert safari[0]["time"] == "2026-11-20T12:00:00Z" and safari[0]["profile"] == "alex"
    assert " · /Users/alex/Library/Safari/History.db · " in safari[0]["source"]
    (opened,) = [r for r in records if r["kind"] == "file-opened"]
    assert opened["fields"]["path"] == "/media/alex/KINGSTON/Holiday Snaps/1.jpg"
    assert opened["fields"]["programs"] == ["Image Viewer"]
    assert {f["extractor"] for f in report["artefacts"]["files"]} == {
        "safari-history", "recently-used-xbel"}
    assert before == after  # the evidence was read, never changed


def test_keyword_findings_name_the_list_and_lines_never_the_terms(scanned) -> None:  # noqa: ANN001
    out, report, _, _ = scanned
    found = [f for f in report["findings"] if f.get("rule") == "lab-keyword-match"]
    by_source = {f["address"].split(" · ")[2].rpartition("/")[2]: f for f in found}
    assert set(by_source) == {"History.db", "recently-used.xbel"}
    safari = by_source["History.db"]
    assert safari["detail"]["keyword_list"] == "lab-terms"
    assert safari["detail"]["keyword_lines"] == [3]  # 'tor browser' is line 3 of the file
    assert safari["detail"]["keyword_list_version"] == "5"
    assert safari["detail"]["count"] == 2  # the visit and the search
    assert by_source["recently-used.xbel"]["detail"]["keyword_lines"] == [5]
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file()
                          and p.suffix != ".gz")
    assert b"never seen phrase" not in everything.lower()


def test_an_altered_list_is_named_as_not_used(scanned) -> None:  # noqa: ANN001
    _, report, _, _ = scanned
    reasons = " ".join(report["verdict"]["reasons"])
    assert "keyword list 'altered' was not used: it was altered" in reasons
    assert report["verdict"]["level"] != "green"
    listed = {h["name"]: h for h in report["provenance"]["hashsets"]
              if h.get("kind") == "keyword list"}
    assert listed["lab-terms"]["trusted"] is True and listed["altered"]["problems"]
