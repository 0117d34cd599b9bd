"""The typed scan ledger: what a scan found, could not examine and got wrong, in one place."""

from triage.ledger.ledger import BUDGET_REACHED, MAX_PROBLEMS_LISTED, STOPPED_ON_RED, Ledger
from triage.ledger.progress import ProgressSink
from triage.ledger.records import Gap, GapKind, Problem, Resume, VolumeCoverage
from triage.ledger.result import ScanContext, ScanResult

__all__ = ["BUDGET_REACHED", "MAX_PROBLEMS_LISTED", "STOPPED_ON_RED", "Gap", "GapKind", "Ledger",
           "Problem", "ProgressSink", "Resume", "ScanContext", "ScanResult", "VolumeCoverage"]
