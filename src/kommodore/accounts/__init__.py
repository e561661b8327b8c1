"""Accounts: the tenants, each with a subdomain."""
