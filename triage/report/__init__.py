"""The scan's outputs: report.json, the file listing, and (later stages) signatures and views."""
