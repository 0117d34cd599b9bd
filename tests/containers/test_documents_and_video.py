"""Pictures inside PDFs and frames of videos."""

from __future__ import annotations

import io

import av
import numpy as np
import pikepdf
import pytest
from PIL import Image

from triage.containers import ContainerLimits, is_container, pdfimages
from triage.containers.buffers import BytesContent
from triage.containers.sniff import SNIFF_BYTES
from triage.perceptual.bits import distance, parse_hex
from triage.perceptual.hasher import hash_picture
from triage.perceptual.thresholds import PDQ_MATCH_DISTANCE
from triage.stages.filetype import content_type

from . import builders as b
from .helpers import run, sha


def test_pdf_images_jpeg_as_stored_and_flate_as_png() -> None:
    known = b.jpeg(11)
    flate = b.picture(12)
    data = b.pdf_bytes(known, flate)
    rec, content = b.record("statement.pdf", data, mime=content_type(data[:16384]))
    assert is_container(rec)
    members, problems = run(rec, content)
    assert problems == []
    assert [m for m, _, _ in members] == ["page1/Im0.jpg", "page2/Im1.png"]
    assert sha(members[0][1]) == sha(known)  # the exact picture file: an exact hash match
    decoded = Image.open(io.BytesIO(members[1][1]))
    assert np.array_equal(np.asarray(decoded.convert("RGB")), np.asarray(flate))
    assert members[0][2].mtime == b.MTIME  # a document's pictures carry the document's time


def _no_memfd(name: str, flags: int) -> int:
    raise OSError(12, "Cannot allocate memory")


@pytest.mark.parametrize("way", ["mapped", "too large to map", "no memory to map"])
def test_pdf_read_from_mapped_memory_or_through_the_content_alike(monkeypatch, way: str
                                                                  ) -> None:
    """Small PDFs are mapped by qpdf, others read through the content: the same members, and a
    damaged one gives the same reason, whichever way."""
    if way == "too large to map":
        monkeypatch.setattr(pdfimages, "MAPPED_PDF_MAX", 0)
    elif way == "no memory to map":
        monkeypatch.setattr(pdfimages.os, "memfd_create", _no_memfd)
    known = b.jpeg(11)
    data = b.pdf_bytes(known, b.picture(12))
    with pdfimages._source(BytesContent(data)) as (_, mode):
        assert (mode == pikepdf.AccessMode.mmap) == (way == "mapped")
    members, problems = run(*b.record("statement.pdf", data))
    assert problems == [] and [m for m, _, _ in members] == ["page1/Im0.jpg", "page2/Im1.png"]
    assert sha(members[0][1]) == sha(known)
    members, problems = run(*b.record("broken.pdf", b"%PDF-1.4\n" + b"garbage " * 200))
    assert members == [] and [p.reason for p in problems] == ["corrupt"]
    assert "unable to find trailer dictionary" in problems[0].message


class _FailingContent(BytesContent):
    """Evidence whose first bytes read (the type sniff) but not the rest (a bad sector)."""

    def read(self, offset: int, length: int) -> bytes:
        if offset + length > SNIFF_BYTES:
            raise OSError("Input/output error")
        return super().read(offset, length)


def test_unreadable_pdf_is_reported_not_raised() -> None:
    rec, content = b.record("statement.pdf", b.pdf_bytes(b.jpeg(11), b.picture(12)))
    members, problems = run(rec, _FailingContent(content.read(0, content.size)))
    assert members == [] and [p.reason for p in problems] == ["corrupt"]
    assert "Input/output error" in problems[0].message


def test_encrypted_pdf_is_not_examined() -> None:
    pdf = pikepdf.open(io.BytesIO(b.pdf_bytes(b.jpeg(), b.picture(2))))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="secret"))
    members, problems = run(*b.record("locked.pdf", out.getvalue()))
    assert members == [] and [p.reason for p in problems] == ["encrypted"]


def test_damaged_pdf_reason_reads_as_words_not_a_memory_address() -> None:
    data = b"%PDF-1.4\n" + b"garbage " * 200
    members, problems = run(*b.record("broken.pdf", data))
    assert members == [] and [p.reason for p in problems] == ["corrupt"]
    message = problems[0].message
    assert "not a readable PDF (unable to find trailer dictionary" in message
    assert "object at 0x" not in message and "ContentFile" not in message


def _video(scenes: list[Image.Image], seconds_each: int, fps: int = 10,
           container: str = "mp4", codec: str = "libx264") -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as video:
        stream = video.add_stream(codec, rate=fps)
        stream.width, stream.height = scenes[0].size
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "12"}
        for scene in scenes:
            for _ in range(seconds_each * fps):
                for packet in stream.encode(av.VideoFrame.from_image(scene)):
                    video.mux(packet)
        for packet in stream.encode():
            video.mux(packet)
    return out.getvalue()


def _pdq(data: bytes) -> bytes:
    hashes = hash_picture(data)
    assert not isinstance(hashes, str)
    return parse_hex(hashes.pdq[0] if isinstance(hashes.pdq, tuple) else hashes.pdq, 256, "pdq")


def test_video_frames_at_scene_changes_match_the_known_frame_and_time() -> None:
    known = b.picture(21, (192, 128))
    scenes = [b.picture(20, (192, 128)), known, b.picture(22, (192, 128))]
    data = _video(scenes, seconds_each=2)
    rec, content = b.record("clip.mp4", data, mime=content_type(data[:16384]))
    assert is_container(rec)
    members, problems = run(rec, content)
    assert problems == []
    assert [m for m, _, _ in members] == ["frame@0.000s", "frame@2.000s", "frame@4.000s"]
    frame = members[1][2]
    assert str(frame.address).endswith("/Users/alex/clip.mp4!frame@2.000s · inode 42")
    assert frame.facts["video_time_s"] == 2.0
    pixels = np.asarray(Image.open(io.BytesIO(members[1][1])).convert("RGB"), dtype=np.int16)
    assert np.abs(pixels - np.asarray(known, dtype=np.int16)).mean() < 6
    known_png = io.BytesIO()
    known.save(known_png, format="PNG")
    assert distance(_pdq(members[1][1]), _pdq(known_png.getvalue())) <= PDQ_MATCH_DISTANCE
    assert distance(_pdq(members[0][1]), _pdq(known_png.getvalue())) > PDQ_MATCH_DISTANCE


def test_video_interval_frames_and_frame_limit() -> None:
    still = [b.picture(30, (64, 48))]
    data = _video(still, seconds_each=5, container="webm", codec="libvpx")
    members, problems = run(*b.record("still.webm", data),
                            ContainerLimits(video_interval_s=2.0))
    assert [m for m, _, _ in members] == ["frame@0.000s", "frame@2.000s", "frame@4.000s"]
    assert problems == []
    members, problems = run(*b.record("still.webm", data),
                            ContainerLimits(video_interval_s=2.0, video_max_frames=2))
    assert [m for m, _, _ in members] == ["frame@0.000s", "frame@2.000s"]
    assert [(p.reason, p.not_examined) for p in problems] == [("limit", False)]


def test_video_in_a_zip_names_zip_video_and_time() -> None:
    data = _video([b.picture(40, (64, 48))], seconds_each=1)
    members, _ = run(*b.record("clips.zip", b.zip_bytes({"v/clip.mp4": data})))
    assert [m for m, _, _ in members] == ["v/clip.mp4", "v/clip.mp4!frame@0.000s"]


def test_damaged_video_is_a_problem() -> None:
    data = _video([b.picture(41, (64, 48))], seconds_each=1)
    members, problems = run(*b.record("bad.mp4", data[:64]))
    assert members == [] and [p.reason for p in problems] == ["corrupt"]


def test_a_text_file_with_a_box_name_at_offset_4_is_no_video() -> None:
    text = b"# e2freefrag(8) completion                    -*- shell-script -*-\n_e2freefrag()\n"
    members, problems = run(*b.record("e2freefrag", text, mime="text/plain"))
    assert members == [] and problems == []  # was "not a decodable video" on a stock Debian


def test_is_container_by_mime_and_first_bytes() -> None:
    rec, _ = b.record("x.bin", b"")
    assert not is_container(rec)
    assert is_container(rec, b.zip_bytes({"a": b"a"})[:512])
    heic_head = b"\0\0\0\x18ftypheic" + b"\0" * 20
    mp4_head = b"\0\0\0\x18ftypisom" + b"\0" * 20
    assert not is_container(rec, heic_head) and is_container(rec, mp4_head)
    # Debian's bash completion for e2freefrag: "free" at offset 4 of a line of text.
    assert not is_container(rec, b"# e2freefrag(8) completion   -*- shell-script -*-\n")
    assert is_container(rec, b"\0\0\0\x08wide\0\x10\0\0mdat")  # QuickTime without ftyp
    for mime in ("application/zip", "application/x-tar", "video/quicktime", "application/pdf",
                 "application/vnd.oasis.opendocument.text", "application/x-7z-compressed"):
        rec.mime = mime
        assert is_container(rec), mime
    rec.mime = "image/jpeg"
    assert not is_container(rec)
