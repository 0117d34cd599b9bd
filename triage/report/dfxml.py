"""report.dfxml: the file listing as Digital Forensics XML (fileobjects grouped by volume)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr  # nosec B406 - escaping output only, no parsing

from triage.report.atomic import atomic_file

DFXML_NAME = "report.dfxml"
DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
DC_NS = "http://purl.org/dc/elements/1.1/"
TRIAGE_NS = "urn:triage:dfxml:1"  # our own attributes, allowed by the schema's ##other
# The DFXML schema version this output follows (dfxml_schema, dfxml.xsd 1.x element order).
DFXML_VERSION = "1.2.0"
HASHES = (("md5", "md5"), ("sha1", "sha1"), ("sha256", "sha256"))
TIMES = ("mtime", "ctime", "atime", "crtime")  # the order the schema's fileobject requires

# Characters XML 1.0 cannot hold at all; a suspect's file name may contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ListingSource = Callable[[], Iterable[dict[str, Any]]]


# Text needing neither: every character XML allows except the three escape() changes. Most
# values (sizes, times, digests, ordinary names) are plain, and one match is half the cost of
# the substitution and three replacements (the DFXML export is ~10 values a file).
_PLAIN = re.compile("[\t\n\r\x20-\x25\x27-\x3b\x3d\x3f-\ud7ff\ue000-\ufffd"
                    "\U00010000-\U0010ffff]*")


def xml_text(value: Any) -> str:
    """Escape a value for XML, writing characters XML forbids as visible \\uXXXX escapes."""
    if type(value) is int:
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text):
        return text
    return escape(_NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _attr(value: Any) -> str:
    return quoteattr(_NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value)))


def _element(name: str, value: Any) -> str:
    return "" if value is None else f"<{name}>{xml_text(value)}</{name}>"


def _non_negative(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _byte_runs(record: dict[str, Any]) -> str:
    facts = record.get("facts") if isinstance(record.get("facts"), dict) else {}
    runs = facts.get("byte_runs") if isinstance(facts.get("byte_runs"), list) else []
    out = []
    for run in runs:
        if not isinstance(run, dict):
            continue
        attrs = "".join(
            f" {name}={_attr(run[name])}"
            for name in ("file_offset", "fs_offset", "img_offset", "len")
            if _non_negative(run.get(name)) is not None
        )
        if attrs:
            out.append(f"<byte_run{attrs}/>")
    return f"<byte_runs>{''.join(out)}</byte_runs>" if out else ""


def fileobject(record: dict[str, Any]) -> str:
    """One file record as a <fileobject>, children in the order the schema requires."""
    part = record.get("partition") if isinstance(record.get("partition"), dict) else None
    index = _non_negative(part.get("index")) if part else None
    parts = [
        "<fileobject>",
        _element("filename", record.get("path") or record.get("name") or ""),
        _element("partition", index) if index else "",  # the schema's partition counts from 1
        _element("filesize", _non_negative(record.get("size"))),
        _element("alloc", 0 if record.get("deleted") else 1),
        _element("inode", _non_negative(record.get("meta_addr"))),
    ]
    parts += [_element(name, record.get(name)) for name in TIMES]
    parts.append(_byte_runs(record))
    parts += [
        f'<hashdigest type="{kind}">{xml_text(record[key])}</hashdigest>'
        for key, kind in HASHES
        if record.get(key)
    ]
    parts.append("</fileobject>")
    return "".join(parts)


def _volume_key(record: dict[str, Any]) -> tuple[str, int, int] | None:
    part = record.get("partition")
    if not isinstance(part, dict):
        return None
    index, offset = _non_negative(part.get("index")), _non_negative(part.get("offset"))
    return (str(record.get("source")), index or 0, offset or 0)


def _write_head(out: IO[str], report: dict[str, Any]) -> None:
    provenance = report.get("provenance") if isinstance(report.get("provenance"), dict) else {}
    tool = provenance.get("tool") if isinstance(provenance.get("tool"), dict) else {}
    evidence = provenance.get("evidence") if isinstance(provenance.get("evidence"), list) else []
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        f'<dfxml xmlns="{DFXML_NS}" xmlns:dc="{DC_NS}" xmlns:triage="{TRIAGE_NS}" '
        f'version="{DFXML_VERSION}">\n'
    )
    out.write(f"<metadata><dc:type>File listing</dc:type>"
              f"{_element('dc:description', provenance.get('case'))}</metadata>\n")
    out.write("<creator>" + _element("program", tool.get("name", "triage"))
              + _element("version", tool.get("version")) + "<execution_environment>"
              + _element("host", provenance.get("host"))
              + _element("command_line", provenance.get("command"))
              + _element("start_time", provenance.get("started_utc"))
              + "</execution_environment></creator>\n")
    images = "".join(
        _element("image_filename", item.get("source"))
        for item in evidence
        if isinstance(item, dict)
    )
    out.write(f"<source>{images}</source>\n")


def write_dfxml(path: Path, report: dict[str, Any], listing: ListingSource) -> None:
    """Write the listing as DFXML in one streamed pass.

    The scan lists a volume's files together, so each run of records from one volume becomes
    one <volume> element (a volume whose records were not contiguous gets one element per run).
    """
    # Written under a temporary name first so a crash or a full disk never leaves half an
    # export in place.
    with atomic_file(path, "w", encoding="utf-8") as out:
        _write_head(out, report)
        current: tuple[str, int, int] | None = None
        for record in listing():
            key = _volume_key(record)
            if key != current:
                if current is not None:
                    out.write("</volume>\n")
                if key is not None:
                    source, index, offset = key
                    fs = str(record["partition"].get("fs") or "")
                    out.write(
                        f"<volume offset={_attr(offset)} triage:source={_attr(source)} "
                        f"triage:index={_attr(index)}>"
                        f"{_element('partition_offset', offset)}{_element('ftype_str', fs)}\n"
                    )
                current = key
            out.write(fileobject(record) + "\n")
        if current is not None:
            out.write("</volume>\n")
        out.write("</dfxml>\n")
