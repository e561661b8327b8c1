"""OAuth clients (spec §8): integrations, their installs per account, revocation notices."""
