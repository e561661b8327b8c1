"""Users, groups and roles of an account (admin-only reads, spec §7.2)."""
