"""Where the token-signing key comes from: settings, or a generated file when embedded."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from backlot.core.settings import Settings, Shape

MIN_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The settings cannot run safely; the service refuses to start."""


def resolve_secret_key(settings: Settings) -> str:
    if settings.secret_key is not None:
        secret = settings.secret_key.get_secret_value()
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"BACKLOT_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters."
            )
        return secret
    if settings.shape is not Shape.embedded:
        # Several processes must share one key, and a key nobody chose is a key nobody
        # guards: the scaled shape needs it set explicitly.
        raise ConfigurationError(
            "BACKLOT_SECRET_KEY is not set. Outside the embedded shape it is required, e.g. "
            "BACKLOT_SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_urlsafe(48))')\""
        )
    return _embedded_secret(settings.var_dir / "secret.key")


def _embedded_secret(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            # link() fails if the key exists: when processes start together, one key wins.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    secret = path.read_text().strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(f"{path} holds no usable key; delete it to make a new one.")
    return secret
