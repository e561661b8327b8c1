"""kommodore: the Kommo API v4 for leads, self-hosted."""
