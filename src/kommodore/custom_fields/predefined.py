"""The fields every Kommo account's contacts and companies carry (spec §4.1): phone and
e-mail (multitext, their kinds as enums), a contact's position and messengers, a company's
web site and address. Predefined: not deletable, ``is_predefined`` true.

The demo generator and the seed loader create them for every account they make.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Predefined:
    entity_type: str
    code: str
    name: str
    type: str
    sort: int
    enums: tuple[str, ...] = ()
    """Enum values (= the ``enum_code`` clients send), in ``sort`` order."""

    def enum_sort(self, index: int) -> int:
        """Kommo's RU example numbers the PHONE kinds 2, 4, ..., 12."""
        return 2 * (index + 1)


PHONE_KINDS = ("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER")
EMAIL_KINDS = ("WORK", "PRIV", "OTHER")
IM_KINDS = ("SKYPE", "ICQ", "JABBER", "GTALK", "MSN", "OTHER")

FIELDS: tuple[Predefined, ...] = (
    Predefined("contacts", "PHONE", "Phone", "multitext", 4, PHONE_KINDS),
    Predefined("contacts", "EMAIL", "Email", "multitext", 6, EMAIL_KINDS),
    Predefined("contacts", "POSITION", "Position", "text", 2),
    Predefined("contacts", "IM", "Instant messenger", "multitext", 8, IM_KINDS),
    Predefined("companies", "PHONE", "Phone", "multitext", 4, PHONE_KINDS),
    Predefined("companies", "EMAIL", "Email", "multitext", 6, EMAIL_KINDS),
    Predefined("companies", "WEB", "Web", "url", 8),
    Predefined("companies", "ADDRESS", "Address", "textarea", 10),
)
