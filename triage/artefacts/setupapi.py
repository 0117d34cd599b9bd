"""setupapi.dev.log: when Windows first installed each USB storage device (local time)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.record import Artefact

MAX_BYTES = 128 * 1024 * 1024
_INSTALL = re.compile(r"^>>>\s+\[Device Install[^\]]*-\s*(USBSTOR\\[^\]]+)\]", re.IGNORECASE)
_START = re.compile(r"^>>>\s+Section start (\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)")


class SetupApiLog(Extractor):
    name = "setupapi-log"
    patterns = ("*/windows/inf/setupapi.dev.log",)

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        with copy.open("rb") as handle:
            text = handle.read(MAX_BYTES).decode("utf-8", "replace")
        device: str | None = None
        for line in text.splitlines():
            found = _INSTALL.match(line)
            if found:
                device = found.group(1)
                continue
            started = _START.match(line)
            if started and device:
                # The log writes the computer's local time; the offset is not in the file.
                when = dt.datetime.strptime(started.group(1), "%Y/%m/%d %H:%M:%S").replace(
                    tzinfo=dt.UTC).timestamp()
                _, _, rest = device.partition("\\")
                ident, _, instance = rest.partition("\\")
                parts = dict(p.split("_", 1) for p in ident.split("&") if "_" in p)
                yield Artefact("usb-device", when, origin.address, None, {
                    "vendor": parts.get("Ven", ""), "product": parts.get("Prod", ""),
                    "serial": instance.rsplit("&", 1)[0] if instance[1:2] != "&" else "",
                    "first_connected": when, "time_zone": "the computer's local time",
                    "evidence": "setupapi.dev.log"})
                device = None
