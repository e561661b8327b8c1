"""Links between leads and contacts, companies and catalog elements (spec §12.4)."""
