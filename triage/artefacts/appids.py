"""Application names for jump-list AppIDs (the 16 hex digits of a jump list's file name).

An AppID is a CRC-64 of the program's path, so it names one program build in one place. This
is a small table of common programs, with the names as published in the Forensics Wiki's
page "List of Jump List IDs" (reproduced in many tools' lookup lists); any other AppID is
reported as itself.
"""

from __future__ import annotations

APP_IDS: dict[str, str] = {
    "1b4dd67f29cb1962": "Windows Explorer (pinned and recent)",
    "f01b4d95cf55d32a": "Windows Explorer (Windows 8.1 and later)",
    "9b9cdc69c1c24e2b": "Notepad (64-bit)",
    "918e0ecb43d17e23": "Notepad (32-bit)",
    "12dc1ea8e34b5a6": "Microsoft Paint",
    "469e4a7982cea4d4": "WordPad",
    "6728dd69a3088f97": "Command Prompt (cmd.exe, 64-bit)",
    "590aee7bdd69b59b": "PowerShell (Windows 10)",
    "1bc392b8e104a00e": "Remote Desktop",
    "28c8b86deab549a1": "Internet Explorer 8-10 (32-bit)",
    "74d7f43c1561fc1e": "Windows Media Player 12 (32-bit)",
    "e70d383b15687e37": "Notepad++",
    "a7bd71699cd38d1c": "Microsoft Word 2010 (32-bit)",
    "a4a5324453625195": "Microsoft Word 2013 (32-bit)",
    "a18df73203b0340e": "Microsoft Word 2016",
    "fb3b0dbfee58fac8": "Microsoft Word 365 (32-bit)",
    "9839aec31243a928": "Microsoft Excel 2010 (32-bit)",
    "f0275e8685d95486": "Microsoft Excel 2013 (32-bit)",
    "9c7cc110ff56d1bd": "Microsoft PowerPoint 2010 (32-bit)",
    "290532160612e071": "WinRAR (64-bit)",
    "b74736c2bd8cc8a5": "WinZip",
    "550abc1cb58eb92c": "VeraCrypt (64-bit)",
    "17d3eb086439f0d7": "TrueCrypt 7.0a",
    "7b7f65aaeca20a8c": "Dropbox",
    "2d61cccb4338dfc8": "BitTorrent",
    "b3016b8da2077262": "eMule",
    "ac3a63b839ac9d3a": "Vuze",
}


def app_name(app_id: str) -> str:
    """The program's name for `app_id`, or 'AppID <id>' when the table does not know it."""
    return APP_IDS.get(app_id.lower(), f"AppID {app_id.lower()}")
