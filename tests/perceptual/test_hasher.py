"""Hashing many pictures on all cores, and the properties the thresholds rely on."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from triage.perceptual import PictureHashes, hash_picture
from triage.perceptual.hasher import hash_files, hash_many
from triage.perceptual.pdq import Pdq
from triage.perceptual.phash import PHash
from triage.perceptual.rules import Evidence, decide

from .conftest import encode, scene


def _hashes(data: bytes) -> PictureHashes:
    result = hash_picture(data)
    assert isinstance(result, PictureHashes), result
    return result


def _evidence(a: PictureHashes, b: PictureHashes) -> Evidence:
    return Evidence(
        pdq_distance=Pdq.distance(Pdq.parse(a.pdq), Pdq.parse(b.pdq)),
        phash_distance=PHash.distance(PHash.parse(a.phash), PHash.parse(b.phash)),
        query_quality=a.pdq_quality,
        reference_quality=b.pdq_quality,
    )


def test_workers_give_the_same_results_in_input_order() -> None:
    items = [(f"k{i}", encode(scene(60 + i, (200, 150)))) for i in range(6)]
    items.insert(3, ("broken", b"not a picture"))
    serial = list(hash_many(items, workers=1))
    parallel = list(hash_many(items, workers=2, chunksize=1))
    assert parallel == serial
    assert [k for k, _ in parallel] == [k for k, _ in items]
    assert parallel[3] == ("broken", "not a picture format Pillow can open")


def test_hash_files_reports_unreadable_files(tmp_path: Path) -> None:
    good = tmp_path / "a.png"
    good.write_bytes(encode(scene(70, (120, 90)), "PNG"))
    results = dict(hash_files([good, tmp_path / "gone.jpg"], workers=1))
    assert isinstance(results[good], PictureHashes)
    assert results[tmp_path / "gone.jpg"].startswith("could not be read: ")


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(0.3, 2.0),
    quality=st.integers(30, 95),
)
def test_resized_and_recompressed_copies_stay_within_thresholds(
    seed: int, scale: float, quality: int
) -> None:
    original = scene(seed)
    copy = original.resize(
        (int(original.width * scale), int(original.height * scale)), Image.Resampling.LANCZOS
    )
    evidence = _evidence(
        _hashes(encode(copy, "JPEG", quality=quality)), _hashes(encode(original, "PNG"))
    )
    assert evidence.phash_distance is not None
    assert evidence.phash_distance <= PHash.match_distance
    assert evidence.pdq_distance <= Pdq.match_distance
    assert decide(evidence)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), other=st.integers(1, 10_000))
def test_unrelated_pictures_stay_out(seed: int, other: int) -> None:
    evidence = _evidence(
        _hashes(encode(scene(seed), "JPEG")), _hashes(encode(scene(seed + other), "JPEG"))
    )
    assert not decide(evidence)
    assert evidence.pdq_distance > Pdq.match_distance
