"""Generated container fixtures: benign pictures packed every way expand() must open."""

from __future__ import annotations

import bz2
import io
import struct
import tarfile
import zipfile
import zlib

import numpy as np
from PIL import Image

from triage.containers.buffers import BytesContent
from triage.model import Address, FileRecord, PartitionRef

MTIME = 1_700_000_000  # 2023-11-14T22:13:20Z, a whole even second (zip keeps 2-s steps)
DATE_TIME = (2023, 11, 14, 22, 13, 20)


def picture(seed: int = 1, size: tuple[int, int] = (96, 64)) -> Image.Image:
    """A benign, deterministic picture standing in for a known image."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255 // w), (y * 255 // h), ((x + y) * 127 // (w + h))], axis=-1)
    blocks = rng.integers(0, 255, size=(h // 16 + 1, w // 16 + 1, 3))
    noise = np.kron(blocks, np.ones((16, 16, 1)))[:h, :w]
    return Image.fromarray(((base + noise) // 2).astype(np.uint8), "RGB")


def jpeg(seed: int = 1) -> bytes:
    out = io.BytesIO()
    picture(seed).save(out, format="JPEG", quality=90)
    return out.getvalue()


def record(name: str, data: bytes, *, member: str | None = None, mime: str | None = None,
           deleted: bool = False) -> tuple[FileRecord, BytesContent]:
    address = Address("case.img", PartitionRef(1, 1048576, "ntfs"), f"/Users/alex/{name}",
                      meta_addr=42, member=member)
    rec = FileRecord(address=address, name=name, size=len(data), deleted=deleted, mtime=MTIME)
    rec.mime = mime
    return rec, BytesContent(data)


def zip_bytes(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED,
              zip64: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, DATE_TIME)
            info.compress_type = method
            if name.endswith("/"):
                archive.writestr(info, b"")
                continue
            with archive.open(info, "w", force_zip64=zip64) as handle:
                handle.write(data)
    return out.getvalue()


def tar_gz_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), MTIME
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return table


def zipcrypto_bytes(name: str, data: bytes, password: bytes) -> bytes:
    """A one-member zip encrypted with traditional PKWARE encryption (what `zip -P` makes)."""
    table = _crc_table()
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(byte: int) -> None:
        keys[0] = (keys[0] >> 8) ^ table[(keys[0] ^ byte) & 0xFF]
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = (keys[2] >> 8) ^ table[(keys[2] ^ (keys[1] >> 24)) & 0xFF]

    for byte in password:
        update(byte)
    crc = zlib.crc32(data)
    plain = bytes(range(11)) + bytes([crc >> 24]) + data
    cipher = bytearray()
    for byte in plain:
        temp = (keys[2] | 2) & 0xFFFF
        cipher.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
        update(byte)
    raw_name = name.encode()
    dostime = (22 << 11) | (13 << 5) | 10
    dosdate = ((2023 - 1980) << 9) | (11 << 5) | 14
    common = struct.pack("<HHHHHIII", 20, 1, 0, dostime, dosdate, crc, len(cipher), len(data))
    local = b"PK\x03\x04" + common + struct.pack("<HH", len(raw_name), 0) + raw_name
    central = (b"PK\x01\x02" + struct.pack("<H", 20) + common
               + struct.pack("<HHHHHII", len(raw_name), 0, 0, 0, 0, 0, 0) + raw_name)
    body = local + bytes(cipher)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central), len(body), 0)
    return body + central + end


def docx_bytes(picture_bytes: bytes) -> bytes:
    """A minimal Word document whose only picture is `picture_bytes`."""
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
             '.org/package/2006/content-types"><Default Extension="jpeg" ContentType="image/jpeg"'
             '/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/wor'
             'd/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordpr'
             'ocessingml.document.main+xml"/></Types>')
    document = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.open'
                'xmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Holiday</w:t>'
                '</w:r></w:p></w:body></w:document>')
    return zip_bytes({"[Content_Types].xml": types.encode(), "word/document.xml": document.encode(),
                      "word/media/image1.jpeg": picture_bytes})


def pdf_bytes(picture_jpeg: bytes, flate_picture: Image.Image) -> bytes:
    """A two-page PDF: page 1 shows the JPEG as stored, page 2 a Flate-compressed RGB image."""
    import pikepdf

    pdf = pikepdf.new()
    for index, (data, img) in enumerate(((picture_jpeg, Image.open(io.BytesIO(picture_jpeg))),
                                         (None, flate_picture))):
        if data is not None:
            stream = pikepdf.Stream(pdf, data)
            stream.Filter = pikepdf.Name.DCTDecode
        else:
            stream = pikepdf.Stream(pdf, zlib.compress(img.tobytes()))
            stream.Filter = pikepdf.Name.FlateDecode
        stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        stream.Width, stream.Height = img.width, img.height
        stream.ColorSpace, stream.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
        page = pdf.add_blank_page(page_size=(img.width, img.height))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary({f"/Im{index}": stream}))
        page.Contents = pikepdf.Stream(
            pdf, f"q {img.width} 0 0 {img.height} 0 0 cm /Im{index} Do Q".encode())
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def bz2_bomb(streams: int = 100) -> bytes:
    """A few KB of concatenated bzip2 streams, each ~45 MB of zeros: GBs when expanded."""
    one = bz2.compress(b"\0" * (45 * 1024 * 1024), 9)
    return one * streams


def nested_zip_bomb(levels: int = 4, copies: int = 16, kernel: int = 1024 * 1024) -> bytes:
    """42.zip in miniature: each level holds `copies` of the level below; zeros at the bottom."""
    data = zip_bytes({"zeros.bin": b"\0" * kernel})
    for level in range(1, levels + 1):
        data = zip_bytes({f"l{level}-{n}.zip": data for n in range(copies)})
    return data


def deep_zip(levels: int) -> bytes:
    """A picture wrapped in `levels` zips, one inside the other: d1.zip!d2.zip!...!a.jpg."""
    data = zip_bytes({"a.jpg": jpeg(3)})
    for level in range(levels, 0, -1):
        data = zip_bytes({f"d{level}.zip": data})
    return data


def rar4_bytes(members: list[tuple[str, bytes, int]]) -> bytes:
    """A RAR 4 archive of (name, packed bytes, method); method 0x30 means stored."""

    def block(kind: int, flags: int, body: bytes) -> bytes:
        head = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
        return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head

    dostime = (22 << 11) | (13 << 5) | 10 | (((2023 - 1980) << 9) | (11 << 5) | 14) << 16
    out = b"Rar!\x1a\x07\x00" + block(0x73, 0, b"\0" * 6)
    for name, data, method in members:
        raw = name.encode()
        body = struct.pack("<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), dostime,
                           29, method, len(raw), 0o100644) + raw
        out += block(0x74, 0x8000, body) + data
    return out + block(0x7B, 0x4000, b"")
