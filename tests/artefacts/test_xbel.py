"""recently-used.xbel: a file GLib wrote, the older timestamp form, and hostile XML refused."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from tests.artefacts.xbel_files import GLIB, write_xbel
from triage.artefacts.base import ExtractError, Origin
from triage.artefacts.xbel import MAX_XBEL_BYTES, RecentlyUsed, xbel_time

PATH = "/home/alex/.local/share/recently-used.xbel"
ADDED = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC).timestamp()
OPENED = dt.datetime(2026, 11, 20, 21, 30, tzinfo=dt.UTC).timestamp()


def _extract(path: Path) -> list:
    return list(RecentlyUsed().extract(path, Origin("src", PATH, "alex")))


@pytest.mark.skipif(GLIB is None, reason="libglib-2.0 is not installed")
def test_a_list_glib_wrote(tmp_path: Path) -> None:
    xbel = write_xbel(tmp_path / "recently-used.xbel", [
        {"uri": "file:///media/alex/KINGSTON/holiday%20%C3%A9t%C3%A9.jpg", "mime": "image/jpeg",
         "added": ADDED, "visited": ADDED,
         "apps": [("Image Viewer", "eog %u", 3, OPENED), ("GIMP", "gimp %U", 1, ADDED)]},
        {"uri": "file:///home/alex/Documents/letter.odt", "mime": "application/vnd.oasis."
         "opendocument.text", "added": ADDED, "visited": ADDED,
         "apps": [("LibreOffice", "soffice %u", 1, ADDED)]},
    ])
    assert RecentlyUsed().wants(PATH) and RecentlyUsed().wants("/home/bo/.recently-used.xbel")
    found = _extract(xbel)
    assert [a.kind for a in found] == ["file-opened", "file-opened"]
    photo = found[0]
    assert photo.fields["path"] == "/media/alex/KINGSTON/holiday été.jpg"
    assert photo.fields["name"] == "holiday été.jpg"
    assert photo.fields["programs"] == ["Image Viewer", "GIMP"]
    assert photo.fields["applications"][0]["count"] == 3
    assert photo.time == OPENED  # the latest use by any program
    assert xbel_time(photo.fields["added"]) == ADDED
    assert found[1].time == ADDED and found[1].profile == "alex"


def test_glib_before_2_66_wrote_posix_timestamps(tmp_path: Path) -> None:
    xbel = tmp_path / "recently-used.xbel"
    xbel.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<xbel version="1.0" xmlns:bookmark="http://www.'
        'freedesktop.org/standards/desktop-bookmarks" xmlns:mime="http://www.freedesktop.org/'
        'standards/shared-mime-info">\n<bookmark href="file:///tmp/a.txt" added="2020-01-01T00'
        ':00:00Z" modified="2020-01-01T00:00:00Z" visited="2020-01-01T00:00:00Z"><info><metadata'
        ' owner="http://freedesktop.org"><bookmark:applications><bookmark:application name="gedit"'
        ' exec="&apos;gedit %u&apos;" timestamp="1600000000" count="2"/></bookmark:applications>'
        '</metadata></info></bookmark></xbel>\n', "utf-8")
    (record,) = _extract(xbel)
    assert record.time == 1600000000 and record.fields["applications"][0]["exec"] == "'gedit %u'"


def test_an_entity_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = tmp_path / "recently-used.xbel"
    lines = ['<!DOCTYPE xbel [', '<!ENTITY a0 "lol">']
    lines += [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)]
    lines += [']>', '<xbel version="1.0"><bookmark href="&a9;"/></xbel>']
    bomb.write_text("\n".join(lines), "utf-8")
    started = time.monotonic()
    with pytest.raises(ExtractError, match="DTD or entities"):
        _extract(bomb)
    assert time.monotonic() - started < 1.0  # refused at the declaration, never expanded


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2", "utf-8")
    hostile = tmp_path / "recently-used.xbel"
    hostile.write_text(f'<!DOCTYPE xbel [<!ENTITY x SYSTEM "file://{secret}">]>'
                       '<xbel><bookmark href="&x;"/></xbel>', "utf-8")
    with pytest.raises(ExtractError, match="DTD or entities"):
        _extract(hostile)


def test_a_cut_file_keeps_the_entries_before_the_cut(tmp_path: Path) -> None:
    cut = tmp_path / "recently-used.xbel"
    cut.write_text('<xbel version="1.0"><bookmark href="file:///a" visited="2026-01-01T00:00:00Z">'
                   '</bookmark><bookmark href="file:///b"', "utf-8")
    found = []
    with pytest.raises(ExtractError, match="not well-formed XML.*1 entries read before"):
        for record in RecentlyUsed().extract(cut, Origin("src", PATH, None)):
            found.append(record)
    assert [a.fields["path"] for a in found] == ["/a"]


def test_a_huge_file_is_not_parsed(tmp_path: Path) -> None:
    huge = tmp_path / "recently-used.xbel"
    with huge.open("wb") as out:
        out.truncate(MAX_XBEL_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ExtractError, match="not read"):
        _extract(huge)
