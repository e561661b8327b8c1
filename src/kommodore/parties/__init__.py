"""Contacts and companies: the base models a lead's _links point at."""
