"""Kommo's rate limits: 7 requests a second per integration and account (429), and a block
(403) for an integration that keeps going; counters in Redis or in the database."""
