"""Supervisor review: good, tampered, unsigned and untrusted reports; device history."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from rich.console import Console

from tests.report.factory import SHA, finding, listing, record, report, write_scan_output
from tests.report.test_html import _chromium, _tool, needs_chromium, needs_poppler
from triage import keys
from triage.errors import InvalidInputError
from triage.report.review import (
    device_identity,
    print_review,
    render_review_html,
    review_reports,
)
from triage.report.sign import countersign, seal_output


def _second_visit() -> dict:
    rep = report(started="2025-02-10T09:00:00Z")
    new_file = record("/Users/alex/new.jpg", meta_addr=300, sha256="7" * 64)
    rep["findings"] = copy.deepcopy(rep["findings"]) + [
        finding(new_file, kind="exact", severity="critical", title="Known image",
                hashset="demo-known", category="A")
    ]
    return rep


@pytest.fixture
def reports_dir(tmp_path: Path, officer_key: keys.SigningKey) -> Path:
    base = tmp_path / "reports"
    seal_output(write_scan_output(base / "v1"), officer_key, "0.1.0")
    seal_output(write_scan_output(base / "v2", _second_visit()), officer_key, "0.1.0")
    tampered = write_scan_output(base / "tampered", report(serial="SN-002",
                                                           started="2025-03-01T09:00:00Z"))
    seal_output(tampered, officer_key, "0.1.0")
    (tampered / "report.json").write_bytes(
        (tampered / "report.json").read_bytes().replace(b'"red"', b'"green"')
    )
    unsigned = write_scan_output(base / "nested" / "unsigned",
                                 report("green", serial="SN-003", started="2025-04-01T09:00:00Z"))
    seal_output(unsigned, None, "0.1.0")
    stranger = keys.generate(tmp_path / "strangers", "stranger")
    seal_output(write_scan_output(base / "untrusted", report("amber", serial="SN-004",
                                                             started="2025-05-01T09:00:00Z")),
                stranger, "0.1.0")
    return base


def test_each_report_gets_its_status(reports_dir: Path, trusted: Path) -> None:
    review = review_reports(reports_dir, trusted)
    status = {e.folder.name: (e.result.ok, e.result.status) for e in review.entries}
    assert status == {
        "v1": (True, "verified"), "v2": (True, "verified"), "tampered": (False, "tampered"),
        "unsigned": (False, "unsigned"), "untrusted": (False, "untrusted"),
    }
    assert [e.folder.name for e in review.entries] == [
        "v1", "v2", "tampered", "unsigned", "untrusted"
    ]  # by date


def test_device_history_shows_what_is_new(reports_dir: Path, trusted: Path) -> None:
    review = review_reports(reports_dir, trusted)
    visits = review.devices["serial SN-001"]
    assert [v.entry.folder.name for v in visits] == ["v1", "v2"]
    assert visits[0].first and not visits[1].first
    assert [f["path"] for f in visits[1].new] == ["/Users/alex/new.jpg"]
    assert set(review.devices) == {f"serial SN-00{n}" for n in range(1, 5)}


def test_console_output_makes_bad_reports_stand_out(reports_dir: Path, trusted: Path) -> None:
    console = Console(record=True, width=200, color_system="truecolor")
    print_review(review_reports(reports_dir, trusted), console)
    plain = console.export_text(clear=False)
    for label in ("DOES NOT VERIFY", "UNSIGNED", "UNTRUSTED SIGNER", "verified",
                  "first visit", "/Users/alex/new.jpg"):
        assert label in plain, label
    assert "report.json does not match manifest.json" in plain
    styled = console.export_html(inline_styles=True)
    assert "DOES NOT VERIFY" in styled and "background-color: #800000" in styled


def test_html_review_is_escaped_and_complete(reports_dir: Path, trusted: Path) -> None:
    page = render_review_html(review_reports(reports_dir, trusted))
    assert page.count('class="bad"') >= 1 and page.count('class="ok"') >= 2
    assert "UNSIGNED" in page and "UNTRUSTED SIGNER" in page
    assert "report.json does not match manifest.json" in page
    assert "Device serial SN-001" in page


def test_hostile_officer_name_is_escaped(tmp_path: Path, officer_key: keys.SigningKey,
                                         trusted: Path) -> None:
    rep = report(officer="<script>alert(1)</script>")
    seal_output(write_scan_output(tmp_path / "r" / "one", rep), officer_key, "0.1.0")
    page = render_review_html(review_reports(tmp_path / "r", trusted))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unreadable_report_json_is_listed_not_fatal(tmp_path: Path, trusted: Path,
                                                    officer_key: keys.SigningKey) -> None:
    out = write_scan_output(tmp_path / "r" / "broken")
    seal_output(out, officer_key, "0.1.0")
    (out / "report.json").write_bytes(b"{not json")
    (entry,) = review_reports(tmp_path / "r", trusted).entries
    assert entry.report is None
    assert entry.load_error is not None and "not valid JSON" in entry.load_error
    assert entry.result.status == "tampered"


def test_device_identity_prefers_serial() -> None:
    assert device_identity({"serial": "X1", "model": "M"}) == "serial X1"
    assert device_identity({"model": "M", "size": 5}) == "M (5 bytes)"
    assert device_identity({"source": "a.img"}) == "source a.img"


def test_missing_reports_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not a folder"):
        review_reports(tmp_path / "nope", None)


def test_listing_factory_matches_report(tmp_path: Path) -> None:
    # The factory's findings point at files in its listing (the review relies on addresses).
    addresses = {r["address"] for r in listing()}
    assert {f["address"] for f in report()["findings"]} <= addresses
    assert SHA["a"] in {r["sha256"] for r in listing()}


def _visit(started: str, paths: list[str], *, budget: bool = False) -> dict:
    """A report of device SN-001 on `started` with exact findings at `paths`.

    Complete unless `budget`: then the time budget ran out before everything was read.
    """
    rep = report(started=started, findings=[
        finding(record(path, meta_addr=400 + n, sha256=f"{n + 1}" * 64), kind="exact",
                severity="critical", title="Known image", hashset="demo-known", category="A")
        for n, path in enumerate(paths)])
    coverage = rep["coverage"]
    coverage["volumes"] = coverage["volumes"][:1]
    coverage["not_examined"] = []
    coverage["complete"] = not budget
    coverage["time_budget"] = {"minutes": 20 if budget else None, "reached": budget}
    return rep


def _sealed_visits(base: Path, key: keys.SigningKey, *visits: dict) -> None:
    for n, rep in enumerate(visits, 1):
        seal_output(write_scan_output(base / f"v{n}", rep), key, "0.1.0")


def test_new_since_skips_an_incomplete_visit(tmp_path: Path, officer_key: keys.SigningKey,
                                             trusted: Path) -> None:
    # v2 ran out of time before reaching a.jpg: it is not new on v3, b.jpg is.
    _sealed_visits(tmp_path / "r", officer_key,
                   _visit("2025-01-10T09:00:00Z", ["/a.jpg"]),
                   _visit("2025-02-10T09:00:00Z", [], budget=True),
                   _visit("2025-03-10T09:00:00Z", ["/a.jpg", "/b.jpg"]))
    review = review_reports(tmp_path / "r", trusted)
    v1, v2, v3 = review.devices["serial SN-001"]
    assert v2.incomplete == ["time budget ran out (20 min)"] and not v1.incomplete
    assert [f["path"] for f in v3.new] == ["/b.jpg"]
    assert v3.compared_with is v1 and v3.skipped == [v2]
    console = Console(record=True, width=400)
    print_review(review, console)
    plain = console.export_text()
    assert ("compared with the last complete visit (2025-01-10T09:00:00Z); passed over: "
            "2025-02-10T09:00:00Z (incomplete): exact: Known image — /b.jpg") in plain
    assert "INCOMPLETE: time budget ran out (20 min)" in plain


def test_a_report_that_does_not_verify_is_never_the_baseline(
        tmp_path: Path, officer_key: keys.SigningKey, trusted: Path) -> None:
    # v2 was edited after sealing to drop b.jpg's finding... and v3's b.jpg must still be new
    # against v1: a tampered report cannot hide what a later visit finds.
    _sealed_visits(tmp_path / "r", officer_key,
                   _visit("2025-01-10T09:00:00Z", ["/a.jpg"]),
                   _visit("2025-02-10T09:00:00Z", ["/a.jpg", "/b.jpg"]),
                   _visit("2025-03-10T09:00:00Z", ["/a.jpg", "/b.jpg"]))
    tampered = tmp_path / "r" / "v2" / "report.json"
    tampered.write_bytes(tampered.read_bytes().replace(b'"Known image"', b'"Known imagE"', 1))
    review = review_reports(tmp_path / "r", trusted)
    v1, v2, v3 = review.devices["serial SN-001"]
    assert not v2.entry.result.ok
    assert v3.compared_with is v1 and v3.skipped == [v2]
    assert [f["path"] for f in v3.new] == ["/b.jpg"]
    page = render_review_html(review)
    assert "passed over: 2025-02-10T09:00:00Z (does not verify)" in page


def test_with_no_verified_earlier_visit_everything_is_new(
        tmp_path: Path, officer_key: keys.SigningKey, trusted: Path) -> None:
    _sealed_visits(tmp_path / "r", None,
                   _visit("2025-01-10T09:00:00Z", ["/a.jpg"]))
    _sealed_visits(tmp_path / "s", officer_key,
                   _visit("2025-02-10T09:00:00Z", ["/a.jpg"]))
    (tmp_path / "s" / "v1").rename(tmp_path / "r" / "v2")
    review = review_reports(tmp_path / "r", trusted)
    v1, v2 = review.devices["serial SN-001"]
    assert v2.compared_with is None and v2.skipped == [v1]
    assert [f["path"] for f in v2.new] == ["/a.jpg"]
    assert ("no earlier report verifies (passed over: 2025-01-10T09:00:00Z (does not verify)), "
            "so everything found is listed: exact: Known image") in render_review_html(review)


def test_new_since_an_incomplete_first_visit_says_so(tmp_path: Path, trusted: Path,
                                                     officer_key: keys.SigningKey) -> None:
    _sealed_visits(tmp_path / "r", officer_key,
                   _visit("2025-01-10T09:00:00Z", ["/a.jpg"], budget=True),
                   _visit("2025-02-10T09:00:00Z", ["/a.jpg", "/b.jpg"]))
    page = render_review_html(review_reports(tmp_path / "r", trusted))
    assert ("no complete earlier visit: compared with the incomplete visit of "
            "2025-01-10T09:00:00Z, so some of this may only not have been reached then: "
            "exact: Known image — /b.jpg") in page
    assert page.count("INCOMPLETE</span>: time budget ran out (20 min)") == 2  # summary, history


def test_review_marks_partitions_not_examined_and_stops(tmp_path: Path, trusted: Path,
                                                        officer_key: keys.SigningKey) -> None:
    stopped = _visit("2025-02-10T09:00:00Z", ["/a.jpg"])
    stopped["coverage"]["stopped_early"] = {
        "reason": "stopped at the first RED finding (--stop-on-first-red)", "files_not_reached": 9}
    _sealed_visits(tmp_path / "r", officer_key, report(started="2025-01-10T09:00:00Z"), stopped)
    first, second = review_reports(tmp_path / "r", trusted).entries
    assert first.incomplete() == ["bitlocker partition not examined (encrypted (BitLocker))",
                                  "unpartitioned space not examined (no file system)"]
    assert second.incomplete() == [
        "stopped early (stopped at the first RED finding (--stop-on-first-red))"]


def test_a_locked_apfs_volume_is_named_once_as_a_volume(tmp_path: Path, trusted: Path,
                                                        officer_key: keys.SigningKey) -> None:
    mac = report(started="2025-01-10T09:00:00Z")
    reason = "APFS volume 'Data' (FileVault) left locked: no secret was given for it"
    mac["coverage"]["volumes"][1].update(fs="apfs", reason=reason)
    mac["coverage"]["not_examined"] = [  # the same volume's gap, as the ledger records it
        {"source": "suspect.img", "address": "suspect.img · p2@11534336", "what": "volume",
         "kind": "encrypted", "offset": 11534336, "size": 5242880, "reason": reason}]
    _sealed_visits(tmp_path / "r", officer_key, mac)
    [entry] = review_reports(tmp_path / "r", trusted).entries
    assert entry.incomplete() == [f"APFS volume not examined ({reason})"]


def test_review_shows_countersignatures(tmp_path: Path, officer_key: keys.SigningKey,
                                        supervisor_key: keys.SigningKey, trusted: Path) -> None:
    _sealed_visits(tmp_path / "r", officer_key, _visit("2025-01-10T09:00:00Z", ["/a.jpg"]))
    countersign(tmp_path / "r" / "v1", supervisor_key, "0.1.0")
    review = review_reports(tmp_path / "r", trusted)
    console = Console(record=True, width=400)
    print_review(review, console)
    wanted = f"verified; countersigned by supervisor (key {supervisor_key.fingerprint})"
    assert wanted in console.export_text()
    assert wanted in render_review_html(review)


def test_review_of_a_folder_without_reports_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match=r"holds no report folders .* give the folder "
                                                r"the reports were copied to\.$"):
        review_reports(tmp_path / "empty", None)


@needs_chromium
@needs_poppler
def test_printed_review_does_not_squeeze_case_officer_or_verdict(
        reports_dir: Path, trusted: Path, tmp_path: Path) -> None:
    page = tmp_path / "review.html"
    page.write_text(render_review_html(review_reports(reports_dir, trusted)), encoding="utf-8")
    pdf = tmp_path / "review.pdf"
    _chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    lines = _tool("pdftotext", "-layout", str(pdf), "-").splitlines()
    # Each short value is whole on one line, and the summary's header row is whole words.
    header = next(line for line in lines if "Date (UTC)" in line)
    for word in ("Case", "Officer", "Verdict", "Coverage", "Signature"):
        assert re.search(rf"\b{word}\b", header), header
    for value in ("CASE-42", "PC 1234 Smith", "AMBER", "GREEN", "2025-01-10T09:00:00Z"):
        assert any(value in line for line in lines), value
