"""Production mode changes two defaults, each still settable on its own."""

from __future__ import annotations

import pytest

from kommodore.settings import Settings


def test_development_defaults() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env == "development"
    assert settings.resolved_access_log is True
    assert settings.resolved_log_format == "console"
    assert settings.rate_limit_enabled is True  # Kommo's limit, on by default


def test_production_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMMODORE_ENV", "production")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.production
    assert settings.resolved_access_log is False
    assert settings.resolved_log_format == "json"


def test_production_defaults_can_be_overridden() -> None:
    settings = Settings(env="production", access_log=True, log_format="console")
    assert settings.resolved_access_log is True
    assert settings.resolved_log_format == "console"
