"""md5sum / sha1sum / sha256sum lists: layouts, encodings, malformed rows, chunk boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hashdb.conftest import digests
from triage.hashdb.collect import EntryCollector
from triage.hashdb.formats import registry, textio
from triage.hashdb.formats.registry import ImportOptions
from triage.hashdb.importing import collect
from triage.hashdb.setinfo import SetInfo


def run(path: Path, fmt: str) -> tuple[set[str], EntryCollector]:
    collector = EntryCollector(SetInfo("t"))
    registry.get(fmt).run(path, collector, ImportOptions())
    compiled = collector.compile()
    found = {bytes(row).hex() for e in compiled.values() for row in e.digests()}
    return found, collector


def sample_md5_text(h: list[str]) -> str:
    return (
        "# made by md5sum\n"
        f"{h[0]}  holiday 1.jpg\n"
        f"{h[1].upper()} *binary.jpg\r\n"
        f"{h[2]}\n"
        f"\\{h[3]}  back\\\\slash.jpg\n"
        "\n"
        "not-a-hash  x.jpg\n"
        f"MD5 (bsd.jpg) = {h[4]}\n"
        f"{h[0]}  again.jpg\n"
        f"{h[5]}0  one-digit-too-many\n"
        f"{h[6]}\ttabbed.jpg\n"
        f"{h[7]}"  # last line without a newline
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_md5sum_layouts_and_encodings(tmp_path: Path, encoding: str) -> None:
    h = digests("md5", 8)
    path = tmp_path / "list.md5"
    path.write_bytes(sample_md5_text(h).encode(encoding))
    found, collector = run(path, "md5sum")
    assert found == set(h) - {h[5]}
    stats = collector.stats
    assert (stats.accepted, stats.rejected, stats.duplicates) == (7, 2, 1)
    assert stats.problems == [
        f"{path}:7: not a hex MD5 digest (10 characters)",
        f"{path}:10: not a hex MD5 digest (33 characters)",
    ]


def test_lines_across_chunk_boundaries_keep_their_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textio, "CHUNK_BYTES", 50)
    h = digests("md5", 40)
    lines = [f"{d}  file{i}.jpg" for i, d in enumerate(h)]
    lines.insert(25, "garbage line")
    path = tmp_path / "big.md5"
    path.write_text("\n".join(lines) + "\n")
    found, collector = run(path, "md5sum")
    assert found == set(h)
    assert collector.stats.problems == [f"{path}:26: not a hex MD5 digest (7 characters)"]


def test_sha_lists_reject_other_algorithms(tmp_path: Path) -> None:
    s1, s256, m = digests("sha1", 2), digests("sha256", 2), digests("md5", 1)
    path = tmp_path / "l.sha256"
    path.write_text(f"{s256[0]}  a\n{m[0]}  b\n{s256[1]}\n")
    found, collector = run(path, "sha256sum")
    assert found == set(s256)
    assert collector.stats.problems == [f"{path}:2: a MD5 digest in a SHA256 list"]
    path = tmp_path / "l.sha1"
    path.write_text(f"{s1[0]} *a\n{s1[1]}\n")
    assert run(path, "sha1sum")[0] == set(s1)


@pytest.mark.parametrize(
    ("algorithm", "expected"), [("md5", "md5sum"), ("sha1", "sha1sum"), ("sha256", "sha256sum")]
)
def test_detection_by_content(tmp_path: Path, algorithm: str, expected: str) -> None:
    path = tmp_path / "list.txt"
    path.write_text("# header comment\n\n" + "\n".join(digests(algorithm, 3)) + "\n")
    assert registry.detect(path).name == expected


def test_nothing_accepted_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.md5"
    path.write_text("# only a comment\n")
    with pytest.raises(Exception, match="no hashes were accepted"):
        collect([path], SetInfo("t"), fmt="md5sum")
