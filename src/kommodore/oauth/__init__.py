"""OAuth 2.0 as Kommo does it (spec §8): integrations, codes, tokens, revocation."""
