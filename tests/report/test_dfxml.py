"""report.dfxml: well-formed, in the DFXML namespace, children in the schema's order."""

from __future__ import annotations

import os
import re
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.report.factory import listing, record, report, write_scan_output
from triage.report.dfxml import DFXML_NS, write_dfxml, xml_text
from triage.report.sign import write_exports

etree = pytest.importorskip("lxml.etree", reason="lxml is needed to parse the DFXML export")

NS = {"d": DFXML_NS}
# The order dfxml.xsd's fileobject_type sequence requires (the subset triage writes).
FILEOBJECT_ORDER = ["filename", "partition", "filesize", "alloc", "inode", "mtime", "ctime",
                    "atime", "crtime", "byte_runs", "hashdigest"]


def _parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))


@pytest.fixture
def dfxml_doc(tmp_path: Path) -> etree._ElementTree:
    out = write_scan_output(tmp_path / "out")
    write_exports(out)
    return _parse(out / "report.dfxml")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def test_root_metadata_creator_source(dfxml_doc: etree._ElementTree) -> None:
    root = dfxml_doc.getroot()
    assert root.tag == f"{{{DFXML_NS}}}dfxml"
    assert root.get("version")
    assert [_local(c) for c in root][:3] == ["metadata", "creator", "source"]
    assert root.findtext("d:creator/d:program", namespaces=NS) == "triage"
    assert root.findtext("d:creator/d:version", namespaces=NS) == "0.1.0"
    assert root.findtext("d:source/d:image_filename", namespaces=NS) == "suspect.img"


def test_every_listed_file_once_grouped_by_volume(dfxml_doc: etree._ElementTree) -> None:
    files = dfxml_doc.findall(".//d:fileobject", NS)
    names = sorted(f.findtext("d:filename", namespaces=NS) for f in files)
    assert names == sorted(r["path"] for r in listing())
    volumes = dfxml_doc.findall("d:volume", NS)
    # One <volume> per volume, in the order the scan walked them (the listing's order).
    assert [(v.get("offset"), v.findtext("d:ftype_str", namespaces=NS)) for v in volumes] == [
        ("1048576", "ntfs"), ("0", "fat32")
    ]
    assert len(volumes[0].findall("d:fileobject", NS)) == 3


def test_fileobject_fields(dfxml_doc: etree._ElementTree) -> None:
    by_name = {f.findtext("d:filename", namespaces=NS): f
               for f in dfxml_doc.findall(".//d:fileobject", NS)}
    deleted = by_name["/Users/alex/Pictures/<img src=x onerror=alert(1)>.jpg"]
    assert deleted.findtext("d:alloc", namespaces=NS) == "0"
    assert deleted.findtext("d:inode", namespaces=NS) == "202"
    assert deleted.findtext("d:partition", namespaces=NS) == "1"
    digests = {h.get("type"): h.text for h in deleted.findall("d:hashdigest", NS)}
    assert digests == {"md5": "b" * 32, "sha1": "b" * 40, "sha256": "b" * 64}
    assert deleted.findtext("d:mtime", namespaces=NS) == "2024-03-01T10:00:00Z"
    assert deleted.find("d:crtime", NS) is None  # unknown times are left out, not invented
    notes = by_name["/Users/alex/notes.txt"]
    runs = notes.findall("d:byte_runs/d:byte_run", NS)
    assert [(r.get("file_offset"), r.get("img_offset"), r.get("len")) for r in runs] == [
        ("0", "1050624", "4096")
    ]
    # A bare file system (index 0) has no <partition>: the schema counts partitions from 1.
    assert by_name["/DCIM/holiday.png"].find("d:partition", NS) is None
    for fileobject in by_name.values():
        order = [FILEOBJECT_ORDER.index(_local(c)) for c in fileobject]
        assert order == sorted(order)


def test_names_xml_cannot_hold_stay_well_formed(tmp_path: Path) -> None:
    weird = "a\x01b\x1f" + b"\xff".decode("utf-8", "surrogateescape") + "]]>&.jpg"
    path = tmp_path / "x.dfxml"
    write_dfxml(path, report(), lambda: [record(f"/{weird}", meta_addr=3)])
    name = _parse(path).findtext(".//d:fileobject/d:filename", namespaces=NS)
    assert name == "/a\\u0001b\\u001f\\udcff]]>&.jpg"


def test_same_input_same_bytes(tmp_path: Path) -> None:
    paths = []
    for name in ("a", "b"):
        out = write_scan_output(tmp_path / name)
        write_exports(out)
        paths.append(out / "report.dfxml")
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_validates_against_the_dfxml_schema(tmp_path: Path) -> None:
    # dfxml.xsd is not shipped by any PyPI package; point TRIAGE_DFXML_XSD at a checkout of
    # the dfxml_schema repository (with its ref/ folder) to run this check.
    xsd = os.environ.get("TRIAGE_DFXML_XSD")
    if not xsd or not Path(xsd).is_file():
        pytest.skip("set TRIAGE_DFXML_XSD to dfxml_schema's dfxml.xsd to validate the export")
    schema = etree.XMLSchema(_parse(Path(xsd)))
    out = write_scan_output(tmp_path / "out")
    write_exports(out)
    document = _parse(out / "report.dfxml")
    assert schema.validate(document), schema.error_log


_XML_CHARS = "&<>\"'\t\n\r\x00\x01\x1f\x7f é\u202e\ud7ff\ud800\udcff\ue000\ufffe\uffff\U0001f600a"


@given(st.one_of(st.text(alphabet=st.sampled_from(list(_XML_CHARS))), st.text(),
                 st.integers(), st.booleans()))
def test_xml_text_shortcut_gives_what_escaping_every_value_gave(value: object) -> None:
    """Plain values skip the substitution; every value reads as the full escaping wrote it."""
    text = str(value)
    slow = escape(re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]",
                         lambda m: f"\\u{ord(m.group()):04x}", text))
    assert xml_text(value) == slow
