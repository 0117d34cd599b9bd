"""Images embedded in PDF documents (pikepdf): JPEG and JPEG 2000 as stored, others as PNG."""

from __future__ import annotations

import io
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import pikepdf
from PIL import Image

from triage.containers.buffers import BytesContent, ContentFile
from triage.containers.formats import Context, Found, issue
from triage.containers.limits import LimitReached
from triage.ledger.records import Problem
from triage.model import Content

# A JPEG (or JPEG 2000) image is kept exactly as stored: the bytes are the original picture
# file, so its digests match a hash set entry for that picture.
_AS_STORED = {"/DCTDecode": "jpg", "/JPXDecode": "jp2"}
_READ_ERRORS = (pikepdf.PdfError, OSError, ValueError, TypeError, KeyError, NotImplementedError,
                zlib.error, RuntimeError, Image.DecompressionBombError)
# qpdf names the stream it read by its Python repr ("stream <…ContentFile object at 0x…>: …"):
# an address in memory means nothing to a reader of the report, so it is cut off.
_STREAM_PREFIX = re.compile(r"^stream <[^>]*>:\s*")
# A PDF up to this size is copied into anonymous memory (a memfd, never a file on disk) that
# qpdf maps. Read through a Python file object instead, qpdf calls back into Python about 120
# times a PDF, and each call waits for the GIL: the household disk's 2,486 PDFs made 301,000
# such calls while two readers were competing for it (cProfile of the scan's workers).
MAPPED_PDF_MAX = 16 * 1024 * 1024


def _reason(exc: BaseException) -> str:
    """qpdf's message without the repr of our file object."""
    return _STREAM_PREFIX.sub("", str(exc)).strip() or type(exc).__name__


def read_pdf(content: Content, ctx: Context) -> Iterator[Found | Problem]:
    """Each distinct image of a PDF once, named by the first page that shows it."""
    with _source(content) as (stream, mode):
        yield from _read_open(stream, mode, ctx)


@contextmanager
def _source(content: Content) -> Iterator[tuple[BinaryIO, pikepdf.AccessMode]]:
    """What qpdf reads: the PDF in a memfd it maps, or (large, unreadable here, or no memfd)
    the content itself, where qpdf meets and reports any failing read."""
    mapped = None
    if 0 < content.size <= MAPPED_PDF_MAX:
        try:
            # A small file's bytes are at hand already (HeadCached keeps it whole).
            mapped = _in_memory(content.read(0, content.size))
        except OSError:
            mapped = None
    if mapped is None:
        yield ContentFile(content), pikepdf.AccessMode.stream
        return
    with mapped:
        yield mapped, pikepdf.AccessMode.mmap


def _in_memory(data: bytes) -> BinaryIO | None:
    """`data` in an anonymous memory file, or None where none can be made."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is None:
        return None
    handle = open(memfd("triage-pdf", os.MFD_CLOEXEC), "rb")  # noqa: SIM115 - returned open
    try:
        view = memoryview(data)
        while view:  # a write may be short
            view = view[os.write(handle.fileno(), view):]
    except OSError:  # no memory for it: the content is read the slow way
        handle.close()
        return None
    return handle


def _read_open(stream: BinaryIO, mode: pikepdf.AccessMode, ctx: Context
               ) -> Iterator[Found | Problem]:
    try:
        pdf = pikepdf.open(stream, access_mode=mode)
    except pikepdf.PasswordError:
        yield issue(ctx, None, "encrypted PDF; its images were not examined", "encrypted")
        return
    except _READ_ERRORS as exc:
        yield issue(
            ctx, None, f"not a readable PDF ({_reason(exc)}); its images were not examined",
            "corrupt")
        return
    with pdf:
        seen: set[tuple[int, int]] = set()
        count = 0
        for path, image in _images(pdf, seen):
            count += 1
            if count > ctx.budget.limits.max_pdf_images:
                yield issue(ctx, None, f"more than {ctx.budget.limits.max_pdf_images} images; the "
                            "rest were not examined", "limit")
                return
            try:
                found = _extract(path, image, ctx)
            except LimitReached:
                raise
            except _READ_ERRORS as exc:
                yield issue(ctx, path, f"image not decodable ({_reason(exc)}); not examined",
                            "corrupt")
                continue
            yield found


def _images(pdf: pikepdf.Pdf, seen: set[tuple[int, int]]
            ) -> Iterator[tuple[str, pikepdf.Stream]]:
    for number, page in enumerate(pdf.pages, start=1):
        try:
            images = dict(page.get_images())  # forms' images too
        except _READ_ERRORS:
            continue
        for name, image in images.items():
            if image.objgen in seen or image.objgen == (0, 0):
                continue
            seen.add(image.objgen)
            yield f"page{number}/{name.lstrip('/')}", image
    # Images reached only otherwise (annotations, unused resources): by object number.
    masks = {obj.get("/SMask").objgen for obj in pdf.objects
             if isinstance(obj, pikepdf.Stream) and isinstance(obj.get("/SMask"), pikepdf.Stream)}
    for obj in pdf.objects:
        if (isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
                and obj.objgen not in seen and obj.objgen not in masks):
            seen.add(obj.objgen)
            yield f"object{obj.objgen[0]}", obj


def _extract(path: str, stream: pikepdf.Stream, ctx: Context) -> Found:
    image = pikepdf.PdfImage(stream)
    filters = [str(f) for f in image.filters]
    budget = ctx.budget
    if len(filters) == 1 and filters[0] in _AS_STORED:
        data = stream.read_raw_bytes()
        budget.take_bytes(len(data))
        return Found(f"{path}.{_AS_STORED[filters[0]]}", None, BytesContent(data))
    if image.width * image.height > budget.limits.max_pdf_image_pixels:
        raise ValueError(f"{image.width}x{image.height} pixels passes the "
                         f"{budget.limits.max_pdf_image_pixels}-pixel limit")
    out = io.BytesIO()
    image.as_pil_image().save(out, format="PNG", compress_level=1)
    data = out.getvalue()
    budget.take_bytes(len(data))
    return Found(f"{path}.png", None, BytesContent(data))
