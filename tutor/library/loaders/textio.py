"""Reading text files whose encoding nobody promised."""

from __future__ import annotations

from pathlib import Path

from tutor.errors import DocumentError

#: Tried in order after UTF-8. cp1252 is what Word and older Windows tools write; unlike latin-1 it has
#: undefined bytes, so a binary file still fails instead of turning into mojibake.
FALLBACK_ENCODINGS = ("cp1252",)


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with a BOM, or a fallback encoding."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError("binary data in a text file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"broken UTF-16 text at byte {exc.start}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as first:
        for encoding in FALLBACK_ENCODINGS:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise DocumentError(
            f"not UTF-8 text (byte {first.start}) and not {', '.join(FALLBACK_ENCODINGS)} either: re-save it as UTF-8"
        ) from first


def read_text(path: Path) -> str:
    """Read a text file with :func:`decode_text`."""
    return decode_text(path.read_bytes())
