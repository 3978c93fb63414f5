"""Shapes and secrets: the embedded shape needs nothing, the scaled one needs a real key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from backlot.core.secrets import ConfigurationError, resolve_secret_key
from backlot.core.settings import Settings, Shape


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path / "var", **values)  # type: ignore[call-arg, arg-type]


def test_defaults_are_embedded(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.shape is Shape.embedded
    assert settings.database_url.startswith("sqlite+aiosqlite:///")


def test_embedded_generates_and_keeps_a_private_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = resolve_secret_key(settings)
    assert len(first) >= 32
    assert resolve_secret_key(settings) == first  # survives restarts
    mode = (tmp_path / "var" / "secret.key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


@pytest.mark.parametrize(
    "values",
    [
        {"database_url": "postgresql+asyncpg://u@127.0.0.1/db"},
        {"redis_url": "redis://127.0.0.1:6379/0"},
    ],
)
def test_scaled_shape_refuses_without_a_secret(tmp_path: Path, values: dict[str, str]) -> None:
    settings = _settings(tmp_path, **values)
    assert settings.shape is Shape.scaled
    with pytest.raises(ConfigurationError, match="BACKLOT_SECRET_KEY"):
        resolve_secret_key(settings)


def test_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at least"):
        resolve_secret_key(_settings(tmp_path, secret_key="short"))


def test_unknown_database_driver_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sqlite\\+aiosqlite"):
        _settings(tmp_path, database_url="mysql://x")


def test_env_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKLOT_ACCESS_TOKEN_TTL_SECONDS", "120")
    monkeypatch.setenv("BACKLOT_CORS_ORIGINS", '["https://a.example"]')
    settings = _settings(tmp_path)
    assert settings.access_token_ttl_seconds == 120
    assert settings.cors_origins == ["https://a.example"]
