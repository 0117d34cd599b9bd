"""Reference sets on disk: built from pictures or PDQ lists, verified against their manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from triage.errors import InvalidInputError
from triage.perceptual import PerceptualMatcher, hash_picture, refset
from triage.perceptual.build import build_from_folder, import_pdq_lists
from triage.perceptual.index import Layout
from triage.perceptual.refset import SetError, load_set, sha256_file

from .conftest import encode, scene


@pytest.fixture()
def picture_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "pictures"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(encode(scene(31), "JPEG"))
    (folder / "sub" / "b.png").write_bytes(encode(scene(32), "PNG"))
    (folder / "notes.txt").write_text("not a picture")
    (folder / "black.png").write_bytes(encode(Image.new("RGB", (64, 64)), "PNG"))
    return folder


def test_build_from_folder_writes_a_self_describing_set(picture_folder: Path, tmp_path: Path):
    result = build_from_folder(
        picture_folder, tmp_path / "set", name="lab", version="3", category="B", workers=1
    )
    assert result.count == 3
    assert result.skipped == ["notes.txt: not a picture format Pillow can open"]
    assert result.unmatchable == [
        "black.png: PDQ quality 0 is under 20: featureless (blank, flat or near-black), so it "
            "never matches perceptually, only by its exact digest"
    ]
    manifest = json.loads(result.manifest.read_text())
    assert (manifest["name"], manifest["version"], manifest["count"]) == ("lab", "3", 3)
    assert manifest["categories"] == ["B"]
    for file_name, digest in manifest["files"].items():
        assert sha256_file(tmp_path / "set" / file_name) == digest
    loaded = load_set(tmp_path / "set")
    assert loaded.references == ["a.jpg", "black.png", "sub/b.png"]
    assert loaded.category_of(2) == "B" and loaded.quality(0) == 100
    sha = json.loads((tmp_path / "set" / "sha256.json").read_text())
    assert sha[0] == sha256_file(picture_folder / "a.jpg")


def test_tampered_file_is_refused(picture_folder: Path, tmp_path: Path) -> None:
    build_from_folder(
        picture_folder, tmp_path / "set", name="lab", version="1", category="B", workers=1
    )
    with (tmp_path / "set" / "pdq_codes.npy").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(SetError, match="pdq_codes.npy does not match its manifest digest"):
        load_set(tmp_path / "set")


def test_file_left_out_of_the_manifest_is_refused(picture_folder: Path, tmp_path: Path) -> None:
    build_from_folder(
        picture_folder, tmp_path / "set", name="lab", version="1", category="B", workers=1
    )
    manifest_path = tmp_path / "set" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["files"]["pdq_ids3.npy"]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(SetError, match="manifest does not pin pdq_ids3.npy"):
        load_set(tmp_path / "set")


def test_building_into_a_used_folder_is_refused(picture_folder: Path) -> None:
    with pytest.raises(InvalidInputError, match="choose a new folder"):
        build_from_folder(picture_folder, picture_folder, name="x", version="1", category="B")


def test_import_pdq_lists_with_optional_columns(tmp_path: Path) -> None:
    listing = tmp_path / "ncmec.txt"
    listing.write_text(f"# exported list\n{'ab' * 32}\n{'cd' * 32},87\n{'ef' * 32}\t40\tA\n\n")
    result = import_pdq_lists(
        [listing], tmp_path / "set", name="ncmec", version="2026-11", category="B"
    )
    loaded = load_set(tmp_path / "set")
    assert result.count == 3
    assert loaded.references == ["ncmec.txt:2", "ncmec.txt:3", "ncmec.txt:4"]
    assert [loaded.quality(i) for i in range(3)] == [None, 87, 40]
    assert [loaded.category_of(i) for i in range(3)] == ["B", "B", "A"]
    assert len(loaded.phash) == 0 and loaded.phash_row.tolist() == [-1, -1, -1]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("xyz", r"list.txt:2: a PDQ hash is 64 hex digits, got 3"),
        (f"{'ab' * 32},high", r"list.txt:2: quality must be 0-100"),
        (f"{'ab' * 32},1,A,extra", r"list.txt:2: expected hex\[,quality\]\[,category\]"),
    ],
)
def test_bad_list_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"{'00' * 32}\n{line}\n")
    with pytest.raises(InvalidInputError, match=message):
        import_pdq_lists([listing], tmp_path / "set", name="n", version="1", category="B")


@pytest.mark.parametrize(("radius", "loads"), [(31, True), (30, False)])
def test_sets_indexed_for_pdq_31_still_load_and_match(
    picture_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, radius: int, loads: bool
) -> None:
    # Sets built before the rule's third way (PDQ 47) carry a radius-31 index.
    monkeypatch.setattr(refset, "PDQ_LAYOUT", Layout(256, (16,) * 16, radius))
    build_from_folder(
        picture_folder,
        tmp_path / "sets" / "old",
        name="old",
        version="1",
        category="B",
        workers=1,
    )
    monkeypatch.undo()
    if not loads:
        with pytest.raises(SetError, match="covers radius 30; rebuild the set"):
            load_set(tmp_path / "sets" / "old")
        return
    assert load_set(tmp_path / "sets" / "old").pdq.layout.radius == 31
    copy = hash_picture(encode(scene(31), "JPEG", quality=70))
    assert not isinstance(copy, str)
    found = PerceptualMatcher.load(tmp_path / "sets").match(copy)
    assert [m.reference for m in found] == ["a.jpg"]
