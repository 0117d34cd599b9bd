"""diff between bundle versions, delta files, and update producing a new version."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.hashdb.conftest import digests
from triage.errors import InvalidInputError
from triage.hashdb import delta
from triage.hashdb.build import write_bundle
from triage.hashdb.bundle import Bundle
from triage.hashdb.cli import hashset
from triage.hashdb.collect import EntryCollector
from triage.hashdb.columns import COLUMNS, Column
from triage.hashdb.library import HashSetLibrary
from triage.hashdb.setinfo import SetInfo

H = digests("md5", 6, "d")
S = digests("sha1", 2, "d")


def bundle(path: Path, version: str, entries: list[tuple[str, str, str | None]]) -> Bundle:
    info = SetInfo("lab", version=version)
    sink = EntryCollector(info)
    for algorithm, hexdigest, category in entries:
        sink.add(algorithm, bytes.fromhex(hexdigest), category=category, reference=hexdigest[:6])
    write_bundle(
        path,
        info,
        sink.compile(),
        categories=sink.categories,
        references=sink.references,
        stats=sink.stats,
        inputs=[],
    )
    return Bundle.open(path)


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Bundle, Bundle]:
    old = bundle(
        tmp_path / "v1",
        "1",
        [("md5", H[0], "A"), ("md5", H[1], "B"), ("md5", H[2], "C"), ("sha1", S[0], None)],
    )
    new = bundle(
        tmp_path / "v2",
        "2",
        [("md5", H[0], "A"), ("md5", H[1], "C"), ("md5", H[3], "A"), ("sha1", S[1], None)],
    )
    return old, new


def test_diff_counts_added_removed_recategorised(versions: tuple[Bundle, Bundle]) -> None:
    result = delta.diff(*versions)
    assert result.added == {"md5": 1, "sha1": 1}
    assert result.removed == {"md5": 1, "sha1": 1}
    assert result.recategorised == {"md5": 1, "sha1": 0}
    assert {(c.action, c.hex, c.category) for c in result.changes} == {
        ("-", H[2], None),
        ("-", H[1], None),
        ("+", H[1], "C"),
        ("+", H[3], "A"),
        ("-", S[0], None),
        ("+", S[1], None),
    }


def test_applying_the_diff_to_old_gives_new(tmp_path: Path, versions) -> None:
    old, new = versions
    path = tmp_path / "v1-v2.delta"
    delta.write_delta(delta.diff(old, new), path)
    target, updated = delta.apply_update(old.path, [path], out=tmp_path / "v2b")
    assert updated.version == "2"  # "1" plus one
    assert updated.manifest["previous"] == {"version": "1", "digest": old.digest}
    again = delta.diff(new, updated)
    assert sum(again.added.values()) + sum(again.removed.values()) == 0
    assert sum(again.recategorised.values()) == 0
    row = int(updated.find("md5", np.frombuffer(bytes.fromhex(H[1]), np.uint8).reshape(1, -1))[0])
    assert updated.entry("md5", row).category == "C"
    row = int(updated.find("md5", np.frombuffer(bytes.fromhex(H[0]), np.uint8).reshape(1, -1))[0])
    assert updated.entry("md5", row).reference == H[0][:6]


def test_update_in_place_with_a_plain_export_adds_entries(tmp_path: Path, versions) -> None:
    old, _ = versions
    (tmp_path / "exports").mkdir()
    extra = tmp_path / "exports" / "more.md5"
    extra.write_text(f"{H[5]}  new.jpg\n")
    result = CliRunner().invoke(hashset, ["update", str(old.path), str(extra), "--version", "1.1"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("version 1.1 (md5 4, sha1 1)")
    lib = HashSetLibrary.load(old.path.parent)
    assert lib.lookup(md5=H[5])[0].set_version == "1.1"
    assert lib.lookup(md5=H[2])[0].category == "C"


def test_malformed_delta_line_names_file_and_line(tmp_path: Path, versions) -> None:
    old, _ = versions
    path = tmp_path / "bad.delta"
    path.write_text(f"{delta.DELTA_HEADER} name=lab from=1 to=2\n+\tmd5\t{H[4]}\n*\tmd5\tzz\n")
    with pytest.raises(InvalidInputError, match=f"{path}:3: not a delta line"):
        delta.apply_update(old.path, [path])
    assert Bundle.open(old.path).version == "1"


@pytest.mark.parametrize(("old", "new"), [("7", "8"), ("2026.3", "2026.4"), ("beta", "beta.1")])
def test_next_version(old: str, new: str) -> None:
    assert delta._next_version(old) == new


def test_update_keeps_other_stages_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(COLUMNS, "weight", Column("weight", "<u8", 0))
    info = SetInfo("w")
    sink = EntryCollector(info)
    for i, hexdigest in enumerate(H[:3]):
        sink.add("md5", bytes.fromhex(hexdigest), extra={"weight": 10 + i})
    write_bundle(
        tmp_path / "w",
        info,
        sink.compile(),
        categories=[],
        references=[],
        stats=sink.stats,
        inputs=[],
    )
    extra = tmp_path / "more.md5"
    extra.write_text(H[4] + "\n")
    _, updated = delta.apply_update(tmp_path / "w", [extra], out=tmp_path / "w2")
    rows = updated.find(
        "md5", np.frombuffer(bytes.fromhex("".join(H[:3] + [H[4]])), np.uint8).reshape(4, 16)
    )
    assert [updated.entry("md5", int(r)).extra["weight"] for r in rows] == [10, 11, 12, 0]


def _covering_bundle(path: Path) -> Bundle:
    """A set made from the files themselves: every MD5 came with its file's SHA-256."""
    info = SetInfo("lab", version="1")
    sink = EntryCollector(info)
    sha256 = digests("sha256", 3, "e")
    for number in range(3):
        sink.add_file({"md5": bytes.fromhex(H[number]), "sha256": bytes.fromhex(sha256[number])},
                      reference=f"file{number}")
    write_bundle(path, info, sink.compile(), categories=sink.categories,
                 references=sink.references, stats=sink.stats, inputs=[],
                 sha256_covers=sink.sha256_covers())
    return Bundle.open(path)


def _delta_file(path: Path, *lines: str) -> Path:
    path.write_text("\n".join([delta.DELTA_HEADER, *lines]) + "\n")
    return path


def test_an_update_keeps_what_sha256_covers_unless_it_adds_lone_digests(tmp_path: Path) -> None:
    old = _covering_bundle(tmp_path / "v1")
    assert old.needed_algorithms == {"sha256"}
    removal = _delta_file(tmp_path / "minus.delta", f"-\tmd5\t{H[0]}\t\tfile0")
    _, kept = delta.apply_update(old.path, [removal], out=tmp_path / "v2")
    assert len(kept) == 5
    assert kept.manifest["sha256_covers"] == ["md5"]
    assert kept.needed_algorithms == {"sha256"}  # scans still skip MD5
    # A delta's added MD5 has no SHA-256 known to come with it: scans must compute MD5 again.
    addition = _delta_file(tmp_path / "plus.delta", f"+\tmd5\t{H[5]}\t\tnew")
    _, grown = delta.apply_update(kept.path, [addition], out=tmp_path / "v3")
    assert grown.needed_algorithms == {"md5", "sha256"}
