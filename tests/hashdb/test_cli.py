"""The `hashset` command group, driven through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.hashdb.conftest import digests
from triage import keys
from triage.errors import InvalidInputError
from triage.hashdb.bundle import Bundle
from triage.hashdb.cli import hashset
from triage.hashdb.images import file_digests
from triage.hashdb.library import HashSetLibrary

MD5 = digests("md5", 5, "cli")


def run(*args: object) -> Result:
    return CliRunner().invoke(hashset, [str(a) for a in args])


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_every_command_has_help() -> None:
    for name, command in hashset.commands.items():
        assert command.help, name
        assert run(name, "--help").exit_code == 0


def test_import_signed_then_list_info_verify(
    tmp_path: Path, lab_key: keys.SigningKey, trusted_dir: Path
) -> None:
    src = write(tmp_path / "a.md5", "\n".join(MD5) + "\nnonsense\n" + MD5[0] + "\n")
    out = tmp_path / "sets"
    result = run(
        "import",
        src,
        "--name",
        "cat-a",
        "--category",
        "A",
        "--version",
        "4",
        "--expires",
        "2099-01-01",
        "--sign",
        tmp_path / "keys" / "lab.key",
        "--into",
        out,
    )
    assert result.exit_code == 0, result.output
    assert f"{src}:6: not a hex MD5 digest (8 characters)" in result.output
    assert result.output.endswith("5 accepted, 1 rejected, 1 duplicates\n")
    listed = run("list", out, "--trusted", trusted_dir)
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[1].split() == [
        "cat-a", "4", "notable", "5", lab_key.fingerprint, "2099-01-01", "trusted"]
    info = run("info", out / "cat-a.hashset")
    assert "count:      md5 5" in info.output and "categories: A" in info.output
    verified = run("verify", out / "cat-a.hashset", "--trusted", trusted_dir)
    assert verified.exit_code == 0, verified.output
    assert "intact, signed by" in verified.output


def test_verify_of_a_tampered_bundle_fails(tmp_path: Path, lab_key, trusted_dir: Path) -> None:
    src = write(tmp_path / "a.md5", "\n".join(MD5))
    out = tmp_path / "sets"
    run("import", src, "--name", "s", "--sign", tmp_path / "keys" / "lab.key", "--into", out)
    key_file = out / "s.hashset" / "md5.key"
    key_file.write_bytes(bytes([key_file.read_bytes()[0] ^ 1]) + key_file.read_bytes()[1:])
    result = run("verify", out / "s.hashset", "--trusted", trusted_dir)
    assert isinstance(result.exception, InvalidInputError)
    assert "failed verification (1 problems)" in str(result.exception)
    assert "file md5.key does not match its manifest" in result.output


def test_import_errors_are_one_sentence(tmp_path: Path) -> None:
    src = write(tmp_path / "a.md5", "\n".join(MD5))
    result = run("import", src, "--name", "x", "--expires", "next year", "--into", tmp_path)
    assert str(result.exception) == "--expires 'next year' is not a date; write it as YYYY-MM-DD."
    result = run("import", src, "--name", "../up", "--into", tmp_path)
    assert "is not usable as a folder name" in str(result.exception)
    result = run("import", src, "--name", "x", "--severity", "C=extreme", "--into", tmp_path)
    assert "is not a severity" in str(result.exception)
    result = run("import", src, "--name", "x", "--format", "sha1sum", "--into", tmp_path)
    assert "no hashes were accepted" in str(result.exception)
    assert not (tmp_path / "x.hashset").exists()


def test_known_good_import_suppresses_a_hit(tmp_path: Path) -> None:
    out = tmp_path / "sets"
    run("import", write(tmp_path / "bad.md5", "\n".join(MD5)), "--name", "bad", "--into", out)
    run("import", write(tmp_path / "os.md5", MD5[0]), "--name", "os", "--known-good", "--into", out)
    matches = HashSetLibrary.load(out).lookup(md5=MD5[0])
    assert {(m.set_name, m.known_good) for m in matches} == {("bad", False), ("os", True)}


def test_add_images_hashes_every_file_with_its_name(tmp_path: Path) -> None:
    pictures = tmp_path / "pictures"
    (pictures / "sub").mkdir(parents=True)
    (pictures / "one.png").write_bytes(b"\x89PNG benign one")
    (pictures / "sub" / "two.jpg").write_bytes(b"\xff\xd8 benign two")
    result = run(
        "add-images", pictures, "--name", "refs", "--category", "B", "--into", tmp_path / "sets"
    )
    assert result.exit_code == 0, result.output
    assert "no perceptual set made" in result.output  # these stand-ins do not decode
    lib = HashSetLibrary.load(tmp_path / "sets")
    found = file_digests(pictures / "sub" / "two.jpg")
    match = lib.lookup(sha256=found["sha256"].hex())[0]
    assert (match.reference, match.category, match.algorithm) == ("sub/two.jpg", "B", "sha256")
    assert lib.lookup(md5=found["md5"].hex())[0].reference == "sub/two.jpg"
    assert Bundle.open(tmp_path / "sets" / "refs.hashset").counts == {
        "md5": 2,
        "sha1": 2,
        "sha256": 2,
    }


def test_sets_made_from_the_files_need_only_their_sha256_at_scan_time(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "a.bin").write_bytes(b"benign known file a")
    (files / "b.bin").write_bytes(b"benign known file b")
    assert run("add-files", files, "--name", "refs", "--into", tmp_path / "sets").exit_code == 0
    bundle = Bundle.open(tmp_path / "sets" / "refs.hashset")
    # every MD5 and SHA-1 entry came with its file's SHA-256: a scan computes SHA-256 alone
    assert bundle.manifest["sha256_covers"] == ["md5", "sha1"]
    assert bundle.algorithms == {"md5", "sha1", "sha256"}
    assert bundle.needed_algorithms == {"sha256"}
    assert HashSetLibrary.load(tmp_path / "sets").algorithms == {"sha256"}
    # an MD5 list beside it is found through MD5 only, so MD5 is needed again
    src = write(tmp_path / "a.md5", "\n".join(MD5) + "\n")
    assert run("import", src, "--name", "md5s", "--format", "md5sum",
               "--into", tmp_path / "sets").exit_code == 0
    listed = Bundle.open(tmp_path / "sets" / "md5s.hashset")
    assert "sha256_covers" not in listed.manifest and listed.needed_algorithms == {"md5"}
    assert HashSetLibrary.load(tmp_path / "sets").algorithms == {"md5", "sha256"}


def test_add_images_of_an_empty_folder_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("add-images", tmp_path / "empty", "--name", "e", "--into", tmp_path / "sets")
    assert "holds no readable files" in str(result.exception)


@pytest.mark.parametrize("bad", ["1", "=A", "1=", "1=A,2"])
def test_category_map_must_be_pairs(tmp_path: Path, bad: str) -> None:
    src = write(tmp_path / "a.md5", MD5[0])
    result = run("import", src, "--name", "x", "--category-map", bad, "--into", tmp_path)
    assert "is not KEY=VALUE" in str(result.exception)


def test_passphrase_protected_key_is_asked_for(tmp_path: Path, trusted_dir: Path) -> None:
    locked = keys.generate(tmp_path / "locked", "lab2", passphrase=b"s3cret")
    (trusted_dir / "lab2.pub").write_bytes(keys.public_pem(locked.public))
    src = write(tmp_path / "a.md5", MD5[0])
    key = tmp_path / "locked" / "lab2.key"
    result = run("import", src, "--name", "p", "--sign", key, "--into", tmp_path / "sets")
    assert "give it with --passphrase" in str(result.exception)
    result = CliRunner().invoke(
        hashset,
        [
            "import",
            str(src),
            "--name",
            "p",
            "--sign",
            str(key),
            "--passphrase",
            "--into",
            str(tmp_path / "sets"),
        ],
        input="s3cret\n",
    )
    assert result.exit_code == 0, result.output
    assert run("verify", tmp_path / "sets" / "p.hashset", "--trusted", trusted_dir).exit_code == 0


def test_diff_and_update_through_the_commands(tmp_path: Path, lab_key, trusted_dir) -> None:
    out = tmp_path / "sets"
    key = tmp_path / "keys" / "lab.key"
    run(
        "import",
        write(tmp_path / "v1.md5", "\n".join(MD5[:3])),
        "--name",
        "s",
        "--into",
        out,
        "--sign",
        key,
    )
    run(
        "import",
        write(tmp_path / "v2.md5", "\n".join(MD5[1:])),
        "--name",
        "s",
        "--version",
        "2",
        "--into",
        tmp_path / "v2",
        "--sign",
        key,
    )
    delta_file = tmp_path / "s.delta"
    result = run("diff", out / "s.hashset", tmp_path / "v2" / "s.hashset", "--out", delta_file)
    assert result.output.splitlines()[:2] == ["s 1 -> s 2", "md5: +2 -1 ~0 recategorised"]
    result = run("update", out / "s.hashset", delta_file, "--sign", key)
    assert result.exit_code == 0, result.output
    assert run("verify", out / "s.hashset", "--trusted", trusted_dir).exit_code == 0
    lib = HashSetLibrary.load(out, trusted_dir)
    assert lib.trust_problems == []
    assert lib.lookup(md5=MD5[0]) == [] and lib.lookup(md5=MD5[4])[0].set_version == "2"


def test_list_has_a_header_and_names_a_broken_bundle(tmp_path: Path, lab_key,
                                                      trusted_dir: Path) -> None:
    out = tmp_path / "sets"
    src = write(tmp_path / "a.md5", "\n".join(MD5))
    run("import", src, "--name", "good", "--sign", tmp_path / "keys" / "lab.key", "--into", out)
    run("import", src, "--name", "unsigned", "--into", out)
    (out / "broken.hashset").mkdir()
    (out / "broken.hashset" / "manifest.json").write_text("{x")
    listed = run("list", out, "--trusted", trusted_dir)
    assert isinstance(listed.exception, InvalidInputError)  # exit 4 through `triage`
    rows = [line.split(None, 6) for line in listed.stdout.splitlines()]
    assert rows == [
        ["NAME", "VERSION", "KIND", "ENTRIES", "SIGNER", "EXPIRES", "STATE"],
        ["broken.hashset", "-", "-", "-", "-", "-", "NOT USABLE"],
        ["good", "1", "notable", "5", lab_key.fingerprint, "-", "trusted"],
        ["unsigned", "1", "notable", "5", "-", "-", "NOT TRUSTED"],
    ]
    assert "broken.hashset: " in listed.stderr
    assert "manifest.json is not valid JSON" in listed.stderr
    assert "unsigned.hashset: hash set 'unsigned' is not signed" in listed.stderr
    assert "1 hash set(s) in" in str(listed.exception)


def test_list_and_verify_use_the_same_words(tmp_path: Path, lab_key, trusted_dir: Path) -> None:
    out = tmp_path / "sets"
    src = write(tmp_path / "a.md5", "\n".join(MD5))
    run("import", src, "--name", "good", "--sign", tmp_path / "keys" / "lab.key", "--into", out)
    for extra, state in (((), "signer not checked (no --trusted given)"),
                         (("--trusted", trusted_dir), "trusted")):
        listed = run("list", out, *extra)
        assert listed.exit_code == 0 and listed.stdout.splitlines()[1].endswith(state)
        verified = run("verify", out / "good.hashset", *extra)
        assert verified.stdout.endswith(f"; {state}\n")


def _photo(path: Path, seed: int) -> None:
    """A benign photo-like picture (noise field) big enough for distinctive 4 KiB blocks."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)).save(path, quality=95)


def test_list_shows_perceptual_sets_and_block_filters_with_their_trust(
        tmp_path: Path, lab_key, trusted_dir: Path) -> None:
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for n in range(3):
        _photo(pictures / f"p{n}.jpg", n)
    out = tmp_path / "sets"
    made = run("add-images", pictures, "--name", "refs", "--category", "B", "--into", out,
               "--sign", tmp_path / "keys" / "lab.key")
    assert made.exit_code == 0, made.output
    listed = run("list", out, "--trusted", trusted_dir)
    assert listed.exit_code == 0, listed.output
    rows = {tuple(line.split(None, 6)[:3]): line.split(None, 6)[3:]
            for line in listed.stdout.splitlines()[1:]}
    assert rows[("refs", "1", "perceptual")] == ["3", lab_key.fingerprint, "-", "trusted"]
    (blocks,) = [v for k, v in rows.items() if k[2] == "block"]  # "block filter": two words
    assert blocks[-1].endswith("trusted") and lab_key.fingerprint in " ".join(blocks)
    # A changed file of the perceptual set makes it unusable, in the scan's words.
    (next((out / "perceptual" / "refs").glob("pdq_codes.npy"))).write_bytes(b"changed")
    listed = run("list", out, "--trusted", trusted_dir)
    assert isinstance(listed.exception, InvalidInputError)
    assert "perceptual/refs: " in listed.stderr and "does not match its manifest" in listed.stderr
