"""The steps the directory domains (pipelines, sources, custom fields, loss reasons, tags,
catalogs) share, written once: an endpoint's protocol (sign-in, the admin check, the page a
list asks for, the body read and taken apart before the transaction, 204 for nothing), which
the other API domains' reads follow too; a package's route table, declared once per path;
taking a batch apart item by item, finding the row each edit names (from the path or from the
item's ``id``) with Kommo's error shape at the item's path, values a batch must keep
distinct, the answer's ``_links`` + ``_embedded`` envelope, and real booleans in the stores'
typed rows (SQLite reads 0 and 1).

It sits below the domains so that none of them imports another for these steps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.auth.service import TokenLookup
from kommodore.auth.store import find_account_token
from kommodore.db.database import Connection
from kommodore.http.auth import ApiRequest, api_request
from kommodore.http.body import object_of
from kommodore.http.hal import Href, collection_body, hal_response, no_content
from kommodore.http.paging import Page, page_links, page_of
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, ItemErrors, Reader, request_id_of

USED = "This value is already used."

RowT = TypeVar("RowT")
BodyT = TypeVar("BodyT")
Endpoint = Callable[[Request], Awaitable[Response]]


def _response(body: bytes | None, status_code: int = 200) -> Response:
    return no_content() if body is None else hal_response(body, status_code)


async def read(
    request: Request,
    reply: Callable[[ApiRequest], Awaitable[bytes | None]],
    *,
    admin: bool = False,
    lookup: TokenLookup = find_account_token,
) -> Response:
    """A read, by every user of the account (or its admins only); nothing to answer is 204.
    ``lookup`` may read the token together with the entity (``auth.service.TokenLookup``)."""
    async with api_request(request, lookup) as api:
        if admin:
            api.require_admin()
        body = await reply(api)
    return _response(body)


async def read_all(
    request: Request,
    reply: Callable[[Connection, int, str, str, str], Awaitable[bytes | None]],
) -> Response:
    """A whole, unpaged collection: ``reply(conn, account_id, url, query, origin)``."""
    return await read(
        request, lambda api: reply(api.conn, api.account_id, api.url, api.query, api.origin)
    )


async def read_one(
    request: Request, key: str, reply: Callable[[Connection, int, int, str], Awaitable[bytes]]
) -> Response:
    """One entity by the id the path names under ``key``: ``reply(conn, account_id, id,
    origin)``."""
    entity_id: int = request.path_params[key]
    return await read(request, lambda api: reply(api.conn, api.account_id, entity_id, api.origin))


async def read_page(
    request: Request,
    max_limit: int,
    reply: Callable[[ApiRequest, Page], Awaitable[bytes | None]],
) -> Response:
    """A paged collection, read by every user: ``reply(api, page)`` with the page the query
    asks for, ``max_limit`` items at most; an empty page is 204."""
    return await read(request, lambda api: reply(api, page_of(api.params, max_limit)))


async def write(
    request: Request,
    body: Callable[[Any], BodyT],
    change: Callable[[ApiRequest, Connection, BodyT], Awaitable[bytes | None]],
    *,
    admin: bool = True,
    status_code: int = 200,
) -> Response:
    """A write: the JSON body read and taken apart by ``body`` (its 400s) before the
    transaction begins, then ``change`` in one transaction, all or nothing."""
    async with api_request(request) as api:
        if admin:
            api.require_admin()
        data = body(await api.json())
        async with api.transaction() as conn:
            result = await change(api, conn, data)
    return _response(result, status_code)


async def edit_one(
    request: Request,
    key: str,
    parse: Callable[[dict[str, Any]], BodyT],
    change: Callable[[Connection, int, int, BodyT, str], Awaitable[bytes]],
) -> Response:
    """An admin's ``PATCH /{id}`` of the one entity the path names under ``key``: the body one
    object, taken apart by ``parse``, then ``change(conn, account_id, id, parsed, origin)``."""
    entity_id: int = request.path_params[key]
    return await write(
        request,
        lambda data: parse(object_of(data)),
        lambda api, conn, parsed: change(conn, api.account_id, entity_id, parsed, api.origin),
    )


async def remove(
    request: Request, change: Callable[[ApiRequest, Connection], Awaitable[None]]
) -> Response:
    """An admin's delete of what the path names: any body is ignored; 204."""
    async with api_request(request) as api:
        api.require_admin()
        async with api.transaction() as conn:
            await change(api, conn)
    return no_content()


def self_href(url: str, query: str) -> str:
    """The request URL as sent: a collection answer's ``_links.self``."""
    return f"{url}?{query}" if query else url


def answer(key: str, models: Sequence[Any], href: str) -> bytes:
    """A directory answer: every model under ``_embedded[key]``, counted, with its ``self``."""
    return collection_body(key, models, {"self": Href(href)}, total_items=len(models))


def each_item(
    items: Iterable[Any], errors: BatchErrors
) -> Iterator[tuple[ItemErrors, Reader | None]]:
    """Every item with its errors (under its ``request_id``) and its reader; None, with the
    item's type error recorded, for an item that is not an object."""
    for index, item in enumerate(items):
        item_errors = errors.item(request_id_of(item, index))
        if isinstance(item, dict):
            yield item_errors, Reader(item, item_errors)
        else:
            item_errors.invalid_type("", "object")
            yield item_errors, None


def readers(items: Iterable[Any], errors: BatchErrors) -> list[Reader]:
    """The readers of the items that are objects (the others' errors are recorded)."""
    return [r for _, r in each_item(items, errors) if r is not None]


def single(body: dict[str, Any]) -> tuple[BatchErrors, Reader]:
    """A one-object write (``PATCH /{id}``) reads and answers its errors as a batch of one,
    under its ``request_id`` ("0" unless it sends one)."""
    errors = BatchErrors()
    (r,) = readers([body], errors)
    return errors, r


def routes_of(*resources: tuple[str, Mapping[str, Endpoint]]) -> list[BaseRoute]:
    """A package's routes: each path once, with the endpoint of each of its methods."""
    return [
        Route(path, endpoint, methods=[method])
        for path, endpoints in resources
        for method, endpoint in endpoints.items()
    ]


def present(r: Reader, key: str, type_name: str, *, required: bool) -> bool:
    """Whether ``key`` holds a value to read: absent is ``FieldMissing`` when ``required``,
    and ``null`` for a key that may not be null is its type error."""
    if key not in r.data:
        if required:
            r.errors.missing(r.path(key))
        return False
    if r.is_null(key):
        r.errors.invalid_type(r.path(key), type_name)
        return False
    return True


def edit_id(r: Reader, path_id: int | None) -> int | None:
    """The id an edit names: the URL's (``PATCH /{id}``, which wins over the body's) or the
    item's ``id``, which a batch edit must send."""
    if path_id is not None:
        return path_id
    item_id = r.id("id")
    if item_id is None and not r.has("id"):
        r.errors.missing("id")
    return item_id


ColumnsT = TypeVar("ColumnsT", bound=tuple[Any, ...] | msgspec.Struct)


def with_booleans(row: type[ColumnsT], *names: str) -> Callable[..., ColumnsT]:
    """A typed row's constructor for ``fetch_rows`` that makes the ``names`` columns real
    booleans: SQLite hands them back as 0 and 1, and the wire must say ``true``/``false``.
    ``row`` is a NamedTuple or a msgspec Struct (which takes its values as they come)."""
    fields: tuple[str, ...] = (
        row.__struct_fields__ if issubclass(row, msgspec.Struct) else row._fields  # type: ignore[attr-defined]  # a NamedTuple
    )
    at = [fields.index(name) for name in names]

    def build(*values: Any) -> ColumnsT:
        columns = list(values)
        for i in at:
            columns[i] = bool(columns[i])
        return row(*columns)

    return build


class Edit(Protocol):
    """An edit item: the id it names (None when it names none) and its errors."""

    @property
    def id(self) -> int | None: ...

    @property
    def errors(self) -> ItemErrors: ...


EditT = TypeVar("EditT", bound=Edit)


async def edited_rows(
    edits: Iterable[EditT], lookup: Callable[[Sequence[int]], Awaitable[Mapping[int, RowT]]]
) -> list[tuple[EditT, RowT]]:
    """Each edit with the stored row it names, found in one lookup; an unknown id is
    ``NotSupportedChoice`` at ``id`` and an id named twice is "already used" there."""
    named = [(e, e.id) for e in edits if e.id is not None]
    rows = await lookup([row_id for _, row_id in named])
    seen: set[int] = set()
    pairs: list[tuple[EditT, RowT]] = []
    for e, row_id in named:
        row = rows.get(row_id)
        if row is None:
            e.errors.not_supported("id")
        elif row_id in seen:
            e.errors.invalid("id", USED)
        else:
            pairs.append((e, row))
        seen.add(row_id)
    return pairs


class Columns(Protocol):
    """An item taken apart: the keys it sends (column -> new value) and its errors."""

    @property
    def columns(self) -> dict[str, Any]: ...

    @property
    def errors(self) -> ItemErrors: ...


def claim(item: Columns, key: str, taken: set[Any]) -> None:
    """A new item's ``key`` must differ from the stored values and the batch's earlier items'
    (``taken``, which it joins); "already used" at ``key`` otherwise."""
    value = item.columns.get(key)
    if value is not None:
        if value in taken:
            item.errors.invalid(key, USED)
        taken.add(value)


def still_unique(edits: Iterable[tuple[Columns, int]], key: str, stored: Mapping[int, Any]) -> None:
    """After a batch of edits (item, id of the row it edits), the rows' ``key`` values
    (``stored``: row id -> value) must still differ, so two rows may swap theirs; an item whose
    new value is left shared is "already used" at ``key``. ``null`` gives a value up."""
    pairs = list(edits)
    final = dict(stored)
    for item, row_id in pairs:
        if key in item.columns:
            if item.columns[key] is None:
                final.pop(row_id, None)
            else:
                final[row_id] = item.columns[key]
    used = Counter(final.values())
    for item, _ in pairs:
        value = item.columns.get(key)
        if value is not None and used[value] > 1:
            item.errors.invalid(key, USED)


def page_answer(
    key: str,
    rows: Sequence[RowT],
    page: Page,
    model: Callable[[RowT], Any],
    url: str,
    query: str,
) -> bytes | None:
    """A page read with one row more than it shows (that row only says a next page exists);
    None (Kommo's 204) when it is empty."""
    if not rows:
        return None
    items = [model(row) for row in rows[: page.limit]]
    links = page_links(url, query, page, len(rows) > page.limit)
    return collection_body(key, items, links, page=page.number)


def found(row: RowT | None, not_found: Callable[[], Problem]) -> RowT:
    """The row a path names, or its 404 problem."""
    if row is None:
        raise not_found()
    return row
