"""The stated confidence of a sampled quick pass against 1,000 sampled passes over a real image."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.blocks.disk import picture
from triage.blocks import confidence
from triage.blocks.build import FilterBuilder
from triage.blocks.engine import Span, hash_spans
from triage.blocks.filter import BlockFilter
from triage.blocks.store import write_filter
from triage.plan.quickpass import sample_spans

UNIT = 64 << 10  # small units keep 1,000 passes over this image to a few seconds
IMAGE = 8 << 20
SEEDS = 1000
FRACTION = 0.2


@pytest.fixture(scope="module")
def one_picture(tmp_path_factory: pytest.TempPathFactory) -> tuple[BlockFilter, bytes]:
    data = picture(301)
    builder = FilterBuilder()
    builder.add_pieces(iter([data]), "K.jpg", "A")
    path = write_filter(tmp_path_factory.mktemp("conf") / "f", name="f", version="1",
                        source="test", compiled=builder.compile(),
                        references=builder.references, categories=builder.categories,
                        stats=builder.stats)
    return BlockFilter.open(path), data


def _image(tmp_path: Path, data: bytes, offset: int) -> bytes:
    disk = bytearray(np.random.default_rng(5).integers(0, 256, IMAGE, np.uint8).tobytes())
    disk[offset:offset + len(data)] = data
    return bytes(disk)


def _detection_rate(blocks: BlockFilter, disk: bytes) -> float:
    read = lambda offset, length: disk[offset:offset + length]  # noqa: E731
    found = 0
    for seed in range(SEEDS):
        spans = sample_spans([Span(0, IMAGE, 0)], IMAGE, FRACTION, seed, UNIT)
        found += bool(len(hash_spans(read, [blocks], spans).rows))
    return found / SEEDS


@pytest.mark.parametrize("misalign", [0, 14 * 4096])
def test_stated_detection_matches_1000_sampled_passes(
        one_picture: tuple[BlockFilter, bytes], tmp_path: Path, misalign: int) -> None:
    blocks, data = one_picture
    stated = confidence.statement([blocks], FRACTION, UNIT)
    smallest = next(r for r in stated["by_size"] if r["smallest_in_set"])
    assert smallest["size"] == len(data)
    assert smallest["units"] == math.ceil(len(data) / UNIT) == 2
    assert smallest["detection"] == pytest.approx(1 - (1 - FRACTION) ** 2)
    # On a unit boundary the picture lies in exactly the stated number of units, and the
    # measured rate must match; off it, it lies in one more, and the statement is a bound.
    offset = 40 * UNIT + misalign
    measured = _detection_rate(blocks, _image(tmp_path, data, offset))
    sigma = math.sqrt(smallest["detection"] * (1 - smallest["detection"]) / SEEDS)
    if misalign == 0:
        assert abs(measured - smallest["detection"]) < 4 * sigma
    else:
        three_units = 1 - (1 - FRACTION) ** 3
        assert abs(measured - three_units) < 4 * sigma
        assert measured > smallest["detection"]
    assert f"{len(data):,} bytes or more would be found with probability >= " \
           f"{100 * smallest['detection']:.1f}%" in stated["text"]


def test_sampled_units_are_the_fraction_asked() -> None:
    units = confidence.sampled_units(100_000, 0.1, seed=3)
    assert abs(len(units) / 100_000 - 0.1) < 0.005
    assert np.array_equal(units, confidence.sampled_units(100_000, 0.1, seed=3))
    assert confidence.detection(0.1, 66) > 0.999
