"""Folder sources walked by descriptor: any depth, few descriptors, files reopened safely later."""

from __future__ import annotations

import errno
import os
import resource
from pathlib import Path

import pytest

from tests.hostile.test_folders import _deep_folder, remove_deep_folder
from triage.evidence.directory import DirectorySource, FileContent
from triage.ledger import GapKind
from triage.walk import logical
from triage.walk.fswalk import WalkStats
from triage.walk.logical import OPEN_FOLDERS, walk_folder

PATH_MAX = os.pathconf("/", "PC_PATH_MAX")


def _walk(root: Path) -> tuple[dict[str, FileContent | None], list[tuple[str, str]]]:
    warnings: list[tuple[str, str]] = []
    found = {rec.address.path: content for rec, content in walk_folder(
        DirectorySource(root),
        lambda address, message, gap=None: warnings.append((address, message)), WalkStats())}
    return found, warnings


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture()
def deep(tmp_path):
    root = tmp_path / "evidence"
    root.mkdir()
    yield root
    remove_deep_folder(root)


def test_a_tree_deeper_than_path_max_is_walked_to_the_bottom_with_few_descriptors(deep):
    _deep_folder(deep, 3_000, (1, 2_999, 3_000))
    before = _open_fds()
    peak = 0
    found: dict[str, FileContent | None] = {}
    for record, content in walk_folder(DirectorySource(deep), pytest.fail, WalkStats()):
        peak = max(peak, _open_fds() - before)
        found[record.address.path] = content
    assert peak <= OPEN_FOLDERS + 2  # the branch's window, the root and scandir's own
    assert _open_fds() == before  # every folder descriptor closed at the end
    bottom = "/d" * 3_000 + "/at3000.txt"
    assert sorted(found, key=len) == ["/d/at1.txt", "/d" * 2_999 + "/at2999.txt", bottom]
    assert len(os.fsencode(str(deep)) + bottom.encode()) > PATH_MAX
    content = found[bottom]
    assert content is not None and content.read(0, 10) == b"2999"
    content.close()


def test_the_walk_fits_under_a_small_descriptor_limit(deep):
    _deep_folder(deep, 1_500, (1_500,))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, _open_fds() + OPEN_FOLDERS + 16), hard))
    try:
        found, warnings = _walk(deep)
        [content] = found.values()
        assert content is not None and content.read(0, 4) == b"1499"
        content.close()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert warnings == []


def test_folders_whose_descriptors_were_closed_are_reopened_for_their_other_branches(
        tmp_path, monkeypatch):
    # A spine 3 x OPEN_FOLDERS deep with a side folder at every level: where the spine is
    # listed first, the level must be reopened (through "..") to walk its side folder later.
    root = tmp_path / "evidence"
    level = root
    expected = set()
    for depth in range(3 * OPEN_FOLDERS):
        for name in ("x", "y"):
            (level / name).mkdir(parents=True)
        # The spine is the folder listed first, so the side folder waits for the way back up.
        spine = os.listdir(level)[0]
        side = level / ("y" if spine == "x" else "x")
        (side / f"s{depth}.txt").write_bytes(b"%d" % depth)
        expected.add(str(side.relative_to(root) / f"s{depth}.txt"))
        level = level / spine
    (level / "bottom.txt").write_bytes(b"bottom")
    expected.add(str(level.relative_to(root) / "bottom.txt"))
    opened: list[bytes] = []
    real = logical.open_subfolder
    monkeypatch.setattr(logical, "open_subfolder",
                        lambda fd, name: opened.append(name) or real(fd, name))
    found, warnings = _walk(root)
    assert b".." in opened  # the reopening path really ran
    assert warnings == []
    assert {path.lstrip("/") for path in found} == {p.removeprefix("./") for p in expected}
    for path, content in found.items():
        assert content is not None
        assert content.read(0, 10) == (root / path.lstrip("/")).read_bytes()
        content.close()


def test_a_file_is_reopened_later_from_the_root_and_its_token(tmp_path):
    root = tmp_path / "evidence"
    (root / "a" / "b").mkdir(parents=True)
    with open(os.fsencode(root / "a" / "b") + b"/bad\xffname.jpg", "wb") as handle:
        handle.write(b"picture")
    [(record, content)] = list(walk_folder(DirectorySource(root), pytest.fail, WalkStats()))
    assert record.address.path == "/a/b/bad\\xffname.jpg"  # shown safely in the report
    assert content is not None
    again = FileContent(str(root), content.token, content.size)  # e.g. after a JSON spill
    assert again.read(0, 100) == b"picture"
    again.close()


def test_a_symbolic_link_swapped_in_after_the_walk_is_refused(tmp_path):
    root = tmp_path / "evidence"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "a.jpg").write_bytes(b"evidence")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.jpg").write_bytes(b"not evidence")
    [(_, content)] = list(walk_folder(DirectorySource(root), pytest.fail, WalkStats()))
    os.rename(root / "photos", tmp_path / "moved")
    os.symlink(outside, root / "photos")
    assert content is not None
    with pytest.raises(OSError) as caught:
        content.read(0, 100)
    assert caught.value.errno in (errno.ELOOP, errno.ENOTDIR)


def test_a_fifo_swapped_in_after_the_walk_fails_at_once_instead_of_blocking(tmp_path):
    root = tmp_path / "evidence"
    root.mkdir()
    (root / "a.jpg").write_bytes(b"evidence")
    [(_, content)] = list(walk_folder(DirectorySource(root), pytest.fail, WalkStats()))
    os.unlink(root / "a.jpg")
    os.mkfifo(root / "a.jpg")
    assert content is not None
    with pytest.raises(OSError, match="no longer a regular file"):
        content.read(0, 100)
    content.close()


@pytest.mark.parametrize("relative", [b"../outside.jpg", b"a/../../outside.jpg", b"", b"/"])
def test_a_relative_path_cannot_leave_the_folder(tmp_path, relative):
    (tmp_path / "outside.jpg").write_bytes(b"x")
    root = tmp_path / "evidence"
    (root / "a").mkdir(parents=True)
    with pytest.raises(OSError, match="not a path inside the folder"):
        FileContent(str(root), relative, 1).read(0, 1)


def test_an_unreadable_subfolder_is_a_warning_and_the_walk_goes_on(tmp_path):
    root = tmp_path / "evidence"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "inner").mkdir()
    (root / "open.txt").write_bytes(b"open")
    # Root ignores permission bits, so make the folder unreadable another way: a name whose
    # folder is replaced by a file between listing and walking is what a real race gives.
    walk = walk_folder(DirectorySource(root), lambda a, m, gap=None: warnings.append((a, m, gap)),
                       WalkStats())
    warnings: list[tuple[str, str, GapKind | None]] = []
    first = next(walk)
    assert first[0].address.path == "/open.txt"
    (root / "locked" / "inner").rmdir()
    (root / "locked").rmdir()
    (root / "locked").write_bytes(b"now a file")
    assert list(walk) == []
    [(address, message, gap)] = warnings
    assert address.endswith("/locked") and message == "folder not readable: Not a directory"
    assert gap is GapKind.UNREADABLE  # a coverage gap, not only a warning
