"""LUKS1 and LUKS2 volumes made with cryptsetup: right, wrong and no secret; truncated volumes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.layers.encrypted_images import PASSPHRASE, PLAIN_SIZE, Made, expected_sha256
from tests.layers.streams import FileStream, files_sha256
from triage.layers import registry
from triage.layers.encrypted import Locked
from triage.layers.encryption import ENCRYPTION_LAYERS
from triage.layers.secrets import PASSPHRASE as KIND_PASSPHRASE
from triage.layers.secrets import KeyRing, Secret

VOLUMES = ["luks2", "luks2_pbkdf2_4k", "luks1", "luks1_cbc"]


def _ring(*values: str) -> KeyRing:
    return KeyRing([Secret(KIND_PASSPHRASE, v, f"test {n}") for n, v in enumerate(values)])


@pytest.mark.parametrize("name", [*VOLUMES, "luks2_plain"])
def test_right_passphrase_lists_the_files_with_their_sha256(
        name: str, luks_volume: Callable[[str], Made], check_unchanged: Callable) -> None:
    made = luks_volume(name)
    before = _sha256(made.path)
    stream = FileStream(made.path)
    layer = registry.identify(stream)
    assert layer is not None and layer.name == name.split("_")[0]
    [opened] = layer.open(stream, keyring=_ring("wrong one", PASSPHRASE))
    assert opened.facts["encryption"]["state"] == "unlocked"
    assert opened.facts["encryption"]["protector"] == "passphrase"
    # The decrypted bytes are the plain file system cryptsetup was given, byte for byte ...
    assert opened.stream.read(0, PLAIN_SIZE) == made.plain.read_bytes()
    # ... so every file reads back with the SHA-256 of the picture put in.
    assert files_sha256(opened.stream) == expected_sha256()
    check_unchanged(made.path, before)


@pytest.mark.parametrize("name", ["luks1", "luks1_sha1_128"])
def test_luks1_xts_is_read_here_byte_for_byte_as_libluksde_reads_it(
        name: str, luks_volume: Callable[[str], Made]) -> None:
    import pyluksde

    from triage.layers.encrypted import StreamFile

    stream = FileStream(luks_volume(name).path)
    [opened] = registry.LAYERS["luks1"].open(stream, keyring=_ring(PASSPHRASE))
    assert opened.label == "luks1 (unlocked: passphrase, key slot 0)"
    volume = pyluksde.volume()
    volume.open_file_object(StreamFile(stream))
    volume.set_password(PASSPHRASE)
    assert volume.unlock()
    assert opened.stream.size == volume.get_size()
    step = 1024 * 1024
    for offset in range(0, volume.get_size(), step):
        length = min(step, volume.get_size() - offset)
        assert opened.stream.read(offset, length) == volume.read_buffer_at_offset(
            length, offset), offset
    # A read not on a sector boundary is right here; libluksde (20260923) gets it wrong, which
    # never mattered to the scan (the chunk cache reads it in aligned chunks).
    plain = luks_volume(name).plain.read_bytes()
    assert opened.stream.read(1000, 5000) == plain[1000:6000]
    assert volume.read_buffer_at_offset(512, 1024) == plain[1024:1536]
    volume.close()


def test_luks1_second_key_slot_opens_and_is_named(
        luks_volume: Callable[[str], Made], tmp_path: Path) -> None:
    import subprocess

    made = luks_volume("luks1")
    copy = tmp_path / "two-slots.img"
    shutil.copyfile(made.path, copy)
    old, new = tmp_path / "old.key", tmp_path / "new.key"
    old.write_text(PASSPHRASE)
    new.write_text("another passphrase")
    subprocess.run(["cryptsetup", "luksAddKey", "--batch-mode", "--pbkdf-force-iterations",
                    "1000", "--key-file", str(old), str(copy), str(new)],
                   check=True, capture_output=True)
    stream = FileStream(copy)
    [opened] = registry.LAYERS["luks1"].open(stream, keyring=_ring("another passphrase"))
    assert opened.label == "luks1 (unlocked: passphrase, key slot 1)"
    assert opened.stream.read(0, PLAIN_SIZE) == made.plain.read_bytes()
    facts = registry.LAYERS["luks1"].facts(stream)  # type: ignore[attr-defined]
    assert [slot["slot"] for slot in facts["key_slots"]] == [0, 1]


def test_luks1_other_ciphers_are_read_by_libluksde(luks_volume: Callable[[str], Made]) -> None:
    made = luks_volume("luks1_cbc")
    stream = FileStream(made.path)
    [opened] = registry.LAYERS["luks1"].open(stream, keyring=_ring(PASSPHRASE))
    assert opened.label == "luks1 (unlocked: passphrase)"  # libluksde names no key slot
    assert opened.stream.read(0, PLAIN_SIZE) == made.plain.read_bytes()


def test_luks2_label_names_the_key_slot(luks_volume: Callable[[str], Made]) -> None:
    stream = FileStream(luks_volume("luks2").path)
    [opened] = registry.LAYERS["luks2"].open(stream, keyring=_ring(PASSPHRASE))
    assert opened.label == "luks2 (unlocked: passphrase, key slot 0)"


@pytest.mark.parametrize("name", VOLUMES)
def test_wrong_passphrase_leaves_it_locked_with_one_sentence(
        name: str, luks_volume: Callable[[str], Made]) -> None:
    stream = FileStream(luks_volume(name).path)
    layer = registry.identify(stream)
    with pytest.raises(Locked) as caught:
        layer.open(stream, keyring=_ring("not it", "nor this"))
    assert str(caught.value) == (f"{layer.name} volume left locked: none of the 2 secrets "
                                 "given opens it")
    assert caught.value.encryption["state"] == "locked"
    assert caught.value.encryption["facts"]["key_slots"][0]["slot"] == 0


@pytest.mark.parametrize("name", VOLUMES)
def test_no_secret_says_so_and_shows_the_key_slots(
        name: str, luks_volume: Callable[[str], Made]) -> None:
    stream = FileStream(luks_volume(name).path)
    layer = registry.identify(stream)
    with pytest.raises(Locked) as caught:
        layer.open(stream)
    assert str(caught.value) == f"{layer.name} volume left locked: no secret was given for it"
    facts = caught.value.encryption["facts"]
    assert [slot["slot"] for slot in facts["key_slots"]] == [0]
    assert facts["cipher"] == ("aes-cbc-essiv:sha256" if name == "luks1_cbc"
                               else "aes-xts-plain64")
    assert PASSPHRASE not in json.dumps(caught.value.encryption)


def test_prompt_is_asked_until_the_right_secret_and_shown_the_facts(
        luks_volume: Callable[[str], Made]) -> None:
    stream = FileStream(luks_volume("luks2").path)
    asked: list[dict] = []
    answers = iter(["typo", PASSPHRASE])

    def prompt(facts: dict) -> Secret | None:
        asked.append(facts)
        return Secret(KIND_PASSPHRASE, next(answers), "typed")

    ring = KeyRing(prompt=prompt)
    [opened] = registry.LAYERS["luks2"].open(stream, keyring=ring)
    assert opened.stream.size > 0
    assert [a["tried"] for a in asked] == [0, 1]
    assert asked[0]["kind"] == "luks2" and asked[0]["facts"]["key_slots"]


def test_prompt_skip_leaves_it_locked(luks_volume: Callable[[str], Made]) -> None:
    stream = FileStream(luks_volume("luks1").path)
    with pytest.raises(Locked, match="no secret was given"):
        registry.LAYERS["luks1"].open(stream, keyring=KeyRing(prompt=lambda facts: None))


@pytest.mark.parametrize("name", VOLUMES)
def test_truncated_in_the_data_opens_and_reads_short(
        name: str, luks_volume: Callable[[str], Made], tmp_path: Path) -> None:
    made = luks_volume(name)
    cut = tmp_path / "cut.img"
    keep = made.data_offset + PLAIN_SIZE // 2 + 100  # not on a sector boundary
    with made.path.open("rb") as src, cut.open("wb") as out:
        out.write(src.read(keep))
    stream = FileStream(cut)
    layer = registry.identify(stream)
    [opened] = layer.open(stream, keyring=_ring(PASSPHRASE))
    head = opened.stream.read(0, 1024 * 1024)
    assert head == made.plain.read_bytes()[: 1024 * 1024]
    tail = opened.stream.read(PLAIN_SIZE // 2 - 4096, 64 * 1024)
    assert len(tail) < 64 * 1024  # what lies past the cut is not made up


@pytest.mark.parametrize("name", VOLUMES)
def test_truncated_in_the_header_is_locked_with_the_reason(
        name: str, luks_volume: Callable[[str], Made], tmp_path: Path) -> None:
    made = luks_volume(name)
    cut = tmp_path / "cut.img"
    with made.path.open("rb") as src, cut.open("wb") as out:
        out.write(src.read(12 * 1024))  # the binary header and part of the rest
    stream = FileStream(cut)
    layer = registry.identify(stream)
    assert layer is not None and layer.name in ENCRYPTION_LAYERS
    with pytest.raises(Locked) as caught:
        layer.open(stream, keyring=_ring(PASSPHRASE))
    assert caught.value.encryption["kind"] == layer.name
    assert caught.value.encryption["state"] == "locked"
    assert "\n" not in str(caught.value)


def test_luks2_damaged_primary_header_uses_the_secondary(
        luks_volume: Callable[[str], Made], tmp_path: Path) -> None:
    made = luks_volume("luks2")
    copy = tmp_path / "damaged.img"
    shutil.copyfile(made.path, copy)
    with copy.open("r+b") as handle:
        handle.seek(4096 + 10)
        handle.write(b"garbage!")  # inside the primary JSON: its checksum no longer matches
    stream = FileStream(copy)
    [opened] = registry.LAYERS["luks2"].open(stream, keyring=_ring(PASSPHRASE))
    assert files_sha256(opened.stream) == expected_sha256()


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["luks1", "luks1_cbc"])  # ours, and libluksde's way
def test_luks1_key_slot_asking_for_absurd_iterations_is_not_tried(
        name: str, luks_volume: Callable[[str], Made], tmp_path: Path) -> None:
    import struct

    from triage.layers.luks_limits import MAX_PBKDF2_ITERATIONS

    copy = tmp_path / "crafted.img"
    shutil.copyfile(luks_volume(name).path, copy)
    with copy.open("r+b") as handle:
        handle.seek(208 + 4)  # key slot 0's PBKDF2 iterations
        handle.write(struct.pack(">I", MAX_PBKDF2_ITERATIONS + 1))
    with pytest.raises(Locked) as caught:
        registry.LAYERS["luks1"].open(FileStream(copy), keyring=_ring(PASSPHRASE))
    assert str(caught.value) == (
        f"luks1 volume not opened: LUKS1 key slot 0 asks for {MAX_PBKDF2_ITERATIONS + 1} "
        "PBKDF2 iterations, which no cryptsetup volume uses (damaged or crafted header); "
        "not tried")


@pytest.mark.parametrize(("kdf", "change"), [
    ("argon2id", {"memory": 8 * 1024 * 1024}), ("argon2id", {"time": 100000}),
    ("pbkdf2", {"iterations": 2**40}), ("stripes", {"stripes": 2**31})])
def test_luks2_key_slot_asking_for_absurd_costs_is_not_tried(
        kdf: str, change: dict, luks_volume: Callable[[str], Made]) -> None:
    import copy
    import dataclasses

    from triage.layers.base import LayerError
    from triage.layers.luks2_header import open_keyslot, read_header

    name = "luks2_pbkdf2_4k" if kdf == "pbkdf2" else "luks2"
    stream = FileStream(luks_volume(name).path)
    header = read_header(stream)
    metadata = copy.deepcopy(header.metadata)
    slot = metadata["keyslots"]["0"]
    (slot["af"] if kdf == "stripes" else slot["kdf"]).update(change)
    crafted = dataclasses.replace(header, metadata=metadata)
    with pytest.raises(LayerError, match=r"no cryptsetup volume uses \(damaged or crafted"):
        open_keyslot(stream, crafted, "0", PASSPHRASE.encode())
