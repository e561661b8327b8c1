"""Reading leads under the user's rights and shaping them as Kommo does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from msgspec import UNSET

from kommodore.auth import store as auth_store
from kommodore.auth.rights import can_view_lead, lead_visibility
from kommodore.auth.service import MAX_ID, Principal
from kommodore.auth.store import AccountRef, TokenRecord
from kommodore.custom_fields.values import read_value
from kommodore.db.database import Connection
from kommodore.http.hal import collection_body, element_ref, self_links
from kommodore.http.paging import Page, page_links
from kommodore.leads import listing, prices, store, wire
from kommodore.leads.filters import LeadQuery
from kommodore.leads.store import ElementPart, LeadParts, LeadRow, TokenAndLead, ValuePart

#: The ``with`` values GET /leads and GET /leads/{id} understand; others are ignored.
LEAD_WITH = frozenset(
    {
        "catalog_elements",
        "is_price_modified_by_robot",
        "loss_reason",
        "contacts",
        "only_deleted",
        "source_id",
        "source",
    }
)


@dataclass(slots=True)
class LeadReadAhead:
    """GET by id's lead read in the statement that authenticates the request: ``lookup`` is
    the request's token lookup (``auth.service.TokenLookup``), which also reads the lead and
    what it embeds; :func:`read_lead` then answers from what it found, after the token and
    the rights are checked, without another round trip."""

    lead_id: int
    with_: frozenset[str]
    found: TokenAndLead | None = None

    async def lookup(
        self, conn: Connection, account_id: int, jti: str, context_user_id: int | None
    ) -> tuple[AccountRef | None, TokenRecord | None]:
        if not 1 <= self.lead_id <= MAX_ID:  # never found: the token alone
            return await auth_store.find_account_token(conn, account_id, jti, context_user_id)
        self.found = await store.token_and_lead(
            conn,
            account_id,
            jti,
            self.lead_id,
            contacts="contacts" in self.with_,
            elements="catalog_elements" in self.with_,
            context_user_id=context_user_id,
        )
        return self.found.account, self.found.token


async def read_lead(
    conn: Connection,
    principal: Principal,
    lead_id: int,
    with_: frozenset[str],
    origin: str,
    ahead: LeadReadAhead | None = None,
) -> bytes | None:
    """The lead's JSON, or None when Kommo answers 204: no such lead, deleted (unless
    ``only_deleted``, which shows deleted leads only), or not viewable by the user. ``ahead``
    holds the lead when the request's authentication read it (same id and ``with``)."""
    if lead_id < 1 or lead_id > MAX_ID:
        return None
    account_id = principal.account.id
    found = None if ahead is None else ahead.found
    if found is not None:
        lead, parts = found.lead, found.parts
    else:
        lead, parts = await store.get_lead(conn, account_id, lead_id), None
    if lead is None or lead.is_deleted != ("only_deleted" in with_):
        return None
    if not can_view_lead(principal.actor, lead):
        return None
    if lead.is_deleted:
        return wire.encoder.encode(_deleted(lead, origin))
    (model,) = await shape_leads(conn, account_id, [lead], with_, origin, parts)
    return wire.encoder.encode(model)


async def list_leads(
    conn: Connection,
    principal: Principal,
    query: LeadQuery,
    with_: frozenset[str],
    page: Page,
    origin: str,
    url: str,
    raw_query: str,
) -> bytes | None:
    """A page of leads the user may view, or None (Kommo's 204) when the page is empty."""
    account_id = principal.account.id
    rows = await listing.list_lead_rows(
        conn, account_id, query, lead_visibility(principal.actor), page.offset, page.limit + 1
    )
    if not rows:
        return None
    has_next = len(rows) > page.limit
    rows = rows[: page.limit]
    items: list[Any]
    if query.only_deleted:
        items = [_deleted(lead, origin) for lead in rows]
    else:
        items = await shape_leads(conn, account_id, rows, with_, origin)
    links = page_links(url, raw_query, page, has_next)
    return collection_body("leads", items, links, page=page.number)


def _deleted(lead: LeadRow, origin: str) -> wire.DeletedLead:
    return wire.DeletedLead(
        id=lead.id,
        updated_at=lead.updated_at,
        updated_by=lead.updated_by,
        is_deleted=True,
        links=self_links(f"{origin}/api/v4/leads/{lead.id}"),
    )


async def shape_leads(
    conn: Connection,
    account_id: int,
    leads: Sequence[LeadRow],
    with_: frozenset[str],
    origin: str,
    parts: LeadParts | None = None,
) -> list[wire.Lead]:
    """Wire models for visible leads; what they embed comes from one statement for them all
    (unless ``parts`` already holds it, read with the lead)."""
    with_contacts = "contacts" in with_
    with_elements = "catalog_elements" in with_
    if parts is None:
        parts = await store.lead_parts(
            conn,
            account_id,
            [lead.id for lead in leads],
            contacts=with_contacts,
            elements=with_elements,
        )
    with_reason = "loss_reason" in with_
    with_source = "source" in with_
    with_source_id = "source_id" in with_
    with_robot = "is_price_modified_by_robot" in with_
    leads_url = f"{origin}/api/v4/leads/"
    companies_url = f"{origin}/api/v4/companies/"
    contacts_url = f"{origin}/api/v4/contacts/"
    reasons_url = f"{origin}/api/v4/leads/loss_reasons/"

    models = []
    for lead in leads:
        embedded = wire.LeadEmbedded(
            tags=parts.tags[lead.id],  # the stored tags are already their embedded shape
            companies=[
                wire.CompanyRef(id=c.id, links=self_links(f"{companies_url}{c.id}"))
                for c in parts.companies[lead.id]
            ],
        )
        if with_contacts:
            embedded.contacts = [
                wire.ContactRef(
                    id=c.id, is_main=c.is_main, links=self_links(f"{contacts_url}{c.id}")
                )
                for c in parts.contacts[lead.id]
            ]
        if with_elements:
            embedded.catalog_elements = [_element(e) for e in parts.elements[lead.id]]
        if with_reason and (reason := lead.loss_reason) is not None:
            embedded.loss_reason = [
                wire.LossReasonRef(
                    id=reason.id,
                    name=reason.name,
                    sort=reason.sort,
                    created_at=reason.created_at,
                    updated_at=reason.updated_at,
                    links=self_links(f"{reasons_url}{reason.id}"),
                )
            ]
        if with_source and lead.source_id is not None and lead.source_name is not None:
            embedded.source = wire.SourceRef(id=lead.source_id, name=lead.source_name)

        models.append(
            wire.Lead(
                id=lead.id,
                name=lead.name,
                price=lead.price,
                price_with_minor_units=prices.with_minor_units(lead.price, lead.price_minor),
                responsible_user_id=lead.responsible_user_id,
                group_id=lead.group_id,
                status_id=lead.status_id,
                pipeline_id=lead.pipeline_id,
                loss_reason_id=lead.loss_reason_id,
                source_id=lead.source_id if with_source_id else UNSET,
                created_by=lead.created_by,
                updated_by=lead.updated_by,
                created_at=lead.created_at,
                updated_at=lead.updated_at,
                closed_at=lead.closed_at,
                closest_task_at=lead.closest_task_at,
                is_deleted=lead.is_deleted,
                custom_fields_values=_custom_fields(parts.values.get(lead.id)),
                score=lead.score,
                account_id=account_id,
                labor_cost=lead.labor_cost,
                is_price_computed=lead.is_price_computed,
                is_price_modified_by_robot=lead.is_price_modified_by_robot if with_robot else UNSET,
                links=self_links(f"{leads_url}{lead.id}"),
                embedded=embedded,
            )
        )
    return models


def _element(e: ElementPart) -> wire.CatalogElementRef:
    return element_ref(e.id, e.catalog_id, e.quantity, e.price_id)


def _custom_fields(values: list[ValuePart] | None) -> list[wire.CustomFieldValues] | None:
    """Values come ordered by field then position; ``None`` (not ``[]``) when the lead has
    none."""
    if not values:
        return None
    entries: list[wire.CustomFieldValues] = []
    current: wire.CustomFieldValues | None = None
    for v in values:
        if current is None or current.field_id != v.field_id:
            current = wire.CustomFieldValues(
                field_id=v.field_id,
                field_name=v.field_name,
                field_code=v.field_code,
                field_type=v.field_type,
                values=[],
            )
            entries.append(current)
        current.values.append(  # read_value itself, not read_part: once per value of a page
            read_value(
                v.field_type, enum_id=v.enum_id, enum_value=v.enum_value, enum_code=v.enum_code,
                value_text=v.value_text, value_int=v.value_int, value_json=v.value_json,
            )
        )  # fmt: skip
    return entries


def read_part(v: ValuePart) -> dict[str, Any]:
    """A stored value as Kommo's ``values[]`` item (``read_value`` of its columns)."""
    return read_value(
        v.field_type,
        enum_id=v.enum_id,
        enum_value=v.enum_value,
        enum_code=v.enum_code,
        value_text=v.value_text,
        value_int=v.value_int,
        value_json=v.value_json,
    )
