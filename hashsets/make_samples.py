"""Writes hashsets/samples/: one small file per supported format, all of benign test digests.

The digests are of the strings "triage sample N", never of real material; the tests import
every sample and check the format is recognised and every entry is found.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import sqlite3
import sys
from pathlib import Path

COUNT = 4


def digest(algorithm: str, n: int) -> str:
    return hashlib.new(algorithm, f"triage sample {n}".encode()).hexdigest()


def write_all(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    md5 = [digest("md5", n) for n in range(COUNT)]
    sha1 = [digest("sha1", n) for n in range(COUNT)]
    sha256 = [digest("sha256", n) for n in range(COUNT)]
    names = [f"sample_{n}.jpg" for n in range(COUNT)]
    (folder / "sample.md5").write_text(
        "# md5sum output\n" + "".join(f"{h}  {p}\n" for h, p in zip(md5, names, strict=True))
    )
    (folder / "sample.sha1").write_text(
        "".join(f"{h} *{p}\n" for h, p in zip(sha1, names, strict=True))
    )
    # Windows tools (certutil, PowerShell redirection) write UTF-16 with a BOM and CRLF.
    (folder / "sample-utf16.sha256").write_bytes(
        codecs.BOM_UTF16_LE + "".join(f"{h.upper()}\r\n" for h in sha256).encode("utf-16-le")
    )
    (folder / "sample-hashdeep.txt").write_text(
        "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## Invoked from: /lab\n##\n"
        + "".join(f"{100 + n},{md5[n]},{sha256[n]},/lab/refs/{names[n]}\n" for n in range(COUNT))
    )
    media = [
        {
            "MediaID": n + 1,
            "Category": n % 3 + 1,
            "MD5": md5[n].upper(),
            "SHA1": sha1[n],
            "MediaSize": 100 + n,
            "IsPrecategorized": n % 2 == 0,
            "MediaFiles": [{"MD5": md5[n], "SHA1": sha1[n], "FileName": names[n]}],
        }
        for n in range(COUNT)
    ]
    vics1 = {
        "odata.metadata": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/1.3.xml/"
        "Default/$metadata#Media",
        "value": media,
    }
    (folder / "sample-vics1.json").write_bytes(
        codecs.BOM_UTF8 + json.dumps(vics1, indent=1).encode()
    )
    vics2 = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
        "Default/$metadata#Cases",
        "value": [{"CaseNumber": "SAMPLE-1", "Media": media}],
    }
    (folder / "sample-vics2.json").write_text(json.dumps(vics2, indent=1))
    caid = {
        "@odata.context": "https://caid.example/DataModels/2.0.xml/UK/$metadata#Cases",
        "value": [{"CaseNumber": "SAMPLE-2", "Media": media}],
    }
    (folder / "sample-caid.json").write_text(json.dumps(caid, indent=1))
    (folder / "sample-NSRLFile.txt").write_text(
        '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"\n'
        + "".join(
            f'"{sha1[n].upper()}","{md5[n].upper()}","00000000","{names[n]}",{100 + n},1,"358",""\n'
            for n in range(COUNT)
        )
    )
    rds = folder / "sample-rds.db"
    rds.unlink(missing_ok=True)
    with sqlite3.connect(rds) as db:
        db.execute(
            "CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, crc32 TEXT, "
            "file_name TEXT, file_size INTEGER, package_id INTEGER)"
        )
        db.executemany(
            "INSERT INTO FILE VALUES (?, ?, ?, '00000000', ?, ?, 1)",
            [
                (sha256[n].upper(), sha1[n].upper(), md5[n].upper(), names[n], 100 + n)
                for n in range(COUNT)
            ],
        )
    db.close()
    header = b"HASH\r\n\xff\x00" + "triage sample".encode("utf-16-le")
    (folder / "sample.hash").write_bytes(
        header.ljust(1152, b"\x00") + b"".join(bytes.fromhex(h) + b"\x00\x00" for h in md5)
    )
    (folder / "sample.csv").write_text(
        "File Name,MD5,SHA-256,Category\n"
        + "".join(f"{names[n]},{md5[n]},{sha256[n]},{'ABC'[n % 3]}\n" for n in range(COUNT))
    )


if __name__ == "__main__":
    write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "samples")
