"""OAuth 2.0 as Kommo does it: integrations, codes, tokens, revocation."""
