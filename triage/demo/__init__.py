"""The built-in demo: a small two-partition disk of benign pictures and its demo hash set."""

from triage.demo.build import DemoDisk, DemoFile, KnownPicture, build_demo

__all__ = ["DemoDisk", "DemoFile", "KnownPicture", "build_demo"]
