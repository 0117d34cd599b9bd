"""Theora videos as Debian ships them: repeated frames are empty packets, not damage."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.builders import cache_dir
from triage.containers import ContainerLimits
from triage.stages.filetype import content_type

from . import builders as b
from .helpers import run

# A GNOME help video (CC-BY-SA, in Debian's lightsoff package), fetched at test time: a stock
# Debian desktop holds dozens like it, and each once showed as a damaged video.
PACKAGE = "lightsoff"
VIDEO = "usr/share/help/C/lightsoff/figures/lightsoff.ogv"


@pytest.fixture(scope="module")
def gnome_video() -> bytes:
    folder = cache_dir() / "debian-packages" / PACKAGE
    target = folder / VIDEO
    if not target.exists():
        if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
            pytest.skip("needs apt-get and dpkg-deb to fetch Debian's lightsoff package")
        folder.mkdir(parents=True, exist_ok=True)
        got = subprocess.run(["apt-get", "download", PACKAGE], cwd=folder, capture_output=True,
                             text=True, timeout=300, check=False)
        debs = sorted(folder.glob(f"{PACKAGE}_*.deb"))
        if got.returncode != 0 or not debs:
            pytest.skip(f"could not download Debian's {PACKAGE} package (offline?): "
                        f"{got.stderr.strip()[:200]}")
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(folder)], check=True, timeout=120)
    return Path(target).read_bytes()


def test_a_theora_video_with_repeated_frames_is_read_to_its_end(gnome_video: bytes) -> None:
    limits = ContainerLimits(video_max_frames=1000, video_interval_s=1.0)
    rec, content = b.record("lightsoff.ogv", gnome_video, mime=content_type(gnome_video[:16384]))
    assert rec.mime == "video/ogg"
    members, problems = run(rec, content, limits=limits)
    assert problems == []
    times = [float(name.rsplit("@", 1)[1].rstrip("s")) for name, _, _ in members]
    assert len(times) > 3 and max(times) > 10.0  # frames from well past the first still moment
