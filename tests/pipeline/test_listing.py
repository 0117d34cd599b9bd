"""files.jsonl.gz: every record, in order, written in blocks, readable line by line."""

from __future__ import annotations

import gzip

from triage.model import Address, FileRecord, PartitionRef
from triage.report.listing import BLOCK_LINES, ListingWriter, read_listing


def test_every_record_in_order_across_blocks_with_raw_names(tmp_path):
    writer = ListingWriter(tmp_path)
    count = BLOCK_LINES * 3 + 7
    part = PartitionRef(1, 1048576, "ntfs")
    raw = b"bad\xff".decode("utf-8", "surrogateescape")
    for i in range(count):
        writer.write(FileRecord(Address("d.img", part, f"/{raw}{i}", i), f"{raw}{i}", i))
    assert not writer.path.exists()  # only complete listings appear under the final name
    writer.close()
    records = read_listing(tmp_path / "files.jsonl.gz")
    assert [r["size"] for r in records] == list(range(count))
    assert records[5]["name"] == f"{raw}5"
    with gzip.open(tmp_path / "files.jsonl.gz", "rb") as handle:
        assert handle.read().count(b"\n") == count
