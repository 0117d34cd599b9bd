"""Expert Witness (E01) images through libewf-python, fed our own read-only file objects."""

from __future__ import annotations

import os
from pathlib import Path

from triage.errors import EvidenceError
from triage.evidence.base import Identity, ImageSource
from triage.evidence.readonly import open_readonly


class EwfImage(ImageSource):
    """An E01/Ex01 image set, possibly in several segments (.E01, .E02, ...)."""

    kind = "E01 image"

    def __init__(self, first: Path) -> None:
        super().__init__(first.name)
        try:
            import pyewf
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise EvidenceError("E01 support needs libewf-python; pip install it.") from exc
        try:
            names = pyewf.glob(str(first))
        except OSError as exc:
            raise EvidenceError(f"{first}: not a readable E01 segment set ({exc}).") from exc
        # libewf can open file objects, so the descriptors come from our one read-only opener.
        self._files = [os.fdopen(open_readonly(name), "rb") for name in names]
        self._handle = pyewf.handle()
        try:
            self._handle.open_file_objects(self._files)
        except OSError as exc:
            self.close()
            raise EvidenceError(f"{first}: libewf cannot open it ({exc}).") from exc
        self.segments = len(names)
        self.size = self._handle.get_media_size()

    def read(self, offset: int, length: int) -> bytes:
        if offset >= self.size or length <= 0:
            return b""
        return self._handle.read_buffer_at_offset(min(length, self.size - offset), offset)

    def _header(self, name: str) -> str | None:
        try:
            value = self._handle.get_header_value(name)
        except (OSError, KeyError):
            return None
        return value or None

    def identity(self) -> Identity:
        first, last = self.edge_digests()
        return Identity(
            source=self.name, kind=f"{self.kind} ({self.segments} segments)", size=self.size,
            model=self._header("model"), serial=self._header("serial_number"),
            first_mib_sha256=first, last_mib_sha256=last,
        )

    def close(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            try:
                handle.close()
            except OSError:
                pass
            self._handle = None
        for handle_file in self._files:
            handle_file.close()
        self._files = []
