"""Links between leads and contacts, companies and catalog elements."""
