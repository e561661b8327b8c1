"""The console at ``/_kommodore/console``: the account as Kommo shows it, the request journal,
webhooks, faults and state, in a browser (docs/console.md)."""
