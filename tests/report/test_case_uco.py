"""report.case.jsonld: valid CASE/UCO (checked by case-utils' SHACL validator) and complete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.report.factory import listing, record, report, write_scan_output
from triage.report.case_uco import write_case
from triage.report.sign import write_exports


@pytest.fixture
def graph(tmp_path: Path) -> tuple[Path, list[dict]]:
    out = write_scan_output(tmp_path / "out")
    write_exports(out)
    path = out / "report.case.jsonld"
    return path, json.loads(path.read_text(encoding="utf-8"))["@graph"]


def _of_type(nodes: list[dict], kind: str) -> list[dict]:
    return [n for n in nodes if n["@type"] == kind]


def test_validates_with_case_utils(graph: tuple[Path, list[dict]]) -> None:
    validate = pytest.importorskip("case_utils.case_validate", reason="pip install case-utils")
    result = validate.validate(str(graph[0]))
    assert result.conforms, result.text


def test_invalid_graph_is_caught_by_the_validator(tmp_path: Path) -> None:
    # Guards the test above: the validator must reject a broken graph, not pass everything.
    validate = pytest.importorskip("case_utils.case_validate", reason="pip install case-utils")
    out = write_scan_output(tmp_path / "out")
    write_exports(out)
    document = json.loads((out / "report.case.jsonld").read_text(encoding="utf-8"))
    facet = _of_type(document["@graph"], "uco-observable:File")[0]["uco-core:hasFacet"][0]
    facet["uco-observable:sizeInBytes"] = {"@type": "xsd:integer", "@value": "big"}
    facet["uco-observable:fileName"] = ["one", "two"]  # at most one name per facet
    broken = tmp_path / "broken.jsonld"
    broken.write_text(json.dumps(document), encoding="utf-8")
    assert not validate.validate(str(broken)).conforms


def test_files_hashes_action_tool(graph: tuple[Path, list[dict]]) -> None:
    nodes = graph[1]
    files = _of_type(nodes, "uco-observable:File")
    # Only the files a finding names: the full listing is in files.jsonl.gz and report.dfxml.
    flagged = {f["address"] for f in report()["findings"] if f.get("path")}
    assert len(flagged) == 3 < len(listing())
    assert sorted(f["uco-core:hasFacet"][0]["uco-observable:filePath"] for f in files) == sorted(
        r["path"] for r in listing() if r["address"] in flagged)
    hashes = {
        h["uco-types:hashMethod"]: h["uco-types:hashValue"]["@value"]
        for f in files for facet in f["uco-core:hasFacet"]
        for h in facet.get("uco-observable:hash", [])
        if h["uco-types:hashValue"]["@value"].startswith("a")
    }
    assert hashes == {"MD5": "a" * 32, "SHA1": "a" * 40, "SHA256": "a" * 64}
    (tool,) = _of_type(nodes, "uco-tool:AnalyticTool")
    assert tool["uco-tool:version"] == "0.1.0"
    (action,) = _of_type(nodes, "case-investigation:InvestigativeAction")
    assert action["uco-action:instrument"] == {"@id": tool["@id"]}
    assert action["uco-action:startTime"]["@value"] == "2025-01-10T09:00:00Z"
    (person,) = _of_type(nodes, "uco-identity:Person")
    assert person["uco-core:name"] == "PC 1234 Smith"
    (device,) = _of_type(nodes, "uco-observable:Device")
    assert device["uco-core:hasFacet"][0]["uco-observable:serialNumber"] == "SN-001"
    (provenance,) = _of_type(nodes, "case-investigation:ProvenanceRecord")
    file_ids = {f["@id"] for f in files}
    assert {o["@id"] for o in provenance["uco-core:object"]} <= file_ids
    assert len(provenance["uco-core:object"]) == 3
    assert len(_of_type(nodes, "uco-core:Annotation")) == 3


def test_deleted_state_and_hostile_names_kept_exactly(graph: tuple[Path, list[dict]]) -> None:
    facets = [f["uco-core:hasFacet"][0] for f in _of_type(graph[1], "uco-observable:File")]
    by_name = {f["uco-observable:fileName"]: f for f in facets}
    hostile = by_name["<img src=x onerror=alert(1)>.jpg"]
    assert hostile["uco-observable:allocationStatus"] == "unallocated"
    assert by_name["K001.jpg"]["uco-observable:allocationStatus"] == "allocated"


def test_ids_are_stable_and_unique(tmp_path: Path) -> None:
    first, second = tmp_path / "1.jsonld", tmp_path / "2.jsonld"
    write_case(first, report(), listing())
    write_case(second, report(), listing())
    assert first.read_bytes() == second.read_bytes()
    ids = [n["@id"] for n in json.loads(first.read_text())["@graph"]]
    assert len(ids) == len(set(ids))


def test_raw_name_bytes_do_not_break_the_graph(tmp_path: Path) -> None:
    raw = b"bad\xff.jpg".decode("utf-8", "surrogateescape")
    path = tmp_path / "x.jsonld"
    write_case(path, report(), [record(f"/{raw}", meta_addr=1)])
    nodes = json.loads(path.read_text(encoding="utf-8"))["@graph"]
    (file_node,) = _of_type(nodes, "uco-observable:File")
    assert file_node["uco-core:hasFacet"][0]["uco-observable:fileName"] == "bad\\udcff.jpg"
