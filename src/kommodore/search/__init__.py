"""The lead search index: documents of leads for `query`, below leads and custom fields."""
