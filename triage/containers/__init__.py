"""Looking inside containers: archives, compressed files, PDFs and videos yield members."""

from triage.containers.expand import container_kind, expand
from triage.containers.limits import Budget, ContainerLimits
from triage.containers.members import Member
from triage.containers.sniff import is_container
from triage.ledger.records import Problem

__all__ = ["Budget", "ContainerLimits", "Member", "Problem", "container_kind", "expand",
           "is_container"]
