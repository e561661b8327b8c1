"""Users, groups and roles of an account (admin-only reads, Kommo's API)."""
