"""Bytes to text for mail: charset fallbacks and RFC 2047 encoded words.

Mail in the wild declares charsets that do not exist (``x-unknown``), that are
misspelt (``utf8``, ``windows1252``, ``"utf-8;"``), or that lie (Outlook labels
windows-1252 text as iso-8859-1). Nothing here raises: every function returns
text, and says which fallback it needed so the caller can record a defect.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

#: Tried in this order after the declared charset fails; latin-1 decodes any byte.
FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")

# Labels that Python does not know but mail clients write. WHATWG's encoding
# standard maps iso-8859-1 and us-ascii to windows-1252 for the same reason:
# the bytes 0x80-0x9F are almost always Windows punctuation, not C1 controls.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "windows1252": "cp1252",
    "win-1252": "cp1252",
    "cp-1252": "cp1252",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}

# Codecs Python calls text encodings that no mail client writes: they turn
# escape sequences or IDNA labels into code points, lone surrogates included,
# which no database can store (a poison message that failed every attempt).
_NOT_MAIL_CHARSETS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem"}
)
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")
#: The defect recorded when decoded text held code points that cannot be stored.
UNSTORABLE_TEXT = "unstorable_characters_replaced"

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
# RFC 2047 section 6.2: whitespace between two adjacent encoded words is dropped.
_BETWEEN_ENCODED_WORDS = re.compile(r"(\?=)\s+(=\?)")
_SURROGATE_ESCAPES = re.compile("[\udc80-\udcff]")
_FOLDING = re.compile(r"\r?\n[ \t]+")
# Control characters (NUL above all: PostgreSQL text refuses it) become spaces.
_HEADER_CONTROLS = dict.fromkeys([*range(0, 9), *range(10, 32), 127], " ")


def python_codec(label: str | None) -> str | None:
    """The Python codec name for a declared charset label, or None if unknown."""
    if not label:
        return None
    cleaned = label.strip().strip("\"';,").lower()
    # RFC 2231 language suffix ("utf-8*en") and stray parameters after the label.
    cleaned = cleaned.split("*", 1)[0].split(";", 1)[0].strip()
    cleaned = _CHARSET_ALIASES.get(cleaned, cleaned)
    try:
        codec = codecs.lookup(cleaned)
    except (LookupError, ValueError):
        return None
    # Python's "mbcs" and friends are platform specific; anything that is not a
    # text encoding (e.g. "base64", "rot13") must not be used on mail bodies.
    if (
        not getattr(codec, "_is_text_encoding", True)
        or codec.name.replace("-", "_") in _NOT_MAIL_CHARSETS
    ):
        return None
    return codec.name


def storable(text: str) -> tuple[str, bool]:
    """``text`` with lone surrogates replaced by U+FFFD, and whether any were.

    UTF-7 and a few other real charsets can still decode to lone surrogates;
    such text cannot be encoded as UTF-8, so neither database can store it.
    """
    if text.isascii() or _LONE_SURROGATES.search(text) is None:
        return text, False
    return _LONE_SURROGATES.sub("\ufffd", text), True


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Decode ``data``: the declared charset, then utf-8, cp1252, latin-1.

    Returns the text and a problem description, or None when the declared
    charset decoded the bytes cleanly.
    """
    codec = python_codec(declared)
    if codec is not None:
        try:
            text, replaced = storable(data.decode(codec))
        except UnicodeDecodeError:
            problem: str | None = f"charset_mismatch:{declared}"
        else:
            return text, UNSTORABLE_TEXT if replaced else None
    elif declared:
        problem = f"charset_unknown:{declared.strip()[:40]}"
    else:
        problem = None
    for fallback in FALLBACK_CHARSETS:
        if fallback == codec:
            continue
        try:
            # The fallbacks never yield surrogates: utf-8 refuses them, the others are 8-bit.
            return data.decode(fallback), problem
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _decode_encoded_word(word: re.Match[str]) -> str:
    charset, encoding, payload = word.groups()
    raw = payload.encode("ascii", "replace")
    try:
        if encoding in "bB":
            # Mailers drop the padding often enough that we restore it.
            data = base64.b64decode(raw + b"=" * (-len(raw) % 4))
        else:
            data = binascii.a2b_qp(raw, header=True)
    except (binascii.Error, ValueError):
        return word.group(0)
    return decode_bytes(data, charset)[0]


def decode_header_text(value: str) -> str:
    """A header value as readable text: unfolded, 8-bit bytes and RFC 2047 words decoded.

    ``value`` is what the stdlib compat32 parser stores: undecodable 8-bit
    bytes arrive as surrogate escapes and are decoded with the fallbacks.
    """
    if not value.isascii() and _SURROGATE_ESCAPES.search(value):
        value = decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8")[0]
    value = _FOLDING.sub(" ", value)
    if "=?" in value:
        value = _BETWEEN_ENCODED_WORDS.sub(r"\1\2", value)
        value = _ENCODED_WORD.sub(_decode_encoded_word, value)
    # An RFC 2231 parameter the stdlib decoded with its own charset label can
    # still hold surrogates; a header value must always be storable.
    return storable(value)[0].translate(_HEADER_CONTROLS)


def one_line(value: str) -> str:
    """Collapse every run of whitespace (folds, tabs, newlines) to a single space."""
    return " ".join(value.split())
