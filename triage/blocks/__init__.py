"""Block filters: distinctive 4 KiB block digests of known files, built at the lab, looked up by
the quick pass over raw disks."""
