"""Hash sets in the scan: trust decides RED or AMBER, known-good never hits, refusal on demand."""

from __future__ import annotations

import datetime as dt

import pytest

from triage import keys
from triage.errors import InvalidInputError
from triage.hashdb.importing import import_files
from triage.hashdb.setinfo import SetInfo, SetKind
from triage.pipeline import ScanOptions, run_scan
from triage.report.listing import read_listing


@pytest.fixture()
def lab(tmp_path):
    key = keys.generate(tmp_path / "lab", "lab")
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "lab.pub").write_bytes(keys.public_pem(key.public))
    return key, trusted


def _exact(result) -> list[dict]:  # noqa: ANN001
    return [f for f in result.report["findings"] if f["kind"] == "exact"]


def test_an_unsigned_plain_list_finds_the_files_but_only_amber(demo_disk, tmp_path):
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "known.sha256").write_bytes(demo_disk.hashset.read_bytes())
    result = run_scan([str(demo_disk.image)], tmp_path / "out", ScanOptions(hashsets=sets))
    assert len(_exact(result)) == 3
    verdict = result.report["verdict"]
    assert verdict["level"] == "amber"
    assert any("not trusted" in reason for reason in verdict["reasons"])


def test_an_expired_signed_bundle_is_only_amber(demo_disk, tmp_path, lab):
    key, trusted = lab
    info = SetInfo(name="old", expires=dt.date(2020, 1, 1))
    import_files([demo_disk.hashset], info, tmp_path / "sets", signer=key)
    result = run_scan([str(demo_disk.image)], tmp_path / "out",
                      ScanOptions(hashsets=tmp_path / "sets", trusted_keys=trusted))
    assert len(_exact(result)) == 3
    assert result.report["verdict"]["level"] == "amber"
    assert any("expired" in reason for reason in result.report["verdict"]["reasons"])
    (entry,) = result.report["provenance"]["hashsets"]
    assert entry["name"] == "old" and entry["trusted"] is False


def test_require_trusted_refuses_to_start(demo_disk, tmp_path):
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "known.sha256").write_bytes(demo_disk.hashset.read_bytes())
    options = ScanOptions(hashsets=sets, require_trusted_hashsets=True)
    with pytest.raises(InvalidInputError, match="not signed"):
        run_scan([str(demo_disk.image)], tmp_path / "out", options)
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_known_good_never_hits_and_is_marked(demo_disk, tmp_path, lab):
    key, trusted = lab
    import_files([demo_disk.hashset], SetInfo(name="nsrl-like", kind=SetKind.KNOWN_GOOD),
                 tmp_path / "sets", signer=key)
    result = run_scan([str(demo_disk.image)], tmp_path / "out",
                      ScanOptions(hashsets=tmp_path / "sets", trusted_keys=trusted))
    assert _exact(result) == []
    marked = [r for r in read_listing(tmp_path / "out" / "files.jsonl.gz")
              if r.get("facts", {}).get("known_good")]
    assert len(marked) == 3
    assert result.report["verdict"]["level"] != "red"


def test_one_finding_per_file_listing_every_set_and_an_unsigned_list_does_not_downgrade(
        demo_disk, tmp_path, lab):
    """Issue 15 items 2 and 3: a file in two sets is one finding naming both, counted once;
    an unrelated unsigned list beside a trusted bundle leaves its RED a RED."""
    key, trusted = lab
    sets = tmp_path / "sets"
    import_files([demo_disk.hashset], SetInfo(name="lab-set", category="demo"), sets,
                 signer=key)
    (sets / "stray.sha256").write_bytes(demo_disk.hashset.read_bytes())
    result = run_scan([str(demo_disk.image)], tmp_path / "out",
                      ScanOptions(hashsets=sets, trusted_keys=trusted))
    exact = _exact(result)
    assert len(exact) == len(demo_disk.expected_hits) == len({f["address"] for f in exact})
    for finding in exact:
        assert finding["hashset"] == "lab-set"  # the trusted set leads
        assert sorted(m["hashset"] for m in finding["matches"]) == ["lab-set", "stray.sha256"]
        assert "'lab-set' (category demo)" in finding["title"]
        assert "stray.sha256" in finding["title"]
    verdict = result.report["verdict"]
    assert verdict["level"] == "red"
    assert verdict["reasons"][0] == f"Found {len(exact)} known files."
