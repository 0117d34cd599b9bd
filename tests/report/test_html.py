"""report.html: verdict first, every section present, every value escaped — checked in Chromium."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from tests.report.factory import HOSTILE_NAME, record, report, write_scan_output
from triage.report.html import BANNER_COLOURS, render_html
from triage.report.markup import text
from triage.report.sign import write_exports
from triage.report.thumbnail import make_thumbnail
from triage.ruleset.vocabulary import ORDER_WORDING

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
)


def _chromium(*args: str) -> str:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own file
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run",
             f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=120, check=True,
        )
    return done.stdout


def test_hostile_file_name_is_escaped_in_the_source() -> None:
    page = render_html(report())
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in page
    assert "<script" not in page.lower()


def test_hidden_characters_are_shown_not_obeyed() -> None:
    # U+202E reverses text: "photo\u202egpj.exe" would display as "photoexe.jpg".
    assert text("photo\u202egpj.exe") == "photo\\u202egpj.exe"
    assert text("a\x00b") == "a\\u0000b"
    assert text(b"x\xff".decode("utf-8", "surrogateescape")) == "x\\udcff"
    assert text('"quoted" & <tag>') == "&quot;quoted&quot; &amp; &lt;tag&gt;"


def test_sections_in_order_verdict_first() -> None:
    page = render_html(report())
    headings = [
        'id="header"', 'id="verdict"', "What was found", "What was not examined",
        "Devices examined", "Hash sets and rules used", "Case, officer and times",
    ]
    positions = [page.index(h) for h in headings]
    assert positions == sorted(positions)
    for value in ("encrypted (BitLocker)", "unpartitioned space", "2 symlink entries",
                  "1 file(s) skipped", "ACME Disk", "SN-001", "demo-known", "2026-01-01",
                  "R-7", "CASE-42", "PC 1234 Smith", "2025-01-10T09:00:00Z",
                  "order condition: no encryption software"):
        assert value in page, value


@pytest.mark.parametrize("level", ["red", "amber", "green"])
def test_banner_carries_word_and_colour(level: str) -> None:
    page = render_html(report(level))
    banner = re.search(r'<section class="banner (\w+)"[^>]*>(.*?)</section>', page)
    assert banner is not None
    assert banner.group(1) == level
    assert f"<h1>{level.upper()}</h1>" in banner.group(2)
    assert BANNER_COLOURS[level] in page


def test_green_report_says_nothing_found() -> None:
    assert "Nothing was found." in render_html(report("green"))


def test_no_images_unless_thumbnails_are_given() -> None:
    rep = report()
    assert "<img" not in render_html(rep)
    source = io.BytesIO()
    Image.new("RGB", (300, 200), (255, 0, 0)).save(source, format="PNG")
    thumb = make_thumbnail(source.getvalue())
    page = render_html(rep, {rep["findings"][0]["address"]: thumb})
    assert page.count("<img") == 1
    assert 'src="data:image/png;base64,' in page


def test_thumbnail_is_small_grey_and_blurred() -> None:
    source = io.BytesIO()
    picture = Image.new("RGB", (400, 300), (255, 255, 255))
    for x in range(0, 400, 2):  # sharp one-pixel stripes: blurring must smear them
        for y in range(300):
            picture.putpixel((x, y), (0, 0, 0))
    picture.save(source, format="PNG")
    with Image.open(io.BytesIO(make_thumbnail(source.getvalue()))) as thumb:
        assert thumb.mode == "L"
        assert max(thumb.size) <= 96
        lo, hi = thumb.getextrema()
        assert hi - lo < 64, "stripes still sharp: the thumbnail was not blurred"


def test_thumbnail_of_a_non_image_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not an image"):
        make_thumbnail(b"not a picture")


@needs_chromium
def test_hostile_name_renders_as_text_in_a_real_browser(tmp_path: Path) -> None:
    rep = report()
    out = write_scan_output(tmp_path / "out", rep, [record(f"/x/{HOSTILE_NAME}", meta_addr=9)])
    write_exports(out)
    dom = _chromium("--dump-dom", (out / "report.html").as_uri())
    assert "<img" not in dom, "a file name became an element"
    assert "onerror=alert(1)&gt;.jpg" in dom
    assert "RED" in dom and "What was found" in dom


def _banner_pixels(png: Path) -> list[tuple[int, int, int]]:
    with Image.open(png) as shot:
        rgb = shot.convert("RGB")
        # Inside the banner (below the case/officer/device/time header, above its heading).
        raw = rgb.crop((60, 138, 360, 158)).tobytes()
        return [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]


@needs_chromium
@pytest.mark.parametrize("level", ["red", "amber", "green"])
def test_screenshot_banner_is_mostly_the_verdict_colour(tmp_path: Path, level: str) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_html(report(level)), encoding="utf-8")
    png = tmp_path / "shot.png"
    _chromium("--window-size=800,600", "--hide-scrollbars", f"--screenshot={png}", path.as_uri())
    want = tuple(int(BANNER_COLOURS[level][i:i + 2], 16) for i in (1, 3, 5))
    pixels = _banner_pixels(png)
    close = sum(1 for p in pixels if all(abs(a - b) <= 24 for a, b in zip(p, want, strict=True)))
    assert close / len(pixels) > 0.6, f"only {close}/{len(pixels)} pixels are {level}"


def test_files_not_reached_are_stated() -> None:
    assert "Files not reached</th><td>none" in render_html(report()).replace("\n", "")
    stopped = report()
    stopped["coverage"]["stopped_early"] = {"reason": "time budget reached",
                                            "files_not_reached": 1234, "bytes_not_reached": 5}
    assert "1234 (time budget reached)" in render_html(stopped)


def test_a_rule_finding_shows_installed_or_used_and_the_order_wording_to_check() -> None:
    data = report()
    rule = next(f for f in data["findings"] if f["kind"] == "rule")
    rule["detail"] = {"version": "1", "evidence": "used", "last_written": "2026-11-20T21:14:00Z",
                      "order_wording": "must not use or install encryption or wiping tools"}
    page = render_html(data)
    assert ("Seen: used, last written 2026-11-20T21:14:00Z. Relates to: \u201cmust not use or "
            "install encryption or wiping tools\u201d \u2014 check the order&#x27;s own wording."
            ) in page


def test_an_offence_in_itself_does_not_send_the_officer_to_the_order() -> None:
    data = report()
    rule = next(f for f in data["findings"] if f["kind"] == "rule")
    rule["condition"] = "no-indecent-images"
    rule["detail"] = {"version": "2", "order_wording": ORDER_WORDING["no-indecent-images"]}
    page = render_html(data)
    assert "No order term needed: making or keeping indecent images of children is an offence" \
        in page
    assert "own wording" not in page


def test_a_scan_without_the_quick_pass_does_not_claim_complete_coverage() -> None:
    from triage.plan.quickpass import NO_FILTERS, skipped

    data = report()
    data["coverage"]["complete"] = True
    data["coverage"]["quick_pass"] = skipped(NO_FILTERS)
    page = render_html(data)
    assert "Coverage is complete." not in page
    assert "the space no file holds was not searched for known files" in page
    assert "unallocated, deleted and reformatted space" in page
    assert f"quick pass: {NO_FILTERS}" in page
    data["coverage"]["quick_pass"] = {"status": "run", "sources": []}
    assert "Coverage is complete." in render_html(data)


def test_a_file_found_by_blocks_and_by_digest_shows_its_sha256() -> None:
    """The quick pass's finding (blocks, no digest) sorts first at the same severity; the row
    must still show the digest the file scan computed."""
    data = report()
    exact = next(f for f in data["findings"] if f["kind"] == "exact")
    block = {**exact, "kind": "block", "sha256": None, "md5": None, "sha1": None,
             "title": "Known file from block filter 'lab': 64 of its 64 distinctive blocks"}
    data["findings"].insert(0, block)
    page = render_html(data)
    row = page[page.index("Known file from block filter"):]
    row = row[: row.index("</tr>")]
    assert exact["sha256"][:16] in row


def test_case_officer_device_and_time_come_first() -> None:
    page = render_html(report())
    header = page[page.index('id="header"'):page.index('id="verdict"')]
    for value in ("CASE-42", "PC 1234 Smith", "Disk 1: suspect.img (raw, ACME Disk, serial "
                  "SN-001, 20,971,520 bytes)", "2025-01-10T09:00:00Z UTC (took 1.5 s)"):
        assert value in header, value


def test_findings_are_grouped_per_file() -> None:
    rep = report()
    first = rep["findings"][0]
    rep["findings"].append({**first, "kind": "rule", "severity": "medium", "title": "Renamed",
                            "rule": "R-9", "hashset": None, "hashset_version": None,
                            "category": None})
    page = render_html(rep)
    assert "What was found — 3 files" in page
    rows = re.findall(r"<tr><td>.*?</tr>", page[page.index('class="files"'):])
    row = next(r for r in rows if "K001.jpg" in r)
    assert row.count("<li>") == 2 and "Renamed (rule R-9)" in row
    assert "Known image (set demo-known 3, category A)" in row
    assert sum("K001.jpg" in r for r in rows) == 1


def test_digests_are_monospace_and_wrap_between_groups() -> None:
    page = render_html(report())
    wanted = '<span class="digest">' + "<wbr>".join(["a" * 16] * 4) + "</span>"
    assert wanted in page
    assert ".digest { font-family: \"DejaVu Sans Mono\"" in page


def _long_report() -> dict:
    """Sixty findings on thirty files with long paths: enough for several printed pages."""
    rep = report()
    template = rep["findings"][0]
    findings = []
    for n in range(30):
        folder = "Very long folder name without any spaces " * 2 if n % 3 else "x" * 150
        path = f"/Users/alex/Pictures/{folder}/picture-{n:02d}.jpg"
        address = f"suspect.img · p1@1048576 ntfs · {path} · inode {1000 + n}"
        for kind, severity in (("exact", "critical"), ("rule", "medium")):
            findings.append({**template, "kind": kind, "severity": severity, "path": path,
                             "address": address, "sha256": f"{n:02d}" * 32,
                             "title": f"Finding {kind} {n}", "meta_addr": 1000 + n})
    rep["findings"] = findings
    return rep


def _pdf(tmp_path: Path, rep: dict) -> Path:
    page = tmp_path / "report.html"
    page.write_text(render_html(rep), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    _chromium("--no-pdf-header-footer", "--print-to-pdf-no-header", f"--print-to-pdf={pdf}",
              page.as_uri())
    return pdf


def _tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils is not installed")


@needs_chromium
@needs_poppler
def test_a4_print_has_the_verdict_on_page_one_and_clips_nothing(tmp_path: Path) -> None:
    rep = _long_report()
    pdf = _pdf(tmp_path, rep)
    info = _tool("pdfinfo", str(pdf))
    assert re.search(r"Page size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\)", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3
    first = _tool("pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-")
    for value in ("CASE-42", "PC 1234 Smith", "Disk 1: suspect.img", "RED",
                  "Known indecent images were found", "What was found"):
        assert value in first, value
    # Every file name and every digest (as four lines of 16 digits) is in the text: nothing
    # was cut off.
    whole = _tool("pdftotext", str(pdf), "-")
    for finding in rep["findings"][::2]:
        assert finding["path"].rpartition("/")[2] in whole
        group = finding["sha256"][:16]
        assert len(re.findall(rf"^{group}$", whole, re.MULTILINE)) >= 4, group
    assert "DejaVuSansMono" in _tool("pdffonts", str(pdf))  # digests in monospace
    # Nothing is drawn in the right-hand page margin (a clipped or overflowing table would be).
    _tool("pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page"))
    for png in sorted(tmp_path.glob("page-*.png")):
        with Image.open(png) as shot:
            grey = shot.convert("L")
            margin = grey.crop((grey.width - 10, 0, grey.width, grey.height))
            assert margin.getextrema()[0] > 240, f"{png.name}: something in the right margin"


def test_a_finding_listing_several_sets_names_each() -> None:
    rep = report()
    rep["findings"][0]["matches"] = [
        {"hashset": "caid", "hashset_version": "7", "category": "A"},
        {"hashset": "lab-pictures", "category": "B", "reference": "K001"}]
    page = render_html(rep)
    assert ("Known image (set caid 7, category A, set lab-pictures, category B, "
            "reference K001)") in page


def test_a_locked_volume_is_listed_once_as_not_examined() -> None:
    """The volume's coverage entry and the gap it leaves are one thing (seen with a locked
    APFS volume: a 'volume 0 at byte 0' row and a 'partition' row with the same reason)."""
    data = report()
    reason = "APFS volume 'Macintosh HD' (FileVault) left locked: no secret was given for it"
    data["coverage"]["volumes"].append({
        "source": "mac.img · apfs 1 (Macintosh HD)", "index": 0, "offset": 0, "size": 4096,
        "fs": "apfs", "status": "not_examined", "reason": reason})
    data["coverage"]["not_examined"].append({
        "address": "mac.img · apfs 1 (Macintosh HD) · p0@0", "source": "mac.img",
        "kind": "encrypted", "what": "partition", "size": 4096, "offset": 0, "reason": reason})
    page = render_html(data)
    assert page.count(text(reason)) == 1
    assert "volume 0 at byte 0" in page


def test_a_rule_on_a_volume_counts_a_volume_not_a_file() -> None:
    """'encrypted-volume' finds a volume: the heading said '1 file with court-order rule
    findings' over an APFS volume's address."""
    rep = report()
    where = "mac.img · apfs 1 (Macintosh HD) · p0@0 apfs"
    rep["findings"].append({
        "kind": "rule", "severity": "info", "rule": "encrypted-volume", "address": where,
        "title": "A volume is encrypted", "detail": {"address": where, "volume": {
            "source": "mac.img · apfs 1 (Macintosh HD)", "index": 0, "offset": 0}}})
    page = render_html(rep)
    assert "What was found — 3 files and 1 volume" in page
    assert "1 volume with court-order rule findings" in page
