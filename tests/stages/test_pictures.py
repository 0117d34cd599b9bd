"""Pictures hashed while the worker goes on: bounded per batch, settled into their files."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

import triage.stages.process as process
from triage.containers.buffers import BytesContent
from triage.model import Address, FileRecord
from triage.perceptual.build import build_from_folder
from triage.stages.matching import Matchers
from triage.stages.perceptual import PERCEPTUAL_DIR, PerceptualStage, worker_context


def _picture(seed: int) -> bytes:
    """A detailed, benign generated JPEG."""
    picture = Image.new("RGB", (320, 240), (20 + seed * 30, 90, 160))
    draw = ImageDraw.Draw(picture)
    for i in range(30):
        x, y = (i * 97 + seed * 31) % 300, (i * 53 + seed * 17) % 220
        draw.ellipse([x, y, x + 20 + i % 15, y + 15 + i % 10],
                     fill=((i * 37) % 255, (i * 91 + seed) % 255, (i * 13) % 255))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PerceptualStage]:
    refs = tmp_path_factory.mktemp("refs")
    (refs / "known.jpg").write_bytes(_picture(1))
    sets = tmp_path_factory.mktemp("sets")
    build_from_folder(refs, sets / PERCEPTUAL_DIR / "demo", name="demo", version="1",
                      category="demo")
    loaded, _ = PerceptualStage.load(Path(sets), 1)
    assert loaded is not None
    yield loaded
    loaded.close()


def _items(count: int) -> list[tuple[FileRecord, BytesContent]]:
    items = []
    for i in range(count):
        data = _picture(i + 1)
        record = FileRecord(Address("evidence", path=f"/p{i}.jpg"), f"p{i}.jpg", len(data))
        items.append((record, BytesContent(data)))
    return items


def test_a_batch_hands_back_its_pictures_unsettled_then_settles_them(stage: PerceptualStage
                                                                      ) -> None:
    items = _items(3)
    batch = process.process_batch(items, Matchers(perceptual=stage))
    assert len(batch.pictures.waiting) == 3  # sent, not waited for
    done = batch.settle()
    assert [r.facts["perceptual"]["width"] for r, *_ in done] == [320, 320, 320]
    # the copy of the reference is found, and its finding joins that file's own result
    assert [len(findings) for _, _, findings, _ in done] == [1, 0, 0]
    assert batch.pictures.waiting == []


def test_past_the_bound_the_oldest_picture_is_waited_for_first(
        stage: PerceptualStage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "PENDING_PICTURES", 2)
    items = _items(3)
    batch = process.process_batch(items, Matchers(perceptual=stage))
    assert len(batch.pictures.waiting) == 2
    first = items[0][0]
    assert "perceptual" in first.facts  # settled in the worker to keep the bound
    assert not any("perceptual" in r.facts for r, _ in items[1:])
    batch.settle()
    assert all("perceptual" in r.facts for r, _ in items)


def test_bytes_held_are_bounded_too(stage: PerceptualStage, monkeypatch: pytest.MonkeyPatch
                                     ) -> None:
    monkeypatch.setattr(process, "PENDING_BYTES", 1)
    batch = process.process_batch(_items(3), Matchers(perceptual=stage))
    assert len(batch.pictures.waiting) == 1  # one is always allowed, however large
    batch.settle()


def test_picture_processes_fork_from_a_server_that_has_the_picture_code() -> None:
    context = worker_context()
    assert context.get_start_method() == "forkserver"
    from multiprocessing import forkserver

    assert "triage.perceptual.hasher" in forkserver._forkserver._preload_modules


class CountedContent(BytesContent):
    """Content in memory that counts the bytes handed out."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, offset: int, length: int) -> bytes:
        piece = super().read(offset, length)
        self.bytes_read += len(piece)
        return piece


def test_a_picture_is_read_once_for_its_digests_and_its_perceptual_hashes(
        stage: PerceptualStage) -> None:
    data = _picture(4) + bytes(3 * 1024 * 1024)  # past the head and more than one chunk
    content = CountedContent(data)
    record = FileRecord(Address("evidence", path="/big.jpg"), "big.jpg", len(data))
    process.process_batch([(record, content)], Matchers(perceptual=stage)).settle()
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.facts["perceptual"]["width"] == 320
    assert content.bytes_read == len(data)
