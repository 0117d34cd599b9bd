"""The priority table and the plan: places, kinds, bands, disk order, spill round trip."""

from __future__ import annotations

import numpy as np
import pytest

from triage.ledger import VolumeCoverage
from triage.model import Address, FileRecord, PartitionRef
from triage.plan.planner import Plan, PlannedVolume
from triage.plan.priority import CLASSES, SIZE_BANDS, Prioritiser, kind_of, place_of

NOW = 1_800_000_000.0
OLD = NOW - 400 * 86400
PART = PartitionRef(1, 1048576, "ntfs")


def _record(path: str, size: int = 1000, mtime: float | None = OLD) -> FileRecord:
    return FileRecord(Address("disk.img", PART, path, 42), path.rsplit("/", 1)[-1], size,
                      mtime=mtime)


def _class(path: str, **kw: object) -> str:
    rank, _ = Prioritiser(NOW).rank(_record(path, **kw))  # type: ignore[arg-type]
    return CLASSES[rank].name


@pytest.mark.parametrize(("path", "place"), [
    ("/Users/alice/Pictures/2024/beach.JPG", "chosen"),
    ("/Users/alice/OneDrive/Pictures/x.png", "chosen"),
    ("/Users/bob/Downloads/file.zip", "chosen"),
    ("/home/carol/Desktop/a", "chosen"),
    ("/DCIM/100CANON/IMG_0001.JPG", "chosen"),
    ("/Documents and Settings/dave/My Documents/My Pictures/p.bmp", "chosen"),
    ("/Users/alice/AppData/Local/cache/f_0001", "profile"),
    ("/home/carol/.cache/thumbnails/large/x.png", "profile"),
    ("/Windows/System32/drivers/etc/hosts", "system"),
    ("/Program Files (x86)/App/logo.png", "system"),
    ("/usr/share/pixmaps/debian.png", "system"),
    ("/backup/old/photos.zip", "elsewhere"),
    ("/usersX/alice/Pictures/a.jpg", "elsewhere"),  # not a profile folder
])
def test_places_follow_the_table(path, place):
    assert place_of(path) == place


@pytest.mark.parametrize(("name", "kind"), [
    ("a.JPG", "picture"), ("b.heic", "picture"), ("c.mp4", "video"), ("d.MOV", "video"),
    ("e.zip", "archive"), ("f.7z", "archive"), ("g.txt", "other"), (".jpg", "other"),
    ("noext", "other"),
])
def test_kinds_come_from_the_extension(name, kind):
    assert kind_of(name) == kind


def test_order_puts_chosen_pictures_first_and_system_files_last():
    ordered = [
        "/Users/alice/Pictures/a.jpg",  # pictures in chosen folders
        "/Users/alice/Videos/v.mp4",  # videos in chosen folders
        "/Users/alice/AppData/cache/c.jpg",  # pictures in user areas
        "/Users/alice/Downloads/pack.zip",  # archives in user areas
        "/Users/alice/AppData/v.mp4",  # videos in user areas
        "/data/p.png",  # pictures and videos elsewhere
        "/Users/alice/Documents/letter.docx_",  # other files in user areas
        "/data/x.rar",  # archives elsewhere
        "/data/notes.txt",  # other files elsewhere
        "/Windows/Web/wall.jpg",  # pictures and videos in system folders
        "/Windows/System32/k.dll",  # other files in system folders
    ]
    names = [_class(path) for path in ordered]
    assert names == [c.name for c in CLASSES]


def test_recent_files_and_removable_disks_count_as_user_areas():
    assert _class("/data/notes.txt") == "other files elsewhere"
    assert _class("/data/notes.txt", mtime=NOW - 86400) == "other files in user areas"
    rank, _ = Prioritiser(NOW, removable=True).rank(_record("/stuff/p.jpg"))
    assert CLASSES[rank].name == "pictures in user areas"
    # The system stays last even when recently changed (updates touch it all the time).
    assert _class("/Windows/System32/k.dll", mtime=NOW) == "other files in system folders"


def test_small_files_come_before_huge_ones():
    p = Prioritiser(NOW)
    bands = [p.rank(_record("/data/a.bin", size))[1]
             for size in (0, SIZE_BANDS[0] - 1, SIZE_BANDS[0], SIZE_BANDS[1], 10**12)]
    assert bands == [0, 0, 1, 2, 2]


def test_plan_orders_by_class_band_then_disk_position_and_keeps_every_field(tmp_path):
    plan = Plan(tmp_path / ".plan")
    coverage = VolumeCoverage("disk.img", PART.index, PART.offset, None, "test", PART.fs)
    vol = plan.add_volume(PlannedVolume("disk.img", PART, lambda r, t: None, None, 0, coverage))  # type: ignore[arg-type, return-value]
    hostile = "/Users/alice/Pictures/\x1b[31mred\udcff\u202e.jpg"
    rows = [  # (path, size, position) in walk order
        ("/Windows/a.dll", 10, 5000),
        ("/Users/alice/Pictures/big.jpg", SIZE_BANDS[0] + 1, 100),
        ("/Users/alice/Pictures/far.jpg", 10, 9000),
        (hostile, 10, None),
        ("/Users/alice/Pictures/near.jpg", 10, 200),
    ]
    prioritiser = Prioritiser(NOW)
    for path, size, position in rows:
        record = _record(path, size)
        if path.endswith(".dll"):
            record.facts["skipped"] = "listed only"
        plan.add(vol, record, [128, 3] if path.endswith("near.jpg") else None, True,
                 prioritiser.rank(record), position)
    order = plan.order()
    paths = [plan.entry(int(i)).record.address.path for i in order]
    assert paths == [hostile, "/Users/alice/Pictures/near.jpg", "/Users/alice/Pictures/far.jpg",
                     "/Users/alice/Pictures/big.jpg", "/Windows/a.dll"]
    assert plan.entry(int(order[4])).record.facts == {"skipped": "listed only"}
    near = plan.entry(int(order[1]))
    assert near.token == [128, 3] and near.record.size == 10 and near.record.mtime == OLD
    assert str(near.record.address) == "disk.img · p1@1048576 ntfs · " \
        "/Users/alice/Pictures/near.jpg · inode 42"
    assert plan.entry(int(order[0])).record.name == hostile.rsplit("/", 1)[-1]
    totals = plan.totals()
    assert totals[(0, 0)] == [4, 30 + SIZE_BANDS[0] + 1]
    assert totals[(0, len(CLASSES) - 1)] == [1, 10]
    assert plan.totals(np.array(order[:2])) == {(0, 0): [2, 20]}
    plan.remove()
    assert not (tmp_path / ".plan").exists()


def test_plan_entries_read_back_before_and_after_more_are_added(tmp_path):
    """An entry is read by its offset and length: one added since the last flush (still in
    the write buffer) reads back too, and the last entry ends where the spill ends."""
    plan = Plan(tmp_path / ".plan")
    coverage = VolumeCoverage("disk.img", PART.index, PART.offset, None, "test", PART.fs)
    vol = plan.add_volume(PlannedVolume("disk.img", PART, lambda r, t: None, None, 0, coverage))  # type: ignore[arg-type, return-value]
    prioritiser = Prioritiser(NOW)
    for n in range(3):
        record = _record(f"/Users/alice/f{n}.txt", 10 + n)
        plan.add(vol, record, None, True, prioritiser.rank(record), None)
    assert plan.entry(1).record.name == "f1.txt"  # nothing flushed yet
    plan.order()
    record = _record("/Users/alice/last.txt", 99)
    plan.add(vol, record, [1, 2], True, prioritiser.rank(record), None)
    last = plan.entry(3)
    assert (last.record.name, last.record.size, last.token) == ("last.txt", 99, [1, 2])
    assert [plan.entry(i).record.size for i in range(3)] == [10, 11, 12]
    plan.remove()
