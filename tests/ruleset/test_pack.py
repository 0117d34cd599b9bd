"""The shipped pack in rules/: valid, tested, schema-conformant, and right on a household PC."""

import datetime as dt
import io
import json
import os
import random
import zipfile
from pathlib import Path

import jsonschema
import magic
import pytest
from PIL import Image

from triage.model import Address, FileRecord, PartitionRef, Severity
from triage.ruleset import RuleContext, check_rules, load_rules, run_examples
from triage.ruleset.conditions import LEAVES
from triage.ruleset.problems import ProblemSink
from triage.ruleset.vocabulary import (
    CONDITIONS,
    EVIDENCE,
    GROUP_BY,
    ORDER_WORDING,
    RULE_FIELDS,
    SEVERITIES,
)
from triage.ruleset.yamlnodes import load_documents

PACK = Path(__file__).resolve().parents[2] / "rules"
SCHEMA = json.loads((PACK / "schema.json").read_text())


def test_pack_has_no_problems_at_all() -> None:
    assert [str(p) for p in check_rules(PACK)] == []


def test_every_example_of_every_rule_passes() -> None:
    results = run_examples(load_rules(PACK).rules)
    assert [str(r) for r in results if not r.passed] == []
    assert len(results) > 150


def test_every_rule_has_examples_references_and_covers_the_issue() -> None:
    rules = load_rules(PACK).rules
    for rule in rules:
        assert rule.positive and rule.negative and rule.references, rule.id
    ids = {r.id for r in rules}
    wanted = {"tor-browser", "tor-browser-used", "vpn-clients", "vpn-used", "veracrypt",
              "veracrypt-used", "truecrypt", "axcrypt", "wiping-tool-used", "qbittorrent-used",
              "other-bittorrent-clients-used", "wsl-disk-image",
              "bitlocker-to-go-reader", "encrypted-container", "ccleaner", "eraser", "bleachbit",
              "sdelete", "history-cleaners", "qbittorrent", "utorrent", "bittorrent", "emule",
              "shareaza", "freenet", "gigatribe", "torrent-files", "dropbox", "onedrive-in-use",
              "google-drive", "mega", "icloud-drive", "vm-disk-images", "virtualbox", "vmware",
              "tails-image", "chromium-history", "firefox-history", "safari-history",
              "firefox-history-disabled", "telegram", "discord", "snapchat", "kik", "wickr",
              "session-messenger", "image-misleading-extension", "deleted-images",
              "hidden-folder-images", "renamed-images-in-folder", "encrypted-volume"}
    assert wanted <= ids


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def test_every_shipped_rule_validates_against_the_published_schema() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    count = 0
    for path in sorted(PACK.glob("*.yml")):
        for doc in load_documents(path.read_text(), ProblemSink(path)):
            errors = [e.message for e in validator.iter_errors(_plain(doc))]
            assert errors == [], (path, doc.get("id"))
            count += 1
    assert count == len(load_rules(PACK).rules)


@pytest.mark.parametrize("bad", [
    {"colour": "red"}, {"severity": "severe"}, {"condition": "no-fun"},
    {"match": {"pathh": "x"}}, {"match": {"size": {"maxi": 1}}}, {"count": {"group_by": "x"}},
    {"evidence": "maybe"}, {"evidence": "installed"}, {"order_wording": "two\nlines"},
])
def test_schema_rejects_what_the_checker_rejects(bad: dict) -> None:
    rule = {"id": "ok", "title": "t", "description": "d", "severity": "high",
            "condition": "no-p2p", "author": "a", "version": 1, "references": ["r"],
            "match": {"extension": "torrent"}}
    rule.update(bad)
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(rule))


def test_schema_word_lists_match_the_code_and_carry_descriptions() -> None:
    props = SCHEMA["properties"]
    for key, words in (("severity", SEVERITIES), ("condition", CONDITIONS),
                       ("evidence", EVIDENCE)):
        assert {o["const"]: o["description"] for o in props[key]["oneOf"]} == words
    group = props["count"]["properties"]["group_by"]["oneOf"]
    assert {o["const"]: o["description"] for o in group} == GROUP_BY
    assert set(props) == set(RULE_FIELDS)
    leaves = SCHEMA["$defs"]["match"]["properties"]
    assert set(leaves) == {"all", "any", "not", "same_device", *LEAVES}
    assert all(leaves[name]["description"] == spec.description for name, spec in LEAVES.items())


def test_readme_documents_every_condition_and_field() -> None:
    readme = (PACK / "README.md").read_text()
    for word in [*LEAVES, *RULE_FIELDS, *CONDITIONS, *EVIDENCE, "triage rules check",
                 "triage rules test"]:
        assert f"`{word}" in readme, word
    # The severity table in the README says what the code does (RULE_VERDICTS).
    for severity, words in SEVERITIES.items():
        assert f"| `{severity}` | {words} |" in readme, severity
    for condition, wording in ORDER_WORDING.items():
        assert wording in readme, condition


# Conditions about tools: each of their rules says whether it saw the tool installed or used,
# except the rules about a kind of file (a container, a .torrent, a disguised picture ...).
TOOL_CONDITIONS = {"no-anonymisation", "no-encryption", "no-deletion-tools", "no-p2p",
                   "no-cloud-storage", "no-contact-with-children"}
FILE_RULES = {"encrypted-container", "torrent-files", "encrypted-volume"}


def test_every_tool_rule_says_installed_or_used_and_presence_never_makes_red() -> None:
    rules = load_rules(PACK).rules
    for rule in rules:
        if rule.condition in TOOL_CONDITIONS and rule.id not in FILE_RULES:
            assert rule.evidence in EVIDENCE, rule.id
        if rule.evidence == "installed":
            assert rule.severity.rank <= Severity.MEDIUM.rank, rule.id
        assert rule.order_wording, rule.id
    used = {r.id for r in rules if r.evidence == "used"}
    installed = {r.id for r in rules if r.evidence == "installed"}
    assert len(used) >= 15 and len(installed) >= 15


# --- a household PC laid out as files, walked like the scan walks a file system ----------------

class FileContent:
    """Read-only access to a fixture file, as the evidence layer gives it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size

    def read(self, offset: int, length: int) -> bytes:
        with self.path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _random_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("data.bin", random.Random(3).randbytes(2 * 1048576))
    return out.getvalue()


CLEAN = {
    "Windows/System32/notepad.exe": b"MZ\x90\x00" + b"\x00" * 4000,
    "Windows/System32/drivers/etc/hosts": b"127.0.0.1 localhost\n",
    "Users/alex/Documents/letter.txt": b"Dear council, about the bins.\n" * 20,
    "Users/alex/Documents/backup.zip": _random_zip(),
    "Users/alex/Pictures/cat.jpg": _jpeg(),
    "Users/alex/Downloads/manual.pdf": b"%PDF-1.4\n" + b"0" * 5000,
    "Users/alex/AppData/Roaming/Microsoft/Windows/Recent/letter.lnk": b"L\x00\x00\x00" * 30,
    "Program Files/7-Zip/7z.exe": b"MZ" + b"\x01" * 3000,
}
SUSPECT = {
    "Users/alex/Desktop/Tor Browser/Browser/firefox.exe": b"MZ" + b"\x02" * 3000,
    "Program Files/VeraCrypt/VeraCrypt.exe": b"MZ" + b"\x03" * 3000,
    "Users/alex/Documents/archive2019": random.Random(7).randbytes(3 * 1048576),
    "Users/alex/AppData/Roaming/qBittorrent/qBittorrent.ini":
        b"[BitTorrent]\nSession\\DefaultSavePath=C:\\Users\\alex\\Downloads\n",
    "Users/alex/Downloads/film.torrent": b"d8:announce35:udp://tracker.example:80/announce4:info"
                                         b"d4:name8:film.mkv6:lengthi1000eee",
    "Users/alex/VirtualBox VMs/Win7/Win7.vdi":
        b"<<< Oracle VM VirtualBox Disk Image >>>\n" + b"\x00" * 200_000,
    "Users/alex/AppData/Local/Google/Chrome/User Data/Default/History":
        b"SQLite format 3\x00" + b"\x00" * 8192,
}
EXPECTED = {
    ("tor-browser", "/Users/alex/Desktop/Tor Browser/Browser/firefox.exe"),
    ("veracrypt", "/Program Files/VeraCrypt/VeraCrypt.exe"),
    ("encrypted-container", "/Users/alex/Documents/archive2019"),
    ("qbittorrent-used", "/Users/alex/AppData/Roaming/qBittorrent/qBittorrent.ini"),
    ("torrent-files", "/Users/alex/Downloads/film.torrent"),
    ("vm-disk-images", "/Users/alex/VirtualBox VMs/Win7/Win7.vdi"),

    ("chromium-history", "/Users/alex/AppData/Local/Google/Chrome/User Data/Default/History"),
}


def _scan(root: Path, files: dict[str, bytes]) -> set[tuple[str, str]]:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    rules = load_rules(PACK)
    context = RuleContext(now=dt.datetime.now(dt.UTC))
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            content = FileContent(path)
            record = FileRecord(
                address=Address("household.img", PartitionRef(2, 1048576, "ntfs"),
                                "/" + path.relative_to(root).as_posix()),
                name=name, size=content.size, mtime=path.stat().st_mtime,
                mime=magic.from_buffer(content.read(0, 8192), mime=True), ext_mismatch=False)
            found.extend(rules.match_file(record, content, context))
    found.extend(rules.finish())
    return {(f.rule, f.record.address.path if f.record else "") for f in found}


def test_household_pc_raises_exactly_the_expected_findings(tmp_path: Path) -> None:
    assert _scan(tmp_path, {**CLEAN, **SUSPECT}) == EXPECTED


def test_clean_household_pc_raises_nothing(tmp_path: Path) -> None:
    assert _scan(tmp_path, CLEAN) == set()
