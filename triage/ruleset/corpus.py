"""Ordinary files of Windows, macOS and Linux systems, to catch rules that match almost anything."""

from __future__ import annotations

from triage.model import Address, FileRecord, PartitionRef
from triage.ruleset.facts import Clock

_MIME = {
    "exe": "application/vnd.microsoft.portable-executable", "dll": "application/x-dosexec",
    "sys": "application/x-dosexec", "txt": "text/plain", "log": "text/plain",
    "ini": "text/plain", "xml": "text/xml", "json": "application/json", "js": "text/javascript",
    "html": "text/html", "css": "text/css", "py": "text/x-script.python",
    "sh": "text/x-shellscript",
    "conf": "text/plain", "plist": "application/x-plist", "jpg": "image/jpeg", "png": "image/png",
    "gif": "image/gif", "mp3": "audio/mpeg", "mp4": "video/mp4", "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip", "db": "application/vnd.sqlite3", "so": "application/x-sharedlib",
    "dylib": "application/x-mach-binary", "lnk": "application/x-ms-shortcut",
    "dat": "application/octet-stream", "evtx": "application/x-ms-evtx",
}

# Paths every ordinary household machine has; none of them is a sign of a breach.
ORDINARY_PATHS = (
    "/Windows/System32/kernel32.dll", "/Windows/System32/ntdll.dll", "/Windows/System32/cmd.exe",
    "/Windows/System32/drivers/etc/hosts", "/Windows/System32/winevt/Logs/System.evtx",
    "/Windows/explorer.exe", "/Windows/notepad.exe", "/Windows/Fonts/arial.ttf",
    "/Windows/SysWOW64/user32.dll", "/Windows/WinSxS/manifests/x86_policy.9.0.manifest",
    "/Windows/Temp/MpCmdRun.log", "/Windows/INF/setupapi.dev.log",
    "/Program Files/Microsoft Office/root/Office16/WINWORD.EXE",
    "/Program Files/Windows Defender/MsMpEng.exe", "/Program Files/7-Zip/7z.exe",
    "/Program Files (x86)/Common Files/Adobe/ARM/1.0/AdobeARM.exe",
    "/ProgramData/Microsoft/Windows/Start Menu/Programs/Accessories/Notepad.lnk",
    "/Users/alex/NTUSER.DAT", "/Users/alex/Documents/letter.docx",
    "/Users/alex/Documents/budget.xlsx", "/Users/alex/Documents/cv.pdf",
    "/Users/alex/Desktop/notes.txt", "/Users/alex/Desktop/shopping.txt",
    "/Users/alex/Downloads/setup.exe", "/Users/alex/Downloads/invoice.pdf",
    "/Users/alex/Pictures/holiday/IMG_0001.jpg", "/Users/alex/Pictures/holiday/IMG_0002.jpg",
    "/Users/alex/Pictures/screenshot.png", "/Users/alex/Music/song.mp3",
    "/Users/alex/Videos/birthday.mp4", "/Users/alex/AppData/Local/Temp/tmp1234.tmp",
    "/Users/alex/AppData/Local/Microsoft/Windows/UsrClass.dat",
    "/Users/alex/AppData/Roaming/Microsoft/Windows/Recent/letter.lnk",
    "/Users/alex/AppData/Local/Packages/Microsoft.WindowsCalculator/Settings/settings.dat",
    "/Users/alex/AppData/Roaming/Microsoft/Word/Normal.dotm",
    "/Users/alex/AppData/Local/Microsoft/OneNote/16.0/cache/tmp.bin",
    "/$Recycle.Bin/S-1-5-21-1000/$I12345.txt", "/pagefile.sys", "/hiberfil.sys",
    "/System Volume Information/tracking.log",
    "/Applications/Safari.app/Contents/Info.plist", "/Applications/Pages.app/Contents/MacOS/Pages",
    "/System/Library/CoreServices/Finder.app/Contents/Info.plist",
    "/System/Library/Frameworks/AppKit.framework/AppKit", "/usr/lib/libSystem.B.dylib",
    "/Library/Preferences/com.apple.loginwindow.plist",
    "/Users/sam/Library/Preferences/com.apple.finder.plist",
    "/Users/sam/Library/Caches/com.apple.Safari/Cache.db",
    "/Users/sam/Documents/recipes.pdf", "/Users/sam/Desktop/todo.txt",
    "/Users/sam/Pictures/Photos Library.photoslibrary/originals/0/IMG_0003.jpg",
    "/Users/sam/Music/Music/Media/track01.mp3", "/Users/sam/Movies/clip.mp4",
    "/private/var/log/system.log", "/private/var/db/receipts/com.apple.pkg.Core.plist",
    "/etc/passwd", "/etc/fstab", "/etc/hosts", "/etc/ssh/sshd_config", "/etc/apt/sources.list",
    "/usr/bin/bash", "/usr/bin/python3", "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/share/doc/bash/README", "/usr/share/icons/hicolor/48x48/apps/firefox.png",
    "/var/log/syslog", "/var/log/auth.log", "/var/lib/dpkg/status", "/boot/vmlinuz-6.1.0",
    "/home/jo/.bashrc", "/home/jo/.profile", "/home/jo/Documents/essay.docx",
    "/home/jo/Pictures/cat.jpg", "/home/jo/Pictures/dog.png", "/home/jo/Downloads/manual.pdf",
    "/home/jo/Music/album/01.mp3", "/home/jo/Videos/trip.mp4", "/home/jo/projects/app/main.py",
    "/home/jo/projects/app/README", "/home/jo/.config/user-dirs.dirs",
    "/home/jo/.local/share/recently-used.xbel", "/home/jo/.cache/fontconfig/cache-8",
    "/home/jo/.ssh/known_hosts", "/home/jo/backup.zip", "/home/jo/notes.txt",
    "/Users/alex/Documents/Scans/scan001.jpg", "/Users/alex/Documents/Scans/scan002.jpg",
    "/Users/alex/Documents/recipes/cake.txt", "/Users/alex/Favorites/Links/desktop.ini",
    "/Users/Public/Desktop/desktop.ini", "/Users/alex/AppData/Local/IconCache.db",
    "/Windows/Prefetch/CMD.EXE-0BD30981.pf", "/Windows/Logs/CBS/CBS.log",
    "/Windows/System32/config/SOFTWARE", "/Windows/System32/config/SYSTEM",
    "/srv/www/app.js", "/opt/tool/config.json", "/opt/tool/bin/tool",
)


def ordinary_records(clock: Clock) -> list[FileRecord]:
    """One record per ordinary path, with plausible mime, size and times spread over 2 years."""
    part = PartitionRef(1, 1048576, "ntfs")
    records = []
    for index, path in enumerate(ORDINARY_PATHS):
        name = path.rpartition("/")[2]
        ext = name.rpartition(".")[2].lower() if "." in name[1:] else ""
        when = clock.now - index * 7 * 86400.0
        records.append(FileRecord(
            address=Address("corpus", part, path, meta_addr=100 + index), name=name,
            size=512 + index * 9973, deleted=index % 17 == 0, mtime=when, atime=when,
            ctime=when, crtime=when, mime=_MIME.get(ext, "application/octet-stream"),
            ext_mismatch=False,
        ))
    return records


ORDINARY_VOLUMES = tuple(
    {"source": "corpus", "index": i, "offset": 1048576 * i, "size": 10**10, "fs": fs,
     "status": "examined", "reason": None}
    for i, fs in enumerate(("ntfs", "fat32", "exfat", "ext4", "apfs", "hfs+"), start=1)
)
