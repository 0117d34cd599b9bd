"""The Lanczos extension gives Pillow's bytes, and pHash is the same with it and without it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from triage.perceptual import lanczos
from triage.perceptual.hasher import hash_picture
from triage.perceptual.phash import PHash

from .conftest import PDQ_REFERENCE, scene
from .test_phash import SCENE_1_PHASH

LANCZOS = Image.Resampling.LANCZOS
built = pytest.mark.skipif(lanczos._lanczos is None,
                           reason="the _lanczos extension is not built (setup.py build_ext)")


def _pillow(pixels: np.ndarray, width: int, height: int) -> bytes:
    return Image.fromarray(pixels).resize((width, height), LANCZOS).tobytes()


def _pictures(rng: np.random.Generator, count: int):
    """Sizes across both pass orders, with noise, hard edges and smooth ramps."""
    for index in range(count):
        out_w, out_h = (int(v) for v in rng.integers(1, 70, 2))
        width, height = int(rng.integers(out_w + 1, 700)), int(rng.integers(out_h + 1, 700))
        kind = index % 3
        if kind == 0:
            pixels = rng.integers(0, 256, (height, width), dtype=np.uint8)
        elif kind == 1:
            pixels = np.where(rng.random((height, width)) < 0.5, 0, 255).astype(np.uint8)
        else:
            pixels = (np.add.outer(np.arange(height) * 3, np.arange(width) * 7) % 256
                      ).astype(np.uint8)
        yield pixels, out_w, out_h


@built
def test_extension_gives_pillows_bytes() -> None:
    for pixels, out_w, out_h in _pictures(np.random.default_rng(7), 600):
        height, width = pixels.shape
        got = lanczos._lanczos.shrink(pixels, width, height, out_w, out_h)
        assert got == _pillow(pixels, out_w, out_h), (width, height, out_w, out_h)


@built
@pytest.mark.parametrize("size", [(800, 600), (600, 800), (4000, 3000), (40, 3000), (3000, 40)])
def test_extension_on_photo_sizes(size: tuple[int, int]) -> None:
    pixels = np.asarray(scene(3, size).convert("L"))
    assert lanczos._lanczos.shrink(pixels, *size, 32, 32) == _pillow(pixels, 32, 32)


def test_probes_tell_the_pass_orders_apart() -> None:
    """The self-check at import only means something if the orders differ on its probes."""
    rng = np.random.default_rng(0)
    for width, height in lanczos.PROBES:
        image = Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8))
        across = image.resize((32, height), LANCZOS).resize((32, 32), LANCZOS)
        down = image.resize((width, 32), LANCZOS).resize((32, 32), LANCZOS)
        assert across.tobytes() != down.tobytes()


@built
def test_extension_refuses_what_it_does_not_handle() -> None:
    pixels = np.zeros((40, 40), dtype=np.uint8)
    for args in ((40, 40, 40, 32), (40, 40, 32, 50), (41, 40, 32, 32)):
        with pytest.raises(ValueError):
            lanczos._lanczos.shrink(pixels, *args)


@pytest.fixture(params=["extension", "pillow"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with the extension (where built) and with Pillow alone."""
    if request.param == "extension" and lanczos._lanczos is None:
        pytest.skip("the _lanczos extension is not built")
    if request.param == "pillow":
        monkeypatch.setattr(lanczos, "_lanczos", None)
    return request.param


def test_known_answers_both_ways(engine: str) -> None:
    assert PHash.format(PHash.compute_dihedral(scene(1))[0]) == SCENE_1_PHASH
    path = PDQ_REFERENCE / "bridge-1-original.jpg"
    if path.is_file():
        with Image.open(path) as image:
            assert PHash.format(PHash.compute_dihedral(image)[0]) == PHash.examples[path.name]


def test_small_and_odd_pictures_both_ways(engine: str) -> None:
    for size in ((8, 8), (32, 32), (33, 20), (20, 900), (900, 33)):
        grey = scene(5, size).convert("L")
        assert lanczos.thumbnail(grey, 32).tobytes() == _pillow(np.asarray(grey), 32, 32)


def test_whole_picture_hashes_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """hash_picture (pHash of every variant and of the content box) the same both ways."""
    import io

    pictures = []
    for seed, size in ((2, (640, 480)), (3, (300, 900)), (4, (1200, 200))):
        buffer = io.BytesIO()
        scene(seed, size).save(buffer, "JPEG", quality=90)
        pictures.append(buffer.getvalue())
    first = [hash_picture(data) for data in pictures]
    monkeypatch.setattr(lanczos, "_lanczos", None)
    assert [hash_picture(data) for data in pictures] == first
