"""hashdeep, VICS, CAID, NSRL, EnCase and CSV importers from small hand-written samples."""

from __future__ import annotations

import codecs
import json
import sqlite3
from pathlib import Path

import pytest

from tests.hashdb.conftest import digests
from triage.errors import InvalidInputError
from triage.hashdb.bundle import Bundle
from triage.hashdb.formats import registry
from triage.hashdb.formats.registry import ImportOptions
from triage.hashdb.importing import collect, import_files
from triage.hashdb.library import HashSetLibrary
from triage.hashdb.setinfo import SetInfo, SetKind
from triage.model import Severity

M = digests("md5", 8, "fmt")
S1 = digests("sha1", 8, "fmt")
S2 = digests("sha256", 8, "fmt")


def found(done, algorithm: str) -> set[str]:
    entries = done.compiled.get(algorithm)
    return set() if entries is None else {bytes(r).hex() for r in entries.digests()}


# -- hashdeep ---------------------------------------------------------------------------------

HASHDEEP = (
    "%%%% HASHDEEP-1.0\n"
    "%%%% size,md5,sha256,filename\n"
    "## Invoked from: C:\\lab\n"
    "## $ hashdeep64.exe -r refs\n"
    "##\n"
    f"1234,{M[0]},{S2[0]},C:\\lab\\refs\\K001.jpg\n"
    f"99,{M[1].upper()},{S2[1]},/refs/with, comma.png\n"
    f"12,{M[2]},{S2[2][:-1]},/refs/short-sha.png\n"
    f"x1,{M[3]},{S2[3]},/refs/bad-size.png\n"
    f"5,{M[4]}\n"
)


def test_hashdeep(tmp_path: Path) -> None:
    path = tmp_path / "audit.txt"
    path.write_text(HASHDEEP)
    assert registry.detect(path).name == "hashdeep"
    done = collect([path], SetInfo("h"))
    assert found(done, "md5") == {M[0], M[1]} and found(done, "sha256") == {S2[0], S2[1]}
    assert done.stats.problems == [
        f"{path}:8: sha256 is not 64 hex digits",
        f"{path}:9: size 'x1' is not a number",
        f"{path}:10: 2 fields where the header has 4",
    ]
    assert sorted(done.collector.references) == ["K001.jpg", "with, comma.png"]


def test_hashdeep_row_before_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "audit.txt"
    path.write_text(f"%%%% HASHDEEP-1.0\n1,{M[0]},x\n")
    with pytest.raises(InvalidInputError, match=r"audit.txt:2: a row comes before"):
        collect([path], SetInfo("h"))


# -- VICS / CAID ------------------------------------------------------------------------------


def media(i: int, category: object, **extra: object) -> dict:
    return {
        "MediaID": 100 + i,
        "Category": category,
        "MD5": M[i].upper(),
        "SHA1": S1[i],
        "MediaSize": 1000 + i,
        "IsPrecategorized": "true" if i % 2 else True,
        **extra,
    }


def vics_1() -> dict:
    return {
        "odata.metadata": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/1.3.xml",
        "value": [
            media(0, 1, MediaFiles=[{"MD5": M[0], "SHA1": S1[0], "FileName": "a.jpg"}]),
            media(
                1,
                "2",
                AlternativeHashes=[
                    {"HashName": "PhotoDNA", "HashValue": "AAAA"},
                    {"HashName": "SHA256", "HashValue": S2[1]},
                ],
            ),
            media(2, 0),  # non-pertinent: left out of a notable set
            {"MediaID": 103, "Category": 3, "MD5": "nothex", "SHA1": S1[3]},
            {"MediaID": 104, "Category": 1},
        ],
    }


def vics_2_cases() -> dict:
    return {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml",
        "value": [
            {"CaseNumber": "C-1", "Media": [media(4, 1), media(5, 3)]},
            {"CaseNumber": "C-2", "Media": [media(6, 2.0)]},
        ],
    }


def test_vics_1_with_bom_nested_files_and_alternative_hashes(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(codecs.BOM_UTF8 + json.dumps(vics_1()).encode())
    assert registry.detect(path).name == "vics"
    done = collect([path], SetInfo("v"))
    assert found(done, "md5") == {M[0], M[1]}
    assert found(done, "sha1") == {S1[0], S1[1]}
    assert found(done, "sha256") == {S2[1]}
    assert done.stats.skipped == 1
    assert done.stats.problems == [
        f"{path}:value[3]: MD5 'nothex' is not a 32-digit hex MD5",
        f"{path}:value[4]: the media record carries no MD5, SHA1 or SHA256",
    ]
    assert done.collector.categories == ["1", "2"]
    assert "MediaID 100" in done.collector.references


def test_vics_2_case_export_nests_media_under_cases(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(vics_2_cases(), indent=1))
    target, stats = import_files([path], SetInfo("cases"), tmp_path / "out", fmt="vics")
    lib = HashSetLibrary.load(tmp_path / "out")
    assert lib.lookup(md5=M[4])[0].severity is Severity.CRITICAL  # category 1
    assert lib.lookup(md5=M[6])[0].category == "2"  # 2.0 becomes "2"
    assert lib.lookup(sha1=S1[5])[0].reference == "MediaID 105"
    assert stats.rejected == 0


@pytest.mark.parametrize("cut", [10, 200, -3])
def test_truncated_vics_is_a_clear_error_and_writes_nothing(tmp_path: Path, cut: int) -> None:
    text = json.dumps(vics_2_cases())
    path = tmp_path / "cut.json"
    path.write_text(text[:cut])
    out = tmp_path / "out"
    with pytest.raises(InvalidInputError, match="cut short or malformed.*nothing was imported"):
        import_files([path], SetInfo("cut"), out, fmt="vics")
    assert not out.exists() or list(out.iterdir()) == []


def test_json_without_value_array_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"@odata.context": "x", "items": []}')
    with pytest.raises(InvalidInputError, match="no `value` array"):
        collect([path], SetInfo("x"), fmt="vics")


def test_caid_maps_numeric_categories_and_records_the_map(tmp_path: Path) -> None:
    export = vics_2_cases()
    export["@odata.context"] = "https://caid.example/DataModels/2.0.xml/UK/$metadata#Cases"
    export["value"][0]["Media"].append(media(7, 4))  # 4: not indecent under the map
    path = tmp_path / "caid.json"
    path.write_text(json.dumps(export))
    assert registry.detect(path).name == "caid"
    target, stats = import_files([path], SetInfo("caid"), tmp_path / "out")
    assert stats.skipped == 1
    bundle = Bundle.open(target)
    assert bundle.manifest["category_map"] == {"1": "A", "2": "B", "3": "C"}
    lib = HashSetLibrary.load(tmp_path / "out")
    assert (lib.lookup(md5=M[4])[0].category, lib.lookup(md5=M[4])[0].severity) == (
        "A",
        Severity.CRITICAL,
    )
    assert lib.lookup(md5=M[5])[0].category == "C"
    assert lib.lookup(md5=M[7]) == []


def test_caid_with_a_custom_map(tmp_path: Path) -> None:
    path = tmp_path / "caid.json"
    path.write_text(json.dumps(vics_2_cases()))
    done = collect([path], SetInfo("c"), fmt="caid", options=ImportOptions(category_map={"2": "B"}))
    assert found(done, "md5") == {M[6]} and done.stats.skipped == 2
    assert done.info.category_map == {"2": "B"}


# -- NSRL -------------------------------------------------------------------------------------


def rds(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, crc32 TEXT, "
            "file_name TEXT, file_size INTEGER, package_id INTEGER)"
        )
        db.executemany(
            "INSERT INTO FILE VALUES (?, ?, ?, '00000000', ?, 1, 7)",
            [
                (S2[0].upper(), S1[0].upper(), M[0].upper(), "kernel32.dll"),
                (S2[1], S1[1], M[1], "notepad.exe"),
                (S2[2], "zz", M[2], "broken.dll"),
                (None, S1[3], M[3], "no-sha256.dll"),
            ],
        )
    db.close()
    return path


def test_nsrl_rds_v3_is_known_good_and_opened_read_only(tmp_path: Path) -> None:
    path = rds(tmp_path / "RDS_minimal.db")
    before = sorted(p.name for p in tmp_path.iterdir())
    target, stats = import_files([path], SetInfo("nsrl"), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "out"])
    assert stats.problems == [f"{path}:FILE rowid 3: sha1 is not 40 hex digits"]
    bundle = Bundle.open(target)
    assert bundle.kind is SetKind.KNOWN_GOOD
    assert bundle.counts == {"sha256": 3, "sha1": 3, "md5": 4}
    match = HashSetLibrary.load(tmp_path / "out").lookup(md5=M[0])[0]
    assert match.known_good and match.severity is Severity.INFO


def test_nsrl_legacy_text(tmp_path: Path) -> None:
    path = tmp_path / "NSRLFile.txt"
    path.write_text(
        '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"\r\n'
        f'"{S1[0].upper()}","{M[0].upper()}","AABBCCDD","a, b.dll",10,1,"358",""\r\n'
        f'"{S1[1]}","{M[1]}","AABBCCDD","c.dll",10,1,"358"\r\n'
        f'"{S1[2]}","{M[2][:5]}","AABBCCDD","d.dll",10,1,"358",""\r\n'
    )
    assert registry.detect(path).name == "nsrl"
    done = collect([path], SetInfo("n"))
    assert done.info.kind is SetKind.KNOWN_GOOD
    assert found(done, "md5") == {M[0]} and found(done, "sha1") == {S1[0]}
    assert done.stats.problems == [
        f"{path}:3: 7 fields where the header has 8",
        f"{path}:4: MD5 is not a hex digest",
    ]


def test_a_random_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    with pytest.raises(InvalidInputError, match="has no FILE table"):
        collect([path], SetInfo("o"), fmt="nsrl")


# -- EnCase -----------------------------------------------------------------------------------


def test_encase_hash_records(tmp_path: Path) -> None:
    header = b"HASH\r\n\xff\x00" + "Lab set".encode("utf-16-le")
    header += b"\x00" * (1152 - len(header))
    records = b"".join(bytes.fromhex(h) + b"\x00\x01" for h in M[:3])
    path = tmp_path / "lab.hash"
    path.write_bytes(header + records + b"\x01\x02\x03")
    assert registry.detect(path).name == "encase"
    done = collect([path], SetInfo("e"))
    assert found(done, "md5") == set(M[:3])
    assert done.stats.problems == [
        f"{path}:offset 1206: 3 trailing bytes do not make a whole 18-byte record"
    ]


def test_encase_short_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "short.hash"
    path.write_bytes(b"HASH\r\n\xff\x00" + b"\x00" * 10)
    with pytest.raises(InvalidInputError, match="shorter than an EnCase"):
        collect([path], SetInfo("e"))


# -- CSV --------------------------------------------------------------------------------------


def test_csv_with_known_headers_semicolons_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    text = (
        "Name;MD5 Hash;Category\r\n"
        f'"pic; one.jpg";{M[0]};A\r\n'
        f"two.jpg;{M[1].upper()};\r\n"
        "three.jpg;123;B\r\n"
        "\r\n"
        "four.jpg\r\n"
    )
    path.write_bytes(codecs.BOM_UTF8 + text.encode())
    assert registry.detect(path).name == "csv"
    done = collect([path], SetInfo("c", category="C"))
    assert found(done, "md5") == {M[0], M[1]}
    assert done.stats.problems == [
        f"{path}:4: md5 is not 32 hex digits",
        f"{path}:6: only 1 fields",
    ]
    assert sorted(done.collector.categories) == ["A", "C"]
    assert sorted(done.collector.references) == ["pic; one.jpg", "two.jpg"]


def test_csv_with_an_explicit_mapping(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(f"Ident,Fingerprint,Class\n7,{S2[0]},B\n")
    with pytest.raises(InvalidInputError, match="no md5, sha1 or sha256 column"):
        collect([path], SetInfo("c"), fmt="csv")
    options = ImportOptions(
        columns={"sha256": "Fingerprint", "category": "Class", "reference": "Ident"}
    )
    done = collect([path], SetInfo("c"), fmt="csv", options=options)
    assert found(done, "sha256") == {S2[0]}
    assert done.collector.categories == ["B"] and done.collector.references == ["7"]
    with pytest.raises(InvalidInputError, match="no column named 'Nope' for md5"):
        collect([path], SetInfo("c"), fmt="csv", options=ImportOptions(columns={"md5": "Nope"}))


def test_unrecognised_file_asks_for_a_format(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\nmilk\n")
    with pytest.raises(InvalidInputError, match="could not be recognised; name it with --format"):
        registry.detect(path)
