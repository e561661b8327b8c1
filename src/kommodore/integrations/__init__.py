"""OAuth clients: integrations, their installs per account, revocation notices."""
