"""The demo account: realistic, deterministic data for trying kommodore out."""
