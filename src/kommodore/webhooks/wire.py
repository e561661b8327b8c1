"""The webhook object as Kommo puts it on the wire, in Kommo's key order."""

from __future__ import annotations

import msgspec


class Webhook(msgspec.Struct, kw_only=True):
    id: int
    destination: str
    created_at: int
    updated_at: int
    account_id: int
    created_by: int
    sort: int
    disabled: bool
    settings: list[str]


class Embedded(msgspec.Struct):
    webhooks: list[Webhook]


class WebhookList(msgspec.Struct):
    """Kommo's list: a total and the webhooks, no ``_links`` and no paging."""

    total_items: int = msgspec.field(name="_total_items")
    embedded: Embedded = msgspec.field(name="_embedded")


encoder = msgspec.json.Encoder()
