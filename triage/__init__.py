"""triage: read-only forensic triage of disks for known images and court-order breaches."""

__version__ = "0.1.0"
