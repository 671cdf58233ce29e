"""Email addresses as we store and compare them.

One form per address, so that an account is found however a mail client
wrote its domain: an internationalised domain arrives in Unicode
(``dr@klinik-müller.de``, RFC 6532) or in its ASCII IDNA form
(``dr@xn--klinik-mller-4ob.de``), and both are the same mailbox.
"""

from __future__ import annotations

import unicodedata


def _domain_form(domain: str) -> str:
    """The Unicode form of a domain, whichever form it was written in; as given if not IDNA."""
    if domain.isascii() and "xn--" not in domain:
        return domain  # the common case: nothing to convert
    try:
        # Encoding applies nameprep (case folding, NFKC, the ideographic full
        # stop as a dot); decoding turns every xn-- label into Unicode.
        return domain.encode("idna").decode("idna")
    except UnicodeError:
        # Not a valid IDNA name (an over-long label, a forbidden character):
        # compare it as written, normalised, rather than refuse the mail.
        return unicodedata.normalize("NFC", domain)


def normalise_address(address: str) -> str:
    """``address`` trimmed and in lower case, its domain in Unicode form."""
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    return f"{local}@{_domain_form(domain)}"
