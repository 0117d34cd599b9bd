"""The operating system's own evidence: browser history, registry, event logs, shell
histories, as typed records the rules and the report read."""

from triage.artefacts.collect import ArtefactCollector
from triage.artefacts.extract import (
    ARTEFACTS_NAME,
    Extracted,
    extract_all,
    remove_copies,
    write_listing,
)
from triage.artefacts.record import KINDS, Artefact

__all__ = ["ARTEFACTS_NAME", "KINDS", "Artefact", "ArtefactCollector", "Extracted", "extract_all",
           "remove_copies", "write_listing"]
