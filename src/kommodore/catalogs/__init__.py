"""Catalogs and their elements, as linked to leads."""
