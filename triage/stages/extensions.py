"""Which file extensions each content type may carry, to spot renamed files (a JPEG as .dll)."""

from __future__ import annotations

# Only types whose extensions are well settled are listed: for anything else (text, unknown
# binary data) a mismatch cannot be judged and the fact is left unset.
EXPECTED_EXTENSIONS: dict[str, frozenset[str]] = {
    mime: frozenset(exts.split())
    for mime, exts in {
        "image/jpeg": "jpg jpeg jpe jfif jif",
        "image/png": "png apng",
        "image/gif": "gif",
        "image/bmp": "bmp dib",
        "image/x-ms-bmp": "bmp dib",
        "image/webp": "webp",
        "image/tiff": "tif tiff dng nef cr2 arw",
        "image/heic": "heic heif",
        "image/heif": "heic heif",
        "image/avif": "avif",
        "image/x-icon": "ico cur",
        "image/vnd.microsoft.icon": "ico cur",
        "video/mp4": "mp4 m4v m4a m4p 3gp",
        "video/quicktime": "mov qt",
        "video/x-msvideo": "avi",
        "video/x-matroska": "mkv mka mk3d",
        "video/webm": "webm",
        "video/3gpp": "3gp 3gpp",
        "video/mpeg": "mpg mpeg m2v vob",
        "video/x-ms-asf": "wmv asf wma",
        "video/x-flv": "flv",
        "application/pdf": "pdf",
        "application/zip": "zip jar apk docx xlsx pptx odt ods odp epub xpi kmz",
        "application/x-7z-compressed": "7z",
        "application/x-rar": "rar",
        "application/vnd.rar": "rar",
        "application/gzip": "gz tgz",
        "application/x-bzip2": "bz2 tbz tbz2",
        "application/x-xz": "xz txz",
        "application/x-tar": "tar",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx docm",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx xlsm",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx pptm",
        "application/x-dosexec": "exe dll sys scr com ocx cpl drv efi mui",
        "application/vnd.microsoft.portable-executable": "exe dll sys scr com ocx cpl drv efi",
        "application/x-sqlite3": "sqlite sqlite3 db db3 sqlitedb",
    }.items()
}


def extension_mismatch(mime: str | None, extension: str) -> bool | None:
    """True when a known content type carries an extension it never uses; None if unknown."""
    if not mime:
        return None
    expected = EXPECTED_EXTENSIONS.get(mime)
    if expected is None:
        return None
    return extension not in expected
