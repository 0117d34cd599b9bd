"""Secrets: recovery passwords checked before use, unlock files read, values never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.errors import UsageError
from triage.layers.secrets import (
    PASSPHRASE,
    RECOVERY_PASSWORD,
    STARTUP_KEY,
    KeyRing,
    Secret,
    classify,
    load_unlock_file,
    recovery_password_problem,
)

# Every group a multiple of 11 below 720896 (the shape Windows prints).
GOOD = "111111-222222-333333-444444-555555-666666-000000-123453"


def test_well_formed_recovery_password_passes() -> None:
    assert recovery_password_problem(GOOD) is None


@pytest.mark.parametrize(("text", "problem"), [
    ("111111-222222-333333-444444-555555-666666-000000-123456",
     "group 8 of the recovery password has a typing error; check it"),
    ("111112-222222-333333-444444-555555-666666-000000-123453",
     "group 1 of the recovery password has a typing error; check it"),
    ("111111-222222-333333-444444-555555-666666-000000-720896",  # 11 * 65536: too large
     "group 8 of the recovery password has a typing error; check it"),
    ("111111-222222-333333", "a recovery password is 8 groups of 6 digits separated by '-'"),
])
def test_typing_slips_are_caught_before_any_attempt(text: str, problem: str) -> None:
    assert recovery_password_problem(text) == problem


def test_classify_tells_recovery_passwords_from_passphrases() -> None:
    assert classify(GOOD, "typed").kind == RECOVERY_PASSWORD
    spaced = GOOD.replace("-", " ")
    assert classify(spaced, "typed") == Secret(RECOVERY_PASSWORD, GOOD, "typed")
    assert classify("my dog's name", "typed").kind == PASSPHRASE
    with pytest.raises(UsageError, match="^unlock file 1, line 2: group 8 .* check it.$"):
        classify(GOOD[:-1] + "6", "unlock file 1, line 2")


def test_secret_value_never_in_repr_or_str() -> None:
    secret = Secret(PASSPHRASE, "hunter2-top-secret", "unlock file 1, line 1")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert "hunter2" not in repr(KeyRing([secret]))


def test_unlock_file_one_secret_per_line(tmp_path: Path) -> None:
    path = tmp_path / "keys.txt"
    path.write_text(f"{GOOD}\n\npass phrase with spaces \r\n")
    secrets = load_unlock_file(path, 3)
    assert [(s.kind, s.value, s.origin) for s in secrets] == [
        (RECOVERY_PASSWORD, GOOD, "unlock file 3, line 1"),
        (PASSPHRASE, "pass phrase with spaces ", "unlock file 3, line 3"),
    ]


def test_unlock_file_with_a_bad_recovery_password_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "keys.txt"
    path.write_text("first\n" + GOOD[:-1] + "0\n")
    with pytest.raises(UsageError) as caught:
        load_unlock_file(path, 1)
    assert str(caught.value) == ("unlock file 1, line 2: group 8 of the recovery password has "
                                 "a typing error; check it.")
    assert GOOD[:-1] not in str(caught.value)


def test_bek_file_is_a_startup_key(tmp_path: Path) -> None:
    size = 124
    bek = (size.to_bytes(4, "little") + (1).to_bytes(4, "little") + (0x30).to_bytes(4, "little")
           + size.to_bytes(4, "little") + bytes(size - 16))
    path = tmp_path / "2F1A.BEK"
    path.write_bytes(bek)
    assert load_unlock_file(path, 1) == [Secret(STARTUP_KEY, str(path), "unlock file 1")]


def test_missing_or_binary_unlock_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the unlock file"):
        load_unlock_file(tmp_path / "nope.txt", 1)
    binary = tmp_path / "random.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(UsageError, match="neither text nor a BitLocker .BEK key file"):
        load_unlock_file(binary, 1)


def test_keyring_remembers_typed_secrets_for_the_next_volume() -> None:
    ring = KeyRing(prompt=lambda facts: Secret(PASSPHRASE, "typed once", "typed"))
    assert ring.ask({"kind": "luks2"}) is not None
    assert [s.value for s in ring.secrets] == ["typed once"]
    assert KeyRing().ask({"kind": "luks2"}) is None


def test_a_filevault_recovery_key_is_known_by_its_shape() -> None:
    from triage.layers.secrets import looks_like_mac_recovery_key

    assert looks_like_mac_recovery_key("K3PQ-7XW2-MZ4D-9HTB-RV6C-LN8F")
    assert looks_like_mac_recovery_key(" k3pq-7xw2-mz4d-9htb-rv6c-ln8f\n")
    assert not looks_like_mac_recovery_key("K3PQ-7XW2-MZ4D-9HTB-RV6C")  # a group short
    assert not looks_like_mac_recovery_key("correct horse battery staple")
    assert not looks_like_mac_recovery_key("111111-222222-333333-444444-555555-666666")
