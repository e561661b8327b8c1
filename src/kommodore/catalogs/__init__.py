"""Catalogs and their elements, as linked to leads (spec §12.5)."""
