"""pHash: pinned values, identity with imagehash, and the DCT-derived dihedral variants."""

from __future__ import annotations

import imagehash
import pytest

from triage.perceptual.dihedral import DIHEDRAL_NAMES, apply
from triage.perceptual.phash import PHash

from .conftest import PDQ_REFERENCE, scene

# Pinned with imagehash 4.3.2 on conftest.scene(1); a change here means every stored pHash
# set would silently stop matching.
SCENE_1_PHASH = "fb189de044b6179c"


def test_pinned_value_of_generated_scene() -> None:
    assert PHash.format(PHash.compute_dihedral(scene(1))[0]) == SCENE_1_PHASH
    assert str(imagehash.phash(scene(1))) == SCENE_1_PHASH


def test_pinned_value_of_reference_photo() -> None:
    path = PDQ_REFERENCE / "bridge-1-original.jpg"
    if not path.is_file():
        pytest.skip("shared/pdq-reference is absent")
    from PIL import Image

    with Image.open(path) as image:
        assert PHash.format(PHash.compute_dihedral(image)[0]) == PHash.examples[path.name]


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_each_variant_equals_imagehash_of_the_transformed_picture(seed: int) -> None:
    image = scene(seed, (300, 200))
    variants = PHash.compute_dihedral(image)
    for index, name in enumerate(DIHEDRAL_NAMES):
        assert PHash.format(variants[index]) == str(imagehash.phash(apply(image, index))), name


def test_parse_rejects_wrong_length_and_round_trips() -> None:
    assert PHash.format(PHash.parse(SCENE_1_PHASH.upper())) == SCENE_1_PHASH
    with pytest.raises(ValueError, match="16 hex digits"):
        PHash.parse(SCENE_1_PHASH + "00")
    assert PHash.distance(PHash.parse("ffffffffffffffff"), PHash.parse("0" * 16)) == 64
