"""The accounts app as the composition root mounts it."""

from backlot.accounts.browser_sessions import router as browser_router
from backlot.accounts.router import auth_router, corporations_router, users_router
from backlot.accounts.runtime import AccountsRuntime
from backlot.core.apps import AppModule

accounts = AppModule(
    "accounts",
    routers=(auth_router, browser_router, users_router, corporations_router),
    build=AccountsRuntime,
)
