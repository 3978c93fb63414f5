"""The `backlot` command: serve, migrate, make a superuser, fill in demo data."""

from __future__ import annotations

import asyncio
import copy
import getpass
from pathlib import Path
from typing import Annotated, Any

import typer

from backlot.core import migrate
from backlot.core.secrets import ConfigurationError, resolve_secret_key
from backlot.core.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Backlot: media collaboration service.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
app.add_typer(db_app, name="db")


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def _prepare(settings: Settings) -> None:
    """Exit with the reason unless the secret key resolves; then migrate the schema unless
    BACKLOT_AUTO_MIGRATE=false."""
    try:
        resolve_secret_key(settings)
    except ConfigurationError as exc:
        raise _fail(str(exc)) from exc
    if settings.auto_migrate:
        migrate.upgrade(settings.database_url)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [BACKLOT_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [BACKLOT_PORT].")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Run the HTTP service (migrating the schema first unless BACKLOT_AUTO_MIGRATE=false)."""
    import uvicorn

    settings = Settings()
    _prepare(settings)  # fails before binding, with the reason
    uvicorn.run(
        "backlot.app:create_asgi_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=None if reload else workers,
        reload=reload,
        reload_dirs=[str(Path(__file__).resolve().parent)] if reload else None,
        log_level=settings.log_level,
        log_config=_log_config(settings.log_level),
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,  # no `server: uvicorn` telling scanners what to try
        # Frames far over the workspace limit are refused by the protocol layer (1009)
        # before they are buffered whole; those just over it get our own 1009 and reason.
        ws_max_size=settings.workspace_max_message_bytes + 64 * 1024,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_timeout_seconds)),
    )


@app.command()
def worker() -> None:
    """Run dubbing jobs from the Redis queue (scaled shape; embedded, `serve` runs them)."""
    import asyncio
    import logging.config

    from backlot.worker import run_worker

    settings = Settings()
    if settings.redis_url is None:
        raise _fail(
            "The worker consumes the Redis queue: set BACKLOT_REDIS_URL. In the embedded "
            "shape `backlot serve` runs the jobs itself."
        )
    _prepare(settings)
    logging.config.dictConfig(_log_config(settings.log_level))
    asyncio.run(run_worker(settings))


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus our own `backlot.*` loggers on the same handler; every
    handler redacts URL tokens (the access log would print `?token=...` in full)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_url_tokens"] = {
        "()": "backlot.core.log_redaction.RedactUrlTokens"
    }
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_url_tokens")
    config["loggers"]["backlot"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Upgrade the schema to REVISION (default: the latest)."""
    migrate.upgrade(Settings().database_url, revision)


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Downgrade the schema to REVISION (default: one step back; `base` empties it)."""
    migrate.downgrade(Settings().database_url, revision)


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at."""
    from backlot.core.db import build_engine

    async def _current() -> set[str]:
        engine = build_engine(Settings().database_url)
        try:
            return await migrate.current_revisions(engine)
        finally:
            await engine.dispose()

    typer.echo(", ".join(sorted(asyncio.run(_current()))) or "(empty)")


@app.command()
def createsuperuser(
    email: Annotated[str, typer.Option(prompt=True, help="Email to sign in with.")],
    password: Annotated[
        str | None,
        typer.Option(
            help="Password; asked for when omitted [BACKLOT_SUPERUSER_PASSWORD].",
            envvar="BACKLOT_SUPERUSER_PASSWORD",
        ),
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="Shown name.")] = None,
) -> None:
    """Create a platform superuser, who manages corporations and their plans."""
    from pydantic import ValidationError

    from backlot.accounts.superuser import create_superuser

    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise _fail("the passwords differ")
    settings = Settings()
    if settings.auto_migrate:
        migrate.upgrade(settings.database_url)
    try:
        user_id = asyncio.run(create_superuser(settings, email, password, display_name))
    except ValidationError as exc:
        raise _fail("; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())) from exc
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"superuser {email.lower()} created (id {user_id})")


@app.command()
def demo(
    password: Annotated[
        str | None,
        typer.Option(help="Password of the demo accounts made now [default: the README's]."),
    ] = None,
) -> None:
    """Fill the database with a demo company, its people and data in every app (again: adds
    nothing); prints the accounts and where to go."""
    from backlot.core.errors import ProblemError
    from backlot.demo import DEMO_PASSWORD, DemoError, fill_demo

    settings = Settings()
    _prepare(settings)
    try:
        report = asyncio.run(fill_demo(settings, password=password or DEMO_PASSWORD))
    except ProblemError as exc:
        raise _fail(exc.detail) from exc
    except DemoError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(report.summary(settings.public_url))
