"""Supervisor review: good, tampered, unsigned and untrusted reports; device history."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from rich.console import Console

from tests.report.factory import SHA, finding, listing, record, report, write_scan_output
from triage import keys
from triage.errors import InvalidInputError
from triage.report.review import (
    device_identity,
    print_review,
    render_review_html,
    review_reports,
)
from triage.report.sign import seal_output


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
