"""`triage review --store`: the visits and each person's news as one page, hostile text escaped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from tests.report.test_html import _chromium, needs_chromium
from tests.store.visits import KNOWN, NEW_KNOWN, visit
from triage import keys
from triage.cli import cli

HOSTILE = "<script>alert(1)</script>"


def _store_with_visits(tmp_path: Path, lab: tuple[keys.SigningKey, keys.SigningKey, Path]
                       ) -> str:
    stick, _, trusted = lab
    visit(tmp_path / "a", stick, started="2026-01-10T09:00:00Z", case=HOSTILE)
    visit(tmp_path / "b", stick, started="2026-02-10T09:00:00Z", complete=False)
    visit(tmp_path / "c", stick, started="2026-03-10T09:00:00Z", found=[KNOWN, NEW_KNOWN])
    visit(tmp_path / "d", stick, started="2026-03-11T09:00:00Z", subject=f"P-{HOSTILE}")
    store = str(tmp_path / "store.sqlite")
    result = CliRunner().invoke(cli, ["store", "ingest", *(str(tmp_path / n) for n in "abcd"),
                                      "--store", store, "--trusted", str(trusted)])
    assert result.exit_code == 0, result.output
    return store


def test_review_from_the_store_on_screen_and_as_a_page(tmp_path: Path, lab) -> None:  # noqa: ANN001
    store = _store_with_visits(tmp_path, lab)
    page = tmp_path / "review.html"
    result = CliRunner().invoke(cli, ["review", "--store", store, "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert "4 visit(s)" in result.output
    assert "INCOMPLETE (time budget ran out (20 min))" in result.output
    assert "Person P-1001: 1 new since 2026-01-10T09:00:00Z." in result.output
    html = page.read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "INCOMPLETE" in html and "is not used as the baseline" in html


def test_review_needs_a_folder_or_a_store() -> None:
    result = CliRunner().invoke(cli, ["review"])
    assert result.exit_code == 2 and "give the folder of reports, or --store URL" in result.output


@needs_chromium
def test_review_page_renders_in_a_real_browser(tmp_path: Path, lab) -> None:  # noqa: ANN001
    store = _store_with_visits(tmp_path, lab)
    page = tmp_path / "review.html"
    CliRunner().invoke(cli, ["review", "--store", store, "--html", str(page)])
    dom = _chromium("--dump-dom", page.as_uri())
    assert "<script>alert" not in dom and "alert(1)" in dom
    png = tmp_path / "shot.png"
    _chromium("--window-size=1200,900", "--hide-scrollbars", f"--screenshot={png}",
              page.as_uri())
    with Image.open(png) as shot:
        rgb = shot.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
    # The RED verdicts are drawn in their colour, and the amber INCOMPLETE mark in its own.
    red = sum(n for n, (r, g, b) in colours if r > 170 and g < 80 and b < 80)
    amber = sum(n for n, (r, g, b) in colours if r > 230 and 150 < g < 200 and b < 40)
    assert red > 50 and amber > 200, (red, amber)


def test_without_the_store_extra_the_commands_say_what_to_install() -> None:
    code = ("import sys; sys.modules['sqlalchemy'] = None; sys.argv = ['triage', *sys.argv[1:]];"
            " from triage.cli import main; main()")
    for args in (["store", "ingest", "x"], ["review", "--store", "x"]):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                              text=True, check=False,
                              env={**os.environ, "PYTHONPATH": str(Path.cwd())})
        assert done.returncode == 2, done.stderr
        assert "pip install 'triage[store]'" in done.stderr
