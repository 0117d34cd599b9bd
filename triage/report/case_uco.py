"""report.case.jsonld: the scan as CASE/UCO JSON-LD (files, hashes, the action, tool, people)."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from triage.report.atomic import atomic_file
from triage.report.canonical import canonical_bytes

CASE_NAME = "report.case.jsonld"
# The CASE 1.x / UCO 1.x namespaces (case-utils validates against CASE 1.5.0).
CONTEXT = {
    "kb": "urn:triage:kb:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# Stable identifiers: UUIDv5 under this namespace, so one scan always yields the same graph.
ID_NAMESPACE = uuid.UUID("6f0c3a52-3b1e-5d0e-9a3c-7d2a1c4b9e11")
HASH_METHODS = (("md5", "MD5"), ("sha1", "SHA1"), ("sha256", "SHA256"))
TIMES = (("mtime", "modifiedTime"), ("atime", "accessedTime"), ("ctime", "metadataChangeTime"),
         ("crtime", "observableCreatedTime"))
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _str(value: Any) -> str:
    # RDF literals are Unicode strings; a lone surrogate from a raw file name is not one.
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))


def _typed(value: Any, datatype: str) -> dict[str, str]:
    return {"@type": datatype, "@value": _str(value)}


class _Ids:
    """Deterministic node ids for one report."""

    def __init__(self, report: dict[str, Any]) -> None:
        provenance = report.get("provenance") if isinstance(report.get("provenance"), dict) else {}
        self.seed = hashlib.sha256(canonical_bytes(provenance)).hexdigest()

    def __call__(self, kind: str, key: Any = "") -> str:
        # uuid5 by hand: uuid.uuid5 cannot encode the lone surrogates of raw file names.
        name = f"{self.seed}|{kind}|{key}".encode("utf-8", "surrogateescape")
        digest = hashlib.sha1(ID_NAMESPACE.bytes + name, usedforsecurity=False).digest()
        return f"kb:{kind}-{uuid.UUID(bytes=digest[:16], version=5)}"


def _write_node(out: IO[str], node: dict[str, Any], first: bool) -> None:
    # The C encoder, not canonical_bytes: ten times faster on large listings, and every string
    # in a node has already been through _str, so there are no surrogates left to escape.
    text = json.dumps(node, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    out.write(("" if first else ",\n") + text)


def file_node(record: dict[str, Any], ids: _Ids) -> dict[str, Any]:
    """A uco-observable:File with its FileFacet and ContentDataFacet (hashes)."""
    key = record.get("address") or record.get("path")
    path = record.get("path") or record.get("name") or ""
    facet: dict[str, Any] = {
        "@id": ids("file-facet", key),
        "@type": "uco-observable:FileFacet",
        "uco-observable:fileName": _str(record.get("name") or path.rsplit("/", 1)[-1]),
        "uco-observable:filePath": _str(path),
        "uco-observable:allocationStatus": "unallocated" if record.get("deleted") else "allocated",
    }
    size = record.get("size")
    if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
        facet["uco-observable:sizeInBytes"] = _typed(size, "xsd:integer")
    for field, prop in TIMES:
        if record.get(field):
            facet[f"uco-observable:{prop}"] = _typed(record[field], "xsd:dateTime")
    facets = [facet]
    hashes = [
        {
            "@id": ids(f"hash-{field}", key),
            "@type": "uco-types:Hash",
            "uco-types:hashMethod": method,  # plain: the vocabulary lists untyped strings
            "uco-types:hashValue": _typed(record[field], "xsd:hexBinary"),
        }
        for field, method in HASH_METHODS
        if record.get(field)
    ]
    if hashes or record.get("mime"):
        content: dict[str, Any] = {"@id": ids("content-facet", key),
                                   "@type": "uco-observable:ContentDataFacet"}
        if hashes:
            content["uco-observable:hash"] = hashes
        if record.get("mime"):
            content["uco-observable:mimeType"] = _str(record["mime"])
        facets.append(content)
    return {"@id": ids("file", key), "@type": "uco-observable:File", "uco-core:hasFacet": facets}


def _head_nodes(report: dict[str, Any], ids: _Ids) -> list[dict[str, Any]]:
    provenance = report.get("provenance") if isinstance(report.get("provenance"), dict) else {}
    tool = provenance.get("tool") if isinstance(provenance.get("tool"), dict) else {}
    evidence = [e for e in provenance.get("evidence") or [] if isinstance(e, dict)]
    nodes: list[dict[str, Any]] = []
    tool_node = {"@id": ids("tool"), "@type": "uco-tool:AnalyticTool",
                 "uco-core:name": _str(tool.get("name") or "triage")}
    if tool.get("version"):
        tool_node["uco-tool:version"] = _str(tool["version"])
    nodes.append(tool_node)
    devices = []
    for index, item in enumerate(evidence):
        device: dict[str, Any] = {"@id": ids("device", index), "@type": "uco-observable:Device",
                                  "uco-core:name": _str(item.get("source") or "")}
        facet: dict[str, Any] = {"@id": ids("device-facet", index),
                                 "@type": "uco-observable:DeviceFacet"}
        if item.get("model"):
            facet["uco-observable:model"] = _str(item["model"])
        if item.get("serial"):
            facet["uco-observable:serialNumber"] = _str(item["serial"])
        device["uco-core:hasFacet"] = [facet]
        devices.append(device)
    nodes += devices
    action: dict[str, Any] = {
        "@id": ids("action"),
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": "triage scan",
        "uco-action:instrument": {"@id": tool_node["@id"]},
        "uco-action:object": [{"@id": d["@id"]} for d in devices],
        "uco-action:result": [{"@id": ids("provenance")}],
    }
    for field, prop in (("started_utc", "startTime"), ("finished_utc", "endTime")):
        if provenance.get(field):
            action[f"uco-action:{prop}"] = _typed(provenance[field], "xsd:dateTime")
    if provenance.get("officer"):
        officer = {"@id": ids("officer"), "@type": "uco-identity:Person",
                   "uco-core:name": _str(provenance["officer"])}
        nodes.append(officer)
        action["uco-action:performer"] = {"@id": officer["@id"]}
    nodes.append(action)
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    flagged = sorted({str(f.get("address")) for f in findings if f.get("address")})
    record: dict[str, Any] = {
        "@id": ids("provenance"), "@type": "case-investigation:ProvenanceRecord",
        "case-investigation:exhibitNumber": _str(provenance.get("case") or "unreferenced"),
        "uco-core:description": "Files with findings in this triage scan.",
    }
    if flagged:
        record["uco-core:object"] = [{"@id": ids("file", a)} for a in flagged]
    nodes.append(record)
    investigation = {"@id": ids("investigation"), "@type": "case-investigation:Investigation",
                     "uco-core:name": _str(provenance.get("case") or "unreferenced"),
                     "uco-core:object": [{"@id": action["@id"]}]}
    nodes.append(investigation)
    for index, finding in enumerate(findings):
        if not finding.get("address"):
            continue
        nodes.append({
            "@id": ids("finding", index), "@type": "uco-core:Annotation",
            "uco-core:statement": _str(f"{finding.get('severity')}: {finding.get('title')}"),
            "uco-core:object": [{"@id": ids("file", finding["address"])}],
        })
    return nodes


def write_case(path: Path, report: dict[str, Any], listing: Iterable[dict[str, Any]]) -> None:
    """Write the graph, streaming one File node per listed record."""
    ids = _Ids(report)
    # Written under a temporary name first so a crash or a full disk never leaves half an
    # export in place.
    with atomic_file(path, "w", encoding="utf-8") as out:
        out.write('{"@context":' + canonical_bytes(CONTEXT).decode("utf-8") + ',"@graph":[\n')
        first = True
        for node in _head_nodes(report, ids):
            _write_node(out, node, first)
            first = False
        for record in listing:
            _write_node(out, file_node(record, ids), first)
        out.write("\n]}\n")
