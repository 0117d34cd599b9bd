"""Perceptual matching in the scan: a resized, re-encoded copy is found as a lead, not as RED."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from PIL import Image, ImageDraw

from triage.containers import ContainerLimits
from triage.perceptual.build import build_from_folder
from triage.pipeline import ScanOptions, run_scan
from triage.report.listing import read_listing
from triage.stages.perceptual import PERCEPTUAL_DIR


def _scene(seed: int) -> Image.Image:
    """A detailed, benign generated picture (featureless ones are never matched)."""
    picture = Image.new("RGB", (640, 480), (30 + seed * 40, 90, 160))
    draw = ImageDraw.Draw(picture)
    for i in range(40):
        x, y = (i * 97 + seed * 31) % 600, (i * 53 + seed * 17) % 440
        draw.ellipse([x, y, x + 40 + i % 30, y + 30 + i % 20],
                     fill=((i * 37) % 255, (i * 91 + seed) % 255, (i * 13) % 255))
        draw.line([0, i * 12, 640, 480 - i * 9], fill=(255 - i * 5, i * 6, 100), width=3)
    return picture


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


@pytest.fixture()
def perceptual_sets(tmp_path):
    refs = tmp_path / "reference-pictures"
    refs.mkdir()
    (refs / "known-1.png").write_bytes(_png(_scene(1)))
    sets = tmp_path / "sets"
    build_from_folder(refs, sets / PERCEPTUAL_DIR / "demo-perceptual", name="demo-perceptual",
                      version="1", category="demo")
    return sets


def _png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def test_a_transformed_copy_is_a_perceptual_lead(perceptual_sets, tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    copy = _scene(1).resize((320, 240)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    (evidence / "holiday.jpg").write_bytes(_jpeg(copy, 60))
    (evidence / "other.jpg").write_bytes(_jpeg(_scene(3), 85))
    (evidence / "broken.jpg").write_bytes(_jpeg(_scene(4), 85)[:600])
    result = run_scan([str(evidence)], tmp_path / "out", ScanOptions(hashsets=perceptual_sets))
    findings = result.report["findings"]
    assert [(f["kind"], f["path"], f["hashset"]) for f in findings] == [
        ("perceptual", "/holiday.jpg", "demo-perceptual")]
    assert findings[0]["distance"] <= 31
    assert result.report["verdict"]["level"] == "amber"  # a lead, never RED on its own
    listed = {r["path"]: r for r in read_listing(tmp_path / "out" / "files.jsonl.gz")}
    assert listed["/other.jpg"]["facts"]["perceptual"]["pdq_quality"] >= 50
    warned = [w for w in result.report["warnings"] if w["stage"] == "perceptual"]
    assert ["· /broken.jpg ·" in w["address"] for w in warned] == [True]
    kinds = {s["kind"] for s in result.report["provenance"]["hashsets"]}
    assert "perceptual" in kinds


def test_a_lead_inside_a_zip_carries_every_digest(perceptual_sets, tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    copy = _jpeg(_scene(1).resize((320, 240)), 70)
    with zipfile.ZipFile(evidence / "parcel.zip", "w") as archive:
        archive.writestr("inside/holiday.jpg", copy)
    result = run_scan([str(evidence)], tmp_path / "out", ScanOptions(
        hashsets=perceptual_sets, containers=ContainerLimits()))
    [finding] = result.report["findings"]
    assert (finding["kind"], finding["path"]) == ("perceptual", "/parcel.zip!inside/holiday.jpg")
    # The member's bytes are gone when it is listed: its digests come from the picture held.
    assert (finding["md5"], finding["sha1"], finding["sha256"]) == (
        hashlib.md5(copy).hexdigest(), hashlib.sha1(copy).hexdigest(),  # noqa: S324
        hashlib.sha256(copy).hexdigest())


def _scan_with_a_failing_first_picture(perceptual_sets, tmp_path, monkeypatch, fail, warning
                                       ) -> float:  # noqa: ANN001
    """Scan two pictures with one picture process; `fail(stage, pool)` runs before the first
    picture is sent, each time it is sent. The culprit must be sent twice, reported once with
    `warning`, and the other picture still hashed. Returns the scan's seconds."""
    import time

    import triage.stages.perceptual as stage

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "a.jpg").write_bytes(_jpeg(_scene(2), 80))
    (evidence / "b.jpg").write_bytes(_jpeg(_scene(1), 80))
    calls = []
    original = stage.PerceptualStage._send

    def fail_with_first(self, job):  # noqa: ANN001, ANN202
        if not calls or job.record.name == calls[0]:
            calls.append(job.record.name)
            fail(self)
        return original(self, job)

    monkeypatch.setattr(stage.PerceptualStage, "_send", fail_with_first)
    started = time.monotonic()
    result = run_scan([str(evidence)], tmp_path / "out", ScanOptions(hashsets=perceptual_sets,
                                                                     workers=1))
    seconds = time.monotonic() - started
    assert result.report["coverage"]["files_seen"] == 2
    failed = [w for w in result.report["warnings"] if warning in w["message"]]
    assert [f"/{calls[0]} ·" in w["address"] for w in failed] == [True]
    assert len(calls) == 2  # the culprit was sent again once, then given up
    # the pool was rebuilt: the other picture was still hashed
    listed = {r["name"]: r for r in read_listing(tmp_path / "out" / "files.jsonl.gz")}
    other = ({"a.jpg", "b.jpg"} - set(calls)).pop()
    assert "perceptual" in listed[other]["facts"]
    assert "perceptual" not in listed[calls[0]].get("facts", {})
    return seconds


def test_a_dying_decoder_process_does_not_end_the_scan(perceptual_sets, tmp_path, monkeypatch):
    import os

    def crash(stage):  # noqa: ANN001, ANN202
        # The first picture kills its process every time it is sent, as if its decoder crashed;
        # the other picture, sent in the same pool, dies with it the first time.
        if getattr(stage._pool, "_broken", False):
            stage._restart(stage._pool)
        stage._pool.submit(os._exit, 9)

    _scan_with_a_failing_first_picture(perceptual_sets, tmp_path, monkeypatch, crash,
                                       "decoder process died")


def test_a_hanging_decoder_is_stopped_and_the_scan_goes_on(perceptual_sets, tmp_path,
                                                          monkeypatch):
    import time

    import triage.stages.perceptual as stage

    def hang(stage):  # noqa: ANN001, ANN202
        # The first picture's decoder hangs every time it is sent: its one process is busy
        # for a minute, far past the deadline, so no answer comes back in time.
        stage._pool.submit(time.sleep, 60)

    monkeypatch.setattr(stage, "PICTURE_DEADLINE_S", 2.0)
    seconds = _scan_with_a_failing_first_picture(perceptual_sets, tmp_path, monkeypatch, hang,
                                                 "gave no answer within 2 s")
    assert seconds < 40  # two deadlines, not the hung minute


def test_lab_add_images_then_scan_finds_exact_and_perceptual(tmp_path):
    import subprocess
    import sys

    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "known-1.png").write_bytes(_png(_scene(1)))
    done = subprocess.run([sys.executable, "-m", "triage.cli", "hashset", "add-images", str(refs),
                           "--name", "lab-pictures", "--category", "A",
                           "--into", str(tmp_path / "sets")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "perceptual set" in done.stdout and "1 references" in done.stdout
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "exact.png").write_bytes((refs / "known-1.png").read_bytes())
    (evidence / "resized.jpg").write_bytes(_jpeg(_scene(1).resize((400, 300)), 70))
    result = run_scan([str(evidence)], tmp_path / "out",
                      ScanOptions(hashsets=tmp_path / "sets"))
    kinds = sorted((f["kind"], f["path"]) for f in result.report["findings"])
    assert ("exact", "/exact.png") in kinds and ("perceptual", "/resized.jpg") in kinds


def test_import_pdq_list_command(tmp_path):
    import subprocess
    import sys

    from triage.perceptual import hash_picture

    pdq = hash_picture(_png(_scene(1))).pdq
    listing = tmp_path / "ncmec.pdq"
    listing.write_text(f"{pdq},100,A\n")
    done = subprocess.run([sys.executable, "-m", "triage.cli", "hashset", "import-pdq",
                           str(listing), "--name", "shared", "--into", str(tmp_path / "sets")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "sets" / PERCEPTUAL_DIR / "shared" / "manifest.json").is_file()


def test_a_known_frame_in_a_video_is_a_lead_naming_the_time(tmp_path):
    from tests.containers import builders
    from tests.containers.test_documents_and_video import _video

    known = builders.picture(21, (192, 128))
    refs = tmp_path / "refs"
    refs.mkdir()
    known.save(refs / "frame.png")
    sets = tmp_path / "sets"
    build_from_folder(refs, sets / PERCEPTUAL_DIR / "frames", name="frames", version="1",
                      category="demo")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    scenes = [builders.picture(20, (192, 128)), known, builders.picture(22, (192, 128))]
    (evidence / "clip.mp4").write_bytes(_video(scenes, seconds_each=2))
    result = run_scan([str(evidence)], tmp_path / "out", ScanOptions(hashsets=sets))
    leads = [(f["kind"], f["path"]) for f in result.report["findings"]]
    assert leads == [("perceptual", "/clip.mp4!frame@2.000s")]


def _lab(tmp_path):  # noqa: ANN001, ANN202
    from triage import keys

    key_dir = tmp_path / "lab"
    keys.generate(key_dir, "lab")
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (key_dir / "lab.pub").rename(trusted / "lab.pub")
    return key_dir / "lab.key", trusted


def _add_images(refs, sets, *extra):  # noqa: ANN001, ANN002, ANN202
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "triage.cli", "hashset", "add-images",
                           str(refs), "--name", "lab-pictures", "--into", str(sets), *extra],
                          capture_output=True, text=True, check=False)


def test_signed_perceptual_sets_are_trusted_and_unsigned_ones_are_flagged(tmp_path):
    key, trusted = _lab(tmp_path)
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "known-1.png").write_bytes(_png(_scene(1)))
    assert _add_images(refs, tmp_path / "signed", "--sign", str(key)).returncode == 0
    assert _add_images(refs, tmp_path / "unsigned").returncode == 0
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "resized.jpg").write_bytes(_jpeg(_scene(1).resize((400, 300)), 70))

    def perceptual_provenance(sets):  # noqa: ANN001, ANN202
        result = run_scan([str(evidence)], tmp_path / sets.name / "out",
                          ScanOptions(hashsets=sets, trusted_keys=trusted))
        (entry,) = [h for h in result.report["provenance"]["hashsets"]
                    if h["kind"] == "perceptual"]
        return entry, result.report

    signed, report = perceptual_provenance(tmp_path / "signed")
    assert signed["trusted"] is True and signed["problems"] == []
    assert [f["kind"] for f in report["findings"]] == ["perceptual"]
    unsigned, report = perceptual_provenance(tmp_path / "unsigned")
    assert unsigned["trusted"] is False
    assert unsigned["problems"] == ["hash set 'lab-pictures' is not signed"]
    assert any("not signed" in w["message"] for w in report["warnings"])


def test_an_altered_perceptual_set_is_not_used(tmp_path):
    key, trusted = _lab(tmp_path)
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "known-1.png").write_bytes(_png(_scene(1)))
    assert _add_images(refs, tmp_path / "sets", "--sign", str(key)).returncode == 0
    index = next((tmp_path / "sets" / PERCEPTUAL_DIR / "lab-pictures").glob("*.npy"))
    data = bytearray(index.read_bytes())
    data[-1] ^= 0xFF
    index.write_bytes(bytes(data))
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "resized.jpg").write_bytes(_jpeg(_scene(1).resize((400, 300)), 70))
    result = run_scan([str(evidence)], tmp_path / "out",
                      ScanOptions(hashsets=tmp_path / "sets", trusted_keys=trusted))
    assert [f for f in result.report["findings"] if f["kind"] == "perceptual"] == []
    assert any("does not match its manifest" in w["message"] for w in result.report["warnings"])


def test_an_exact_match_is_not_repeated_as_a_similar_image_lead(perceptual_sets, tmp_path):
    """Issue 15 item 3: a known file was also listed as a perceptual lead at distance 0."""
    import hashlib

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    known = _png(_scene(1))
    (evidence / "known.png").write_bytes(known)
    (perceptual_sets / "known.sha256").write_text(hashlib.sha256(known).hexdigest() + "\n")
    result = run_scan([str(evidence)], tmp_path / "out", ScanOptions(hashsets=perceptual_sets))
    findings = result.report["findings"]
    assert [(f["kind"], f["path"]) for f in findings] == [("exact", "/known.png")]
