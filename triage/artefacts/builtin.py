"""The extractors shipped with triage, registered once (import order is the try order)."""

from triage.artefacts.chromium import ChromiumHistory
from triage.artefacts.evtx import EventLogs
from triage.artefacts.firefox import FirefoxHistory
from triage.artefacts.jumplist import JumpLists
from triage.artefacts.lnk import ShortcutFiles
from triage.artefacts.registry import register
from triage.artefacts.setupapi import SetupApiLog
from triage.artefacts.shell import ShellHistory
from triage.artefacts.winreg import RegistryHives

for _extractor in (ChromiumHistory(), FirefoxHistory(), ShellHistory(), RegistryHives(),
                   EventLogs(), SetupApiLog(), ShortcutFiles(), JumpLists()):
    register(_extractor)
