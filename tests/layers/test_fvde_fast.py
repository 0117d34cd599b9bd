"""FileVault 2's own reader: every byte it reads equals libfvde's reading of the same volume."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

import triage.layers.fvde as fvde
from tests.layers.corestorage_image import BLOCK, hfs_like_payload, make_filevault
from tests.layers.streams import FileStream
from triage.layers import fast
from triage.layers.base import LayerError, Stream
from triage.layers.encrypted import Locked, Unlocked
from triage.layers.fvde import ENGINE_LIBFVDE, FileVault
from triage.layers.fvde_metadata import CoreStorageError
from triage.layers.fvde_plist import PlistError, parse
from triage.layers.secrets import PASSPHRASE, KeyRing, Secret

PASSWORD = "correct horse"  # noqa: S105 - a test fixture's password
RECOVERY = "35AJ-AC98-TI1H-N4M3-HDUQ-UQFG"
PAYLOAD = hfs_like_payload(3 * 1024 * 1024 + 512)  # not a whole number of blocks
DATA_AT = 64 * BLOCK  # where the generator puts the logical volume's first block
ENCRYPTED_COPIES = (16 * BLOCK, 32 * BLOCK)
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fvde") / "filevault.img"
    make_filevault(path, PAYLOAD, PASSWORD, recovery_password=RECOVERY,
                   volume_group_name="Evidence LVG", volume_name="Macintosh HD")
    return path


def _whole(stream: Stream) -> bytes:
    return b"".join(stream.read(at, min(MIB, stream.size - at))
                    for at in range(0, stream.size, MIB))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _copy(image: Path, tmp_path: Path, data: bytes | None = None) -> Path:
    target = tmp_path / "copy.img"
    target.write_bytes(image.read_bytes() if data is None else data)
    return target


def _no_libfvde(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any) -> None:
        raise AssertionError("libfvde was asked")

    monkeypatch.setattr(fvde, "_libfvde_attempt", fail)
    monkeypatch.setattr(fvde, "unlock_mac", fail)


@pytest.mark.parametrize(("secret", "protector"), [(PASSWORD, "password"),
                                                   (RECOVERY, "recovery key")])
def test_ours_reads_every_byte_as_libfvde_does(image: Path, secret: str, protector: str) -> None:
    stream = FileStream(image)
    ours = FileVault().attempt(stream, Secret(PASSPHRASE, secret))
    libfvde = fvde._libfvde_attempt(stream, Secret(PASSPHRASE, secret))
    assert isinstance(ours, Unlocked) and isinstance(libfvde, Unlocked)
    assert ours.details == {"engine": fast.aes_engine()}
    assert libfvde.details == {"engine": ENGINE_LIBFVDE}
    assert ours.stream.size == libfvde.stream.size == len(PAYLOAD)
    whole = _whole(libfvde.stream)
    assert _sha(_whole(ours.stream)) == _sha(whole) == _sha(PAYLOAD)
    for offset, length in ((1, 700), (511, 513), (BLOCK - 3, 10), (len(PAYLOAD) - 5, 100)):
        assert ours.stream.read(offset, length) == PAYLOAD[offset : offset + length]
    assert (ours.protector, ours.protector_id) == (protector, libfvde.protector_id)
    assert (libfvde.protector, ours.stream.read(len(PAYLOAD), 10)) == (protector, b"")


def test_a_compressed_encryption_context_reads_as_libfvde_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "compressed.img"
    make_filevault(path, PAYLOAD[: 256 * 1024], PASSWORD, recovery_password=RECOVERY,
                   compress_context=True)
    stream = FileStream(path)
    libfvde = fvde._libfvde_attempt(stream, Secret(PASSPHRASE, RECOVERY))
    assert isinstance(libfvde, Unlocked)
    assert _sha(_whole(libfvde.stream)) == _sha(PAYLOAD[: 256 * 1024])
    _no_libfvde(monkeypatch)
    for secret in (PASSWORD, RECOVERY):
        ours = FileVault().attempt(stream, Secret(PASSPHRASE, secret))
        assert isinstance(ours, Unlocked) and ours.details == {"engine": fast.aes_engine()}
        assert _sha(_whole(ours.stream)) == _sha(PAYLOAD[: 256 * 1024])
    assert FileVault().attempt(stream, Secret(PASSPHRASE, "wrong horse")) is None


def test_a_volume_whose_data_is_not_encrypted_reads_plain_as_in_libfvde(
        image: Path, tmp_path: Path) -> None:
    """Core Storage without encryption (or decrypted by `diskutil cs revert`): libfvde finds
    the HFS+ header in the clear and reads the blocks as they are; so does ours."""
    data = bytearray(image.read_bytes())
    data[DATA_AT : DATA_AT + len(PAYLOAD)] = PAYLOAD
    stream = FileStream(_copy(image, tmp_path, bytes(data)))
    ours = FileVault().attempt(stream, None)
    libfvde = fvde._libfvde_attempt(stream, None)
    assert isinstance(ours, Unlocked) and isinstance(libfvde, Unlocked)
    assert (ours.protector, ours.details) == ("not encrypted", {"engine": fast.aes_engine()})
    assert (libfvde.protector, libfvde.protector_id) == ("not encrypted", ours.protector_id)
    assert _sha(_whole(ours.stream)) == _sha(_whole(libfvde.stream)) == _sha(PAYLOAD)


def test_wrong_secret_and_no_secret_open_nothing_without_asking_libfvde(
        image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_libfvde(monkeypatch)
    stream = FileStream(image)
    assert FileVault().attempt(stream, None) is None
    assert FileVault().attempt(stream, Secret(PASSPHRASE, "wrong horse")) is None
    assert FileVault().attempt(stream, Secret(PASSPHRASE, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")) is None


def test_facts_from_our_reading_equal_libfvdes(image: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    stream = FileStream(image)
    ours = FileVault().facts(stream)
    monkeypatch.setattr(fvde, "read_core_storage", _declined)
    assert FileVault().facts(FileStream(image)) == ours  # libfvde's reading
    assert ours["volume_group"] == "Evidence LVG"
    [volume] = ours["logical_volumes"]
    assert (volume["name"], volume["size"]) == ("Macintosh HD", len(PAYLOAD))


def _declined(stream: Stream) -> None:
    raise CoreStorageError("a variant left to libfvde")


def test_libfvde_decrypts_what_ours_declines(image: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fvde, "read_core_storage", _declined)
    unlocked = FileVault().attempt(FileStream(image), Secret(PASSPHRASE, PASSWORD))
    assert isinstance(unlocked, Unlocked)
    assert unlocked.details == {"engine": ENGINE_LIBFVDE,
                                "engine_reason": "a variant left to libfvde"}
    assert _sha(_whole(unlocked.stream)) == _sha(PAYLOAD)
    assert FileVault().attempt(FileStream(image), Secret(PASSPHRASE, "wrong")) is None


def test_absurd_pbkdf2_count_is_refused_before_any_derivation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "crafted.img"
    make_filevault(path, PAYLOAD[: 64 * 1024], PASSWORD, iterations=4_000_000_000)
    _no_libfvde(monkeypatch)

    def derived(*args: Any) -> bytes:
        raise AssertionError("a key was derived from a crafted count")

    monkeypatch.setattr("hashlib.pbkdf2_hmac", derived)  # never derived either
    stream = FileStream(path)
    why = ("its encryption context asks for 4,000,000,000 PBKDF2 iterations, which no Mac "
           "uses (damaged or crafted); no secret was tried")
    with pytest.raises(LayerError, match="4,000,000,000 PBKDF2"):
        FileVault().attempt(stream, Secret(PASSPHRASE, PASSWORD))
    with pytest.raises(Locked) as caught:
        FileVault().open(stream, keyring=KeyRing([Secret(PASSPHRASE, PASSWORD, "file")]))
    assert str(caught.value) == f"filevault volume left locked: {why}"
    assert caught.value.encryption["facts"]["logical_volumes"][0]["size"] == 64 * 1024


def test_truncated_data_reads_short_and_as_libfvde_salvages(image: Path, tmp_path: Path) -> None:
    keep = DATA_AT + len(PAYLOAD) // 2 + 100  # inside a sector
    path = _copy(image, tmp_path, image.read_bytes()[:keep])
    stream = FileStream(path)
    ours = FileVault().attempt(stream, Secret(PASSPHRASE, PASSWORD))
    libfvde = fvde._libfvde_attempt(stream, Secret(PASSPHRASE, PASSWORD))
    assert isinstance(ours, Unlocked) and isinstance(libfvde, Unlocked)
    assert ours.details["engine"] == fast.aes_engine()
    readable = (keep - DATA_AT) // 512 * 512  # whole sectors only: nothing made up
    got = ours.stream.read(0, len(PAYLOAD))
    assert got == PAYLOAD[:readable]
    assert ours.stream.read(readable - 10, 4096) == PAYLOAD[readable - 10 : readable]
    assert ours.stream.read(readable + 512, 10) == b""
    assert libfvde.stream.read(0, len(PAYLOAD)) == got[: len(got) // 4096 * 4096]


@pytest.mark.parametrize("keep", [300, 3 * BLOCK, ENCRYPTED_COPIES[0] + 3 * BLOCK])
def test_cut_in_the_header_or_the_metadata_stays_locked_with_a_reason(
        image: Path, tmp_path: Path, keep: int) -> None:
    stream = FileStream(_copy(image, tmp_path, image.read_bytes()[:keep]))
    layer = FileVault()
    with pytest.raises(LayerError, match="libfvde cannot read this Core Storage volume"):
        layer.facts(stream)
    with pytest.raises(Locked, match="^filevault volume not opened: libfvde cannot read"):
        layer.open(stream, keyring=KeyRing([Secret(PASSPHRASE, PASSWORD, "file")]))


def test_cut_after_the_metadata_is_named_but_not_opened(image: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """libfvde aborts the whole process on this image (SIGABRT opening the logical volume):
    it is never asked here."""
    stream = FileStream(_copy(image, tmp_path, image.read_bytes()[: DATA_AT - BLOCK]))
    _no_libfvde(monkeypatch)
    assert FileVault().facts(stream)["logical_volumes"][0]["name"] == "Macintosh HD"
    assert FileVault().attempt(stream, None) is None
    with pytest.raises(Locked) as caught:
        FileVault().open(stream, keyring=KeyRing([Secret(PASSPHRASE, PASSWORD, "file")]))
    assert str(caught.value) == (
        f"filevault volume not opened: the logical volume's data lies beyond the end of the "
        f"{DATA_AT - BLOCK}-byte image (truncated)")


def test_damaged_first_encrypted_metadata_copy_opens_with_the_second_and_says_so(
        image: Path, tmp_path: Path) -> None:
    data = bytearray(image.read_bytes())
    data[ENCRYPTED_COPIES[0] + 5000] ^= 0xFF  # inside block 0: its checksum fails
    stream = FileStream(_copy(image, tmp_path, bytes(data)))
    with pytest.raises(LayerError):
        fvde._open(stream)  # libfvde reads both copies and gives up
    facts = FileVault().facts(stream)
    assert facts["logical_volumes"][0]["name"] == "Macintosh HD"
    unlocked = FileVault().attempt(stream, Secret(PASSPHRASE, PASSWORD))
    assert isinstance(unlocked, Unlocked) and unlocked.details["engine"] == fast.aes_engine()
    assert unlocked.details["problems"] == [
        "a copy of the encrypted metadata is unreadable (encrypted metadata block 0 fails its "
        "checksum)"]
    assert _sha(_whole(unlocked.stream)) == _sha(PAYLOAD)


def test_core_storage_xml_with_references_and_hex_integers() -> None:
    # The shape libfvde's documentation shows ("Conversion information"), shortened.
    text = (b'<dict ID="0"><key>com.apple.corestorage.lvf.encryption.context</key>'
            b'<dict ID="1"><key>CryptoUsers</key><array ID="2"></array>'
            b'<key>WrappedVolumeKeys</key><array ID="4"><dict ID="5"><key>VolumeKeyIndex</key>'
            b'<integer size="32" ID="6">0x0</integer><key>WrapVersion</key>'
            b'<reference IDREF="6"/><key>KEKWrappedVolumeKeyStruct</key><data ID="10">'
            b'AAEC\n  Aw==</data><key>Name</key><string>A &amp; B &lt;x&gt;</string>'
            b'<key>On</key><true/></dict></array></dict>'
            b'<key>com.apple.corestorage.lvf.sequence</key><integer size="32">0x2</integer>'
            b'<key>Size</key><integer>1048576</integer></dict>\0garbage')
    root = parse(text)
    context = root["com.apple.corestorage.lvf.encryption.context"]
    assert context["CryptoUsers"] == []
    [key] = context["WrappedVolumeKeys"]
    assert key == {"VolumeKeyIndex": 0, "WrapVersion": 0,
                   "KEKWrappedVolumeKeyStruct": b"\0\1\2\3", "Name": "A & B <x>", "On": True}
    assert (root["com.apple.corestorage.lvf.sequence"], root["Size"]) == (2, 1048576)
    for bad in (b"<dict><key>a</key>", b"<dict><key>a</key><reference IDREF='9'/></dict>",
                b"<array></array>", b"<dict><key>a</key><integer>x</integer></dict>",
                b"<dict>" * 100):
        with pytest.raises(PlistError):
            parse(bad)


def test_segments_gaps_and_tweaks_follow_the_logical_volume() -> None:
    """Segments out of physical order and unmapped blocks (zeros), as libfvde lays them out;
    each sector's tweak is its number in the logical volume, not on the disk."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from triage.layers.fvde_metadata import LogicalVolume, Segment
    from triage.layers.fvde_stream import FvdeStream
    from triage.layers.xts import XtsDecryptor

    block, key = 1024, bytes(range(32))
    plain = hfs_like_payload(4 * block)  # logical blocks 0-1 and 4-5 hold data
    disk = bytearray(16 * block)

    def encrypt(data: bytes, first_sector: int) -> bytes:
        return b"".join(
            Cipher(algorithms.AES(key), modes.XTS((first_sector + n).to_bytes(16, "little")))
            .encryptor().update(data[n * 512 : (n + 1) * 512]) for n in range(len(data) // 512))

    disk[11 * block : 13 * block] = encrypt(plain[: 2 * block], 0)  # base 1 + physical 10
    disk[3 * block : 5 * block] = encrypt(plain[2 * block :], 4 * block // 512)
    volume = LogicalVolume(1, size=7 * block, base=1, segments=[
        Segment(0, 2, 10), Segment(4, 2, 2)])
    stream = FvdeStream(_Bytes(bytes(disk)), volume, block, 512, XtsDecryptor(key, 512))
    expected = plain[: 2 * block] + bytes(2 * block) + plain[2 * block :] + bytes(block)
    assert stream.read(0, 10 * block) == expected
    assert stream.read(2 * block - 7, 2 * block + 14) == expected[2 * block - 7 : 4 * block + 7]
    plain_stream = FvdeStream(_Bytes(bytes(disk)), volume, block, 512, None)
    assert plain_stream.read(4 * block, block) == bytes(disk[3 * block : 4 * block])


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + max(0, length)]
