"""Who is asking: JWT access tokens, the account a request belongs to, and user rights."""
