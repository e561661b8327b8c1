"""The fuzz suite of the whole HTTP surface (issue 10), part of ``make test``.

Its own package rather than under ``tests/http``: it mirrors no one package of ``src`` but
drives every route of the app (read from ``app.routes``) and a real server process, the way
``tests/e2e`` drives the CLI.

- ``test_inprocess``: 10,000 generated requests per database through the ASGI app.
- ``test_raw_socket``: a few hundred hand-built requests to ``kommodore serve``.
- ``test_replay``: every case saved under ``cases/``, on both databases.

Rules for every request: no 5xx, a whole response to a complete request, and the database
unchanged by a refused one. ``KOMMODORE_FUZZ_SEED`` and ``KOMMODORE_FUZZ_COUNT`` change the
seed and the number of requests; a failure prints both. A failing request is written to
``cases/<hash>.json`` (tokens, subdomains and ids as ``{placeholders}``); commit it, and it
is replayed as a regular test from then on. Delete a case only when it tests nothing new.
"""
