"""The extractors shipped with triage, registered once (import order is the try order)."""

from triage.artefacts.amcache import AmcacheHive
from triage.artefacts.chromium import ChromiumHistory
from triage.artefacts.evtx import EventLogs
from triage.artefacts.firefox import FirefoxHistory
from triage.artefacts.jumplist import JumpLists
from triage.artefacts.lnk import ShortcutFiles
from triage.artefacts.prefetch import PrefetchFiles
from triage.artefacts.registry import register
from triage.artefacts.sam import SamHive
from triage.artefacts.setupapi import SetupApiLog
from triage.artefacts.shell import ShellHistory
from triage.artefacts.winreg import RegistryHives

for _extractor in (ChromiumHistory(), FirefoxHistory(), ShellHistory(), RegistryHives(),
                   EventLogs(), SetupApiLog(), ShortcutFiles(), JumpLists()):
    register(_extractor)
for _extractor in (PrefetchFiles(), AmcacheHive(), SamHive()):
    register(_extractor)
