"""Canonical JSON: one spelling per value, so equal reports are equal bytes."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.report.factory import report
from triage.report.canonical import FLOAT_DECIMALS, canonical_bytes, canonical_float


def test_known_answer() -> None:
    obj = {"b": [1, 2.5, None, True, False], "a": {"z": "é", "y": -0.0}, "c": 10**20}
    assert canonical_bytes(obj) == (
        '{"a":{"y":0.0,"z":"é"},"b":[1,2.5,null,true,false],"c":100000000000000000000}'
    ).encode()


def test_keys_sorted_whatever_the_insertion_order() -> None:
    first = {"x": 1, "a": {"q": 1, "b": 2}}
    second = {"a": {"b": 2, "q": 1}, "x": 1}
    assert canonical_bytes(first) == canonical_bytes(second)


@pytest.mark.parametrize(
    ("value", "text"),
    [(2.0, "2.0"), (0.1 + 0.2, "0.3"), (1e-7, "0.0"), (-0.0, "0.0"), (123.4567891, "123.456789"),
     (1e16, "10000000000000000.0"), (-2.5, "-2.5")],
)
def test_float_formatting_is_fixed_point(value: float, text: str) -> None:
    assert canonical_float(value) == text
    assert canonical_bytes([value]) == f"[{text}]".encode()


def test_bool_stays_bool_and_int_stays_int() -> None:
    assert canonical_bytes([True, 1, 1.0]) == b"[true,1,1.0]"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_rejected(bad: float) -> None:
    with pytest.raises(ValueError, match=r"\$\.x\[0\]"):
        canonical_bytes({"x": [bad]})


def test_non_string_keys_and_unknown_types_rejected() -> None:
    with pytest.raises(TypeError, match="keys must be strings"):
        canonical_bytes({1: "a"})
    with pytest.raises(TypeError, match="set"):
        canonical_bytes({"a": {1, 2}})


def test_lone_surrogate_from_a_raw_file_name_round_trips() -> None:
    name = b"bad\xff.jpg".decode("utf-8", "surrogateescape")
    data = canonical_bytes({"name": name})
    assert data == b'{"name":"bad\\udcff.jpg"}'
    assert json.loads(data)["name"] == name


def test_two_scans_give_identical_findings_bytes() -> None:
    # Same findings, assembled in a different key order and with timing noise in floats
    # far below the fixed precision: the bytes must not differ.
    first = report()
    second = report()
    second["findings"] = [dict(reversed(list(f.items()))) for f in second["findings"]]
    first["findings"][0]["detail"] = {"score": 0.5}
    second["findings"][0]["detail"] = {"score": 0.5 + 10 ** -(FLOAT_DECIMALS + 3)}
    assert canonical_bytes(first["findings"]) == canonical_bytes(second["findings"])
    second["findings"][0]["detail"] = {"score": 0.51}
    assert canonical_bytes(first["findings"]) != canonical_bytes(second["findings"])


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_json)
def test_canonical_form_is_a_fixed_point(value: object) -> None:
    data = canonical_bytes(value)
    assert canonical_bytes(json.loads(data)) == data
