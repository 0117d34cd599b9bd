"""Walking evidence: volumes, file systems and folders turned into file records."""
