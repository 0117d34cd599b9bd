"""Looking inside containers: archives, compressed files, PDFs and videos yield members."""

from triage.containers.expand import container_kind, expand
from triage.containers.limits import Budget, ContainerLimits
from triage.containers.members import Member, Problem
from triage.containers.sniff import is_container

__all__ = ["Budget", "ContainerLimits", "Member", "Problem", "container_kind", "expand",
           "is_container"]
