"""Nested archives, compressed streams, bomb limits and spilling large members."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
from pathlib import Path

from triage.containers import ContainerLimits, Member, expand
from triage.containers.limits import MAX_DEPTH

from . import builders as b
from .helpers import run, sha


def test_zip_in_zip_in_tar_gz_is_found_at_every_level() -> None:
    picture = b.jpeg()
    inner = b.zip_bytes({"holiday/a.jpg": picture})
    outer = b.zip_bytes({"inner.zip": inner, "readme.txt": b"hello"})
    rec, content = b.record("bundle.tar.gz", b.tar_gz_bytes({"outer.zip": outer}))
    members, problems = run(rec, content)
    assert problems == []
    assert [(m, sha(d)) for m, d, _ in members] == [
        ("outer.zip", sha(outer)), ("outer.zip!inner.zip", sha(inner)),
        ("outer.zip!inner.zip!holiday/a.jpg", sha(picture)), ("outer.zip!readme.txt",
                                                               sha(b"hello"))]
    assert members[2][2].address.full_path() == (
        "/Users/alex/bundle.tar.gz!outer.zip!inner.zip!holiday/a.jpg")
    assert members[2][2].mtime == b.MTIME


def test_tar_bz2_and_xz_and_plain_tar() -> None:
    picture = b.jpeg(4)
    for mode, name in (("w:bz2", "a.tar.bz2"), ("w:xz", "a.tar.xz"), ("w", "a.tar")):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode=mode) as archive:
            info = tarfile.TarInfo("pics/a.jpg")
            info.size, info.mtime = len(picture), b.MTIME
            archive.addfile(info, io.BytesIO(picture))
            archive.addfile(tarfile.TarInfo("pics/empty"))  # a regular, empty file
            folder, link = tarfile.TarInfo("pics/sub"), tarfile.TarInfo("pics/link")
            folder.type, link.type, link.linkname = tarfile.DIRTYPE, tarfile.SYMTYPE, "a.jpg"
            archive.addfile(folder)
            archive.addfile(link)  # folders and links hold no content of their own
        members, problems = run(*b.record(name, out.getvalue()))
        assert [(m, d) for m, d, _ in members] == [("pics/a.jpg", picture), ("pics/empty", b"")]
        assert problems == []


def test_single_compressed_files_keep_or_derive_the_inner_name() -> None:
    picture = b.jpeg(6)
    named = gzip.compress(picture, mtime=b.MTIME)  # no name stored: derived from 'a.jpg.gz'
    out = io.BytesIO()
    with gzip.GzipFile(filename="original.jpg", fileobj=out, mode="wb", mtime=b.MTIME) as gz:
        gz.write(picture)
    cases = [("a.jpg.gz", named, "a.jpg"), ("x.gz", out.getvalue(), "original.jpg"),
             ("a.jpg.bz2", bz2.compress(picture), "a.jpg"),
             ("a.jpg.xz", lzma.compress(picture), "a.jpg")]
    for name, data, inner in cases:
        members, problems = run(*b.record(name, data))
        assert [(m, d) for m, d, _ in members] == [(inner, picture)], name
        assert problems == []


def test_small_bz2_bomb_stops_at_the_ratio_limit() -> None:
    data = b.bz2_bomb(100)  # 8 KB that would expand to 4.7 GB
    assert len(data) < 10_000
    members, problems = run(*b.record("bomb.bz2", data))
    assert members == []
    assert [(p.address.split(" · ")[2], p.reason, p.not_examined) for p in problems] == [
        ("/Users/alex/bomb.bz2!bomb", "bomb", True)]
    assert "ratio limit" in problems[0].message


def test_nested_zip_bomb_stops_at_the_expanded_bytes_limit_across_levels() -> None:
    data = b.nested_zip_bomb(levels=4)  # 17 KB holding 64 GB of zeros in 65,536 files
    assert len(data) < 20_000
    limit = 64 * 1024 * 1024
    rec, content = b.record("bomb.zip", data)
    produced, problems = 0, []
    for item in expand(rec, content, limits=ContainerLimits(max_expanded_bytes=limit)):
        if isinstance(item, Member):
            produced += item.record.size
        else:
            problems.append(item)
    assert len(problems) == 1 and problems[0].reason == "bomb"
    assert "limit on expanded bytes per archive" in problems[0].message
    assert produced <= limit


def test_member_count_limit_holds_across_levels() -> None:
    rec, content = b.record("bomb.zip", b.nested_zip_bomb(levels=2, copies=16, kernel=10))
    members, problems = run(rec, content, ContainerLimits(max_members=40))
    assert len(members) == 40
    assert [p.reason for p in problems] == ["bomb"]
    assert "limit on members per archive" in problems[0].message


def test_deep_nesting_bomb_stops_at_the_depth_limit() -> None:
    rec, content = b.record("deep.zip", b.deep_zip(MAX_DEPTH + 4))
    members, problems = run(rec, content)
    chain = "!".join(f"d{n}.zip" for n in range(1, MAX_DEPTH + 1))
    assert [m for m, _, _ in members] == [
        "!".join(f"d{n}.zip" for n in range(1, level + 1)) for level in range(1, MAX_DEPTH + 1)]
    assert [(p.address.split(" · ")[2], p.reason) for p in problems] == [
        (f"/Users/alex/deep.zip!{chain}", "bomb")]
    assert "depth limit" in problems[0].message


def test_shallow_nesting_within_the_depth_limit_is_complete() -> None:
    members, problems = run(*b.record("deep.zip", b.deep_zip(3)), ContainerLimits(max_depth=4))
    assert [m for m, _, _ in members][-1] == "d1.zip!d2.zip!d3.zip!a.jpg" and problems == []


def test_large_member_spills_under_the_given_folder_and_is_removed(tmp_path: Path) -> None:
    big = bytes(range(256)) * 8192  # 2 MiB
    rec, content = b.record("big.zip", b.zip_bytes({"big.bin": big}))
    limits = ContainerLimits(memory_member_bytes=1024 * 1024, spill_dir=tmp_path / "spill")
    seen = []
    for item in expand(rec, content, limits=limits):
        assert isinstance(item, Member) and item.content is not None
        assert len(list((tmp_path / "spill").iterdir())) == 1  # the member sits on disk
        seen.append(item.content.read(0, item.content.size))
    assert seen == [big]
    assert list((tmp_path / "spill").iterdir()) == []


def test_large_member_without_a_spill_folder_is_not_examined() -> None:
    big = bytes(range(256)) * 8192
    members, problems = run(*b.record("big.zip", b.zip_bytes({"big.bin": big, "a.txt": b"a"})),
                            ContainerLimits(memory_member_bytes=1024 * 1024))
    assert [m for m, _, _ in members] == ["a.txt"]
    assert [(p.address.split(" · ")[2], p.reason) for p in problems] == [
        ("/Users/alex/big.zip!big.bin", "too large")]


def test_non_container_yields_nothing() -> None:
    assert run(*b.record("a.jpg", b.jpeg())) == ([], [])
