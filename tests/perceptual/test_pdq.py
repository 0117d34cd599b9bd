"""PDQ: hex form, distance, known answers and conformance with Meta's C++ reference hashes."""

from __future__ import annotations

import numpy as np
import pytest

from triage.perceptual import hash_picture
from triage.perceptual.dihedral import DIHEDRAL_NAMES
from triage.perceptual.pdq import Pdq
from triage.perceptual.thresholds import PDQ_CONFORMANCE_TOLERANCE

from .conftest import PDQ_REFERENCE

# File order in shared/pdq-reference matches pdqhash's dihedral order.
_FILES = [
    "bridge-1-original.jpg",
    "bridge-2-rotate-90.jpg",
    "bridge-3-rotate-180.jpg",
    "bridge-4-rotate-270.jpg",
    "bridge-5-flipx.jpg",
    "bridge-6-flipy.jpg",
    "bridge-7-flip-plus-1.jpg",
    "bridge-8-flip-minus-1.jpg",
]


def test_hex_round_trips_and_normalises_case() -> None:
    text = Pdq.examples["bridge-1-original.jpg"]
    assert Pdq.format(Pdq.parse(text.upper())) == text
    assert Pdq.format(Pdq.parse("0x" + text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [("abc", "64 hex digits, got 3"), ("g" * 64, "is not hexadecimal")],
)
def test_bad_hex_is_one_clear_sentence(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Pdq.parse(text)


def test_distance_counts_differing_bits() -> None:
    zero = Pdq.parse(Pdq.examples["black"])
    assert Pdq.distance(zero, zero) == 0
    assert Pdq.distance(zero, bytes([0xFF] * 32)) == 256
    assert Pdq.matches(zero, bytes([0x0F] + [0] * 31)) == (True, 4)
    assert Pdq.matches(zero, bytes([0xFF] * 4) + bytes(28)) == (False, 32)


def test_black_picture_has_quality_zero() -> None:
    hashes, quality = Pdq.compute_dihedral(np.zeros((64, 64, 3), dtype=np.uint8))
    assert Pdq.format(hashes[0]) == Pdq.examples["black"]
    assert quality == 0


def test_known_answer_on_reference_photo(pdq_reference: dict[str, str]) -> None:
    result = hash_picture((PDQ_REFERENCE / _FILES[0]).read_bytes())
    assert not isinstance(result, str)
    assert result.pdq == Pdq.examples["bridge-1-original.jpg"]
    assert result.pdq_quality == 100


@pytest.mark.parametrize("file_name", _FILES)
def test_conforms_to_cpp_reference_within_tolerance(
    pdq_reference: dict[str, str], file_name: str
) -> None:
    result = hash_picture((PDQ_REFERENCE / file_name).read_bytes())
    assert not isinstance(result, str)
    assert result.pdq_quality >= 80  # Meta's tolerance applies to quality >= 80
    expected = Pdq.parse(pdq_reference[file_name])
    assert Pdq.distance(Pdq.parse(result.pdq), expected) <= PDQ_CONFORMANCE_TOLERANCE


def test_dihedral_variants_of_original_land_on_rotated_files(
    pdq_reference: dict[str, str],
) -> None:
    result = hash_picture((PDQ_REFERENCE / _FILES[0]).read_bytes())
    assert not isinstance(result, str)
    variants = result.variants[0].pdq
    assert len(variants) == len(DIHEDRAL_NAMES) == 8
    for index, file_name in enumerate(_FILES):
        expected = Pdq.parse(pdq_reference[file_name])
        distances = [Pdq.distance(Pdq.parse(v), expected) for v in variants]
        assert distances[index] <= PDQ_CONFORMANCE_TOLERANCE, file_name
        # ...and only that variant: the others are different pictures to PDQ.
        assert sorted(distances)[1] > Pdq.match_distance, file_name
