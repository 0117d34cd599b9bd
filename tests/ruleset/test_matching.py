"""Each condition, the dispatcher, aggregates and volume rules, through the public RuleSet."""

import datetime as dt
import hashlib
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ruleset.conftest import record, rule_text
from triage.model import Finding, Severity
from triage.ruleset import RuleContext, RuleSet, load_rules
from triage.ruleset.examples import BytesContent
from triage.ruleset.facts import FileFacts

PACK = Path(__file__).resolve().parents[2] / "rules"
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
CTX = RuleContext(now=NOW)
# Every rule finding carries the typical wording of its condition (test rules are no-p2p).
P2P_WORDING = "must not use peer-to-peer file-sharing software"
DAY = 86400.0


def one_rule(pack: Callable[..., Path], match: str, extra: str = "") -> RuleSet:
    """A RuleSet of one rule 'r1' with the given match body (YAML, indented under match:)."""
    return load_rules(pack({"r.yml": rule_text("r1", f"match:\n{match}\n{extra}")}))


def hits(rules: RuleSet, rec, content=None, ctx: RuleContext = CTX) -> list[str]:
    return [f.rule for f in rules.match_file(rec, content, ctx)]


class CountingContent(BytesContent):
    """Content that records every read, to prove reads stay bounded."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[tuple[int, int]] = []

    def read(self, offset: int, length: int) -> bytes:
        self.reads.append((offset, length))
        return super().read(offset, length)


class BrokenContent:
    size = 10_000

    def read(self, offset: int, length: int) -> bytes:
        raise OSError("read error at sector 77")


def test_finding_names_rule_condition_severity_and_record(pack) -> None:
    rules = one_rule(pack, "  path: '**/qBittorrent/**'")
    rec = record("/Users/a/AppData/Roaming/qBittorrent/qBittorrent.ini")
    (finding,) = rules.match_file(rec, None, CTX)
    assert finding == Finding(kind="rule", severity=Severity.HIGH, record=rec,
                              title="Test rule r1", rule="r1", condition="no-p2p",
                              detail={"version": "1", "order_wording": P2P_WORDING})
    assert hits(rules, record("/Users/a/qBittorrent.txt")) == []


@pytest.mark.parametrize(("match", "fields", "expected"), [
    ("  name: '^tor\\.exe$'", {"path": "/x/TOR.EXE"}, True),
    ("  name: '^tor\\.exe$'", {"path": "/x/tor.exe.lnk"}, False),
    ("  extension: [VDI, .vmdk]", {"path": "/x/disk.vmdk"}, True),
    ("  extension: [VDI, .vmdk]", {"path": "/x/vmdk"}, False),
    ("  mime: 'image/*'", {"path": "/x/a", "mime": "image/png"}, True),
    ("  mime: 'image/*'", {"path": "/x/a", "mime": "imagex/png"}, False),
    ("  mime: 'image/*'", {"path": "/x/a"}, False),
    ("  mime: text/plain", {"path": "/x/a", "mime": "text/plain"}, True),
    ("  ext_mismatch: true", {"path": "/x/a", "ext_mismatch": True}, True),
    ("  name: '^a$'\n  ext_mismatch: false", {"path": "/x/a"}, False),  # unknown is neither
    ("  name: '^a$'\n  ext_mismatch: false", {"path": "/x/a", "ext_mismatch": False}, True),
    ("  deleted: true", {"path": "/x/a", "deleted": True}, True),
    ("  deleted: true", {"path": "/x/a"}, False),
    ("  size: {min: 1 MiB}", {"path": "/x/a", "size": 1048576}, True),
    ("  size: {min: 1 MiB}", {"path": "/x/a", "size": 1048575}, False),
    ("  size: {min: 1 KB, max: 2KB}", {"path": "/x/a", "size": 2000}, True),
    ("  size: {min: 1 KB, max: 2KB}", {"path": "/x/a", "size": 2001}, False),
])
def test_file_fact_conditions(pack, match: str, fields: dict, expected: bool) -> None:
    rules = one_rule(pack, match)
    assert (hits(rules, record(**fields)) == ["r1"]) is expected


@pytest.mark.parametrize(("match", "times", "since", "expected"), [
    ("{within_days: 30}", {"mtime": NOW.timestamp() - 29 * DAY}, None, True),
    ("{within_days: 30}", {"mtime": NOW.timestamp() - 31 * DAY}, None, False),
    ("{within_days: 30}", {}, None, False),
    ("{after: 2025-01-01}", {"mtime": dt.datetime(2025, 1, 2, tzinfo=dt.UTC).timestamp()}, None,
     True),
    ("{before: '2025-01-01T00:00:00Z'}", {"mtime": dt.datetime(2025, 1, 2).timestamp()}, None,
     False),
    ("{field: created, after: 2025-01-01}", {"crtime": NOW.timestamp(), "mtime": 0.0}, None, True),
    ("{field: created, after: 2025-01-01}", {"crtime": 0.0, "mtime": NOW.timestamp()}, None, False),
    ("{since_scan: true}", {"mtime": NOW.timestamp() - DAY}, NOW - dt.timedelta(days=2), True),
    ("{since_scan: true}", {"mtime": NOW.timestamp() - 3 * DAY}, NOW - dt.timedelta(days=2), False),
    ("{since_scan: true}", {"mtime": NOW.timestamp()}, None, False),
])
def test_time_conditions(pack, match: str, times: dict, since, expected: bool) -> None:
    rules = one_rule(pack, f"  extension: jpg\n  time: {match}")
    ctx = RuleContext(since=since, now=NOW)
    assert (hits(rules, record("/p/a.jpg", **times), ctx=ctx) == ["r1"]) is expected


def test_context_change_is_picked_up(pack) -> None:
    rules = one_rule(pack, "  extension: jpg\n  time: {within_days: 1}")
    rec = record("/p/a.jpg", mtime=NOW.timestamp())
    assert hits(rules, rec, ctx=RuleContext(now=NOW)) == ["r1"]
    assert hits(rules, rec, ctx=RuleContext(now=NOW + dt.timedelta(days=3))) == []


@pytest.mark.parametrize(("match", "facts", "expected"), [
    ("  hashset: true", {"hashset_hits": [{"set": "demo", "category": "A", "known_good": False}]},
     True),
    ("  hashset: true", {}, False),
    ("  hashset: {category: [A, B]}", {"hashset_hits": [{"set": "d", "category": "C"}]}, False),
    ("  hashset: {set: demo, known_good: false}",
     {"hashset_hits": [{"set": "demo", "known_good": True}]}, False),
    ("  hashset: {set: demo, known_good: false}",
     {"hashset_hits": [{"set": "nsrl", "known_good": True}, {"set": "demo", "known_good": False}]},
     True),
    ("  perceptual: {max_distance: 10}", {"perceptual_hits": [{"set": "s", "distance": 12}]},
     False),
    ("  perceptual: {max_distance: 10}", {"perceptual_hits": [{"set": "s", "distance": 8}]}, True),
    ("  perceptual: {category: A}", {"perceptual_hits": ["garbage"]}, False),
    ("  hashset: true", {"hashset_hits": 7}, False),
])
def test_hit_conditions(pack, match: str, facts: dict, expected: bool) -> None:
    rules = one_rule(pack, match)
    rec = record("/p/a.jpg")
    rec.facts.update(facts)
    assert (hits(rules, rec) == ["r1"]) is expected


def test_content_keywords_utf8_utf16_and_case(pack) -> None:
    rules = one_rule(pack, "  extension: ini\n  content: {keywords: [SavePath, 'magnet:']}")
    rec = record("/c/a.ini")
    assert hits(rules, rec, BytesContent(b"[x]\nsavepath=C:\\dl\n")) == ["r1"]
    assert hits(rules, rec, BytesContent("x=MAGNET:?xt".encode("utf-16-le"))) == ["r1"]
    assert hits(rules, rec, BytesContent(b"nothing here")) == []
    assert hits(rules, rec, None) == []  # unreadable: the fact is unknown, not a match
    (finding,) = rules.match_file(rec, BytesContent(b"x SavePath=1"), CTX)
    assert finding.detail == {"version": "1", "order_wording": P2P_WORDING,
                              "content_match": "SavePath"}


def test_content_reads_only_the_bounded_prefix_once(pack) -> None:
    body = ("  extension: ini\n  any:\n    - content: {keywords: [late], within: 100}\n"
            "    - content: {regex: 'x{3}', within: 50}")
    rules = one_rule(pack, body)
    content = CountingContent(b"." * 200 + b"late xxx")
    assert hits(rules, record("/c/a.ini"), content) == []
    assert content.reads == [(0, 50), (0, 100)] or content.reads == [(0, 100)]
    assert rules.prefix_bytes == 100


def test_a_failing_read_loses_the_fact_not_the_scan(pack) -> None:
    rules = one_rule(pack, "  extension: ini\n  content: {keywords: [x]}")
    assert hits(rules, record("/c/a.ini"), BrokenContent()) == []


def test_entropy_and_known_header_find_random_containers(pack) -> None:
    body = ("  size: {min: 1 MiB}\n  known_header: false\n  entropy: {min: 7.99}")
    rules = one_rule(pack, body)
    noise = random.Random(1).randbytes(65536)
    big = {"size": 50 * 1048576}
    (finding,) = rules.match_file(record("/d/blob", **big), BytesContent(noise), CTX)
    assert finding.detail["entropy"] > 7.99
    assert hits(rules, record("/d/a.zip", **big), BytesContent(b"PK\x03\x04" + noise)) == []
    assert hits(rules, record("/d/a.mp4", mime="video/mp4", **big), BytesContent(noise)) == []
    assert hits(rules, record("/d/b", mime="application/octet-stream", **big),
                BytesContent(noise)) == ["r1"]
    text = (b"the quick brown fox " * 4000)[:65536]
    assert hits(rules, record("/d/log", **big), BytesContent(text)) == []
    assert hits(rules, record("/d/short", **big), BytesContent(noise[:1000])) == []


def test_known_header_reads_nothing_when_libmagic_knows_the_type(pack) -> None:
    rules = one_rule(pack, "  size: {min: 1 MiB}\n  known_header: false")
    content = CountingContent(b"\x00" * 100)
    assert hits(rules, record("/d/a.mp4", size=2**21, mime="video/mp4"), content) == []
    assert content.reads == []
    assert hits(rules, record("/d/b", size=2**21), CountingContent(b"%PDF-1.7")) == []
    assert hits(rules, record("/d/c", size=2**21), CountingContent(b"\x00\x00\x00\x18ftypisom")) \
        == []
    assert hits(rules, record("/d/d", size=2**21), CountingContent(b"\x13\x37" * 40)) == ["r1"]


def test_volume_rules_run_per_volume(pack) -> None:
    rules = one_rule(pack, "  volume: {status: not_examined, reason: 'bitlocker', fs: [ntfs]}")
    vol = {"source": "disk.img", "index": 3, "offset": 2048, "size": 9, "fs": "ntfs",
           "status": "not_examined", "reason": "encrypted (BitLocker)"}
    (finding,) = rules.match_volume(vol)
    assert finding.record is None and finding.rule == "r1"
    assert finding.detail["address"] == "disk.img · p3@2048 ntfs"
    assert rules.match_volume({**vol, "status": "examined"}) == []
    assert rules.match_volume({**vol, "fs": "fat32"}) == []
    assert rules.match_file(record("/x/bitlocker"), None, CTX) == []  # not a file rule


def test_count_rules_report_per_folder_at_finish(pack) -> None:
    extra = "count: {group_by: folder, min: 3}\n"
    rules = one_rule(pack, "  extension: jpg", extra)
    for n in range(7):
        assert rules.match_file(record(f"/u/hide/{n}.jpg"), None, CTX) == []
    for n in range(2):
        rules.match_file(record(f"/u/other/{n}.jpg"), None, CTX)
    (finding,) = rules.finish()
    assert finding.record is None and finding.title == "Test rule r1 (7 files)"
    assert finding.detail == {"version": "1", "order_wording": P2P_WORDING, "group_by": "folder",
                              "address": "disk.img · p1@1048576 ntfs · /u/hide", "count": 7,
                              "min": 3, "examples": [f"/u/hide/{n}.jpg" for n in range(5)]}
    assert rules.finish() == []  # tallies reset


def test_count_rules_by_volume(pack) -> None:
    rules = one_rule(pack, "  extension: jpg", "count: {group_by: volume, min: 3}\n")
    for folder in ("a", "b", "c"):
        rules.match_file(record(f"/{folder}/x.jpg"), None, CTX)
    (finding,) = rules.finish()
    assert finding.detail["address"] == "disk.img · p1@1048576 ntfs"
    assert finding.detail["count"] == 3


def test_provenance_lists_each_rule_with_its_file_digest(pack) -> None:
    folder = pack({"r.yml": rule_text("r1", "match: {extension: torrent}\n")})
    rules = load_rules(folder)
    digest = hashlib.sha256((folder / "r.yml").read_bytes()).hexdigest()
    assert rules.provenance() == [{"id": "r1", "version": "1", "file": "r.yml", "sha256": digest}]


def _paths() -> list[str]:
    """Paths from the shipped pack's examples, mutated, plus ordinary and random ones."""
    rng = random.Random(5)
    base = [ex.fields["path"].replace("{n}", "1") for rule in load_rules(PACK).rules
            for ex in (*rule.positive, *rule.negative)
            if ex.volume is None and ex.artefact is None]
    parts = [p for path in base for p in path.split("/") if p]
    out = list(base)
    for _ in range(1500):
        out.append("/" + "/".join(rng.choice(parts) for _ in range(rng.randint(1, 7))))
    return out


def test_dispatch_finds_exactly_what_evaluating_every_rule_finds() -> None:
    rules = load_rules(PACK)
    clock = CTX.clock()
    file_rules = [r for r in rules.rules if not r.is_volume and not r.is_artefact]
    rng = random.Random(9)
    for path in _paths():
        rec = record(path, mime=rng.choice([None, "image/jpeg", "text/plain"]),
                     deleted=rng.random() < 0.3, ext_mismatch=rng.random() < 0.3)
        brute = {r.id for r in file_rules
                 if r.group_by is None and r.match.test(FileFacts(rec, None, clock))}
        assert {f.rule for f in rules.match_file(rec, None, CTX)} == brute, path
    rules.finish()


def test_shipped_pack_reads_at_most_its_prefix(tmp_path: Path) -> None:
    rules = load_rules(PACK)
    assert rules.prefix_bytes == 1024 * 1024
    content = CountingContent(os.urandom(256))
    rules.match_file(record("/home/jo/.mozilla/firefox/p/prefs.js"), content, CTX)
    assert content.reads and all(length <= rules.prefix_bytes for _, length in content.reads)
