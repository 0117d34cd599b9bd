"""The household benchmark: its disk holds what it claims, and the suite prints every row."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from _household_disk import HouseholdDisk, ensure_disk  # noqa: E402
from _household_pictures import make_picture, tagged  # noqa: E402
from _household_plan import HouseholdSpec, plan  # noqa: E402

from tests.fixtures.tools import can_mount_fuse, missing_tools  # noqa: E402

TINY = HouseholdSpec(size_gb=0.05, files=600)
TINY_ARGS = ["--size-gb", "0.05", "--files", "600", "--repeat", "1", "--family-visits", "2000"]
ROWS = [
    "walk, entries/s",
    "hashing stage",
    "exact matching end to end, s",
    "exact matching, known files found",
    "perceptual stage, pictures/s",
    "end to end `triage scan`, total",
    "end to end, time to first hit",
    "end to end, MB/s",
    "end to end, files/s",
    "end to end, peak RSS",
    "1 TB HDD",
    "1 TB SATA SSD",
    "artefact extraction, wall time: end-to-end scan + the family's browser profiles",
    "artefact extraction, CPU time",
]


@pytest.fixture(scope="module")
def tiny_disk() -> HouseholdDisk:
    missing = missing_tools("ntfs", "fat", "ext4", "gpt")
    if missing:
        pytest.skip(f"the household disk needs {', '.join(missing)}")
    if not can_mount_fuse():
        pytest.skip("the household disk needs root and /dev/fuse (ntfs-3g)")
    return ensure_disk(TINY)[0]


def _suite(env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([sys.executable, str(BENCH / "household.py"), *TINY_ARGS],
                          capture_output=True, text=True, env=env, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _table(out: str) -> dict[str, list[list[str]]]:
    """First cell of each table row -> the other cells of every row so named."""
    rows: dict[str, list[list[str]]] = {}
    for line in out.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows.setdefault(cells[0].split(" (")[0], []).append(cells[1:])
    return rows


def test_plan_is_deterministic_and_household_shaped() -> None:
    a, b = plan(TINY), plan(TINY)
    files = [f for fs in ("ntfs", "ext4", "fat32") for f in a.parts[fs]]
    assert files == [f for fs in ("ntfs", "ext4", "fat32") for f in b.parts[fs]]
    assert len(files) == TINY.files
    assert abs(sum(f.size for f in files) - TINY.budget) < 2 * 1024 * 1024
    assert len(a.pictures) == round(TINY.files * 0.06)
    classes = {p["class"] for p in a.pictures}
    assert {"camera", "phone", "web"} <= classes
    assert any(p["partition"] == 3 and str(p["path"]).startswith("/DCIM/100CAMERA/")
               for p in a.pictures)
    assert a.counts["mp4"] >= 1 and a.counts["zip"] >= 1
    assert any(f.deleted for f in a.parts["fat32"]) and any(f.deleted for f in a.parts["ext4"])


def test_known_pictures_sit_where_the_goals_need_them() -> None:
    known = plan(TINY).known
    assert any("/Pictures/" in k.path and not k.deleted and k.member is None for k in known)
    assert {k.partition for k in known if k.deleted} == {1, 2, 3}  # one deleted on every fs
    assert [k.member for k in known if k.member] == ["holiday/K002.jpg"]


def test_tags_make_unique_digests_of_the_same_pixels() -> None:
    for shape in ((320, 240, 75, 6), (200, 100, 0, 0)):  # JPEG, PNG
        picture = make_picture(7, shape)
        one, two = tagged(picture, "a"), tagged(picture, "b")
        assert hashlib.sha256(one).digest() != hashlib.sha256(two).digest()
        pixels = [Image.open(io.BytesIO(d)).convert("RGB").tobytes() for d in (one, two)]
        assert pixels[0] == pixels[1] == Image.open(io.BytesIO(picture.data)).convert(
            "RGB").tobytes()


@pytest.mark.slow
def test_suite_prints_every_row_and_finds_at_least_what_the_tools_find(
        tiny_disk: HouseholdDisk) -> None:
    missing = [t for t in ("fls", "tsk_recover", "md5deep", "hashdeep") if not shutil.which(t)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install sleuthkit hashdeep)")
    out = _suite()
    rows = _table(out)
    for name in ROWS:
        assert name in rows, f"no row {name!r} in:\n{out}"
    assert len(rows["hashing stage"]) == 2  # vs hashlib and vs hashdeep
    found = rows["exact matching, known files found"][0]
    ours, theirs = (int(n) for n in found[2].strip("*").split(" vs "))
    assert ours >= theirs
    # Every planted copy is found by us (the zip member too); the tools cannot open the zip.
    assert ours == len(tiny_disk.known) == 7
    assert theirs == 6
    total = rows["end to end `triage scan`, total"][0]
    assert "3 of 3 re-encoded copies as perceptual leads" in total[1]


@pytest.mark.slow
def test_missing_tools_give_a_line_not_a_crash(tiny_disk: HouseholdDisk, tmp_path: Path) -> None:
    (tmp_path / "python").symlink_to(sys.executable)
    out = _suite({**os.environ, "PATH": str(tmp_path)})  # no sleuthkit, no hashdeep
    rows = _table(out)
    assert "`fls` not found (apt-get install sleuthkit)" in rows["walk, entries/s"][0][1]
    assert "`tsk_recover` not found" in rows["exact matching end to end, s"][0][1]
    assert "`hashdeep` not found (apt-get install hashdeep)" in out
    assert rows["exact matching, known files found"][0][0].startswith("7 of 7")
    for name in ("perceptual stage, pictures/s", "end to end, peak RSS", "1 TB HDD"):
        assert name in rows
    assert "`chromium` not found" in rows["artefact extraction overhead"][0][1]
