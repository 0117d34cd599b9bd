"""Evidence names reach the officer's terminal as visible text, never as terminal commands."""

from __future__ import annotations

import hashlib
import io
import os

from rich.console import Console

from triage.console import LiveProgress, render_summary
from triage.pipeline import ScanOptions, run_scan

# Clears the screen, then sets the window title: a name that could redraw the officer's screen.
HOSTILE = b"\x1b[2J\x1b[Hall clear\x1b]0;GREEN\x07.jpg"


def test_escape_sequences_in_names_are_not_sent_to_the_terminal(tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    with open(os.path.join(os.fsencode(evidence), HOSTILE), "wb") as handle:
        handle.write(b"known")
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "known.sha256").write_text(f"{hashlib.sha256(b'known').hexdigest()}  k\n")
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=300)
    result = run_scan([str(evidence)], tmp_path / "out", ScanOptions(hashsets=sets),
                      LiveProgress(console))
    render_summary(console, result.report, str(result.out_dir))
    shown = screen.getvalue()
    assert "all clear" in shown  # the finding and its name were printed...
    assert "\x1b[2J" not in shown and "\x1b]0;" not in shown  # ...as text, not as commands
