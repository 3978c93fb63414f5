"""Settings for benchmark servers: one client address plays many people here, so the
limits that protect a real service from one address (sign-ins, users an admin creates,
workspace seats and rooms, queued dubbing jobs) are lifted. Everything else is default."""

LIFTED_LIMITS = {
    "BACKLOT_AUTH_ADDRESS_RATE_LIMIT": "1000000/minute",
    "BACKLOT_USER_ADMIN_RATE_LIMIT": "1000000/minute",
    "BACKLOT_WORKSPACE_ROOMS_ON_CONNECT": "anyone",
    "BACKLOT_WORKSPACE_MAX_SEATS_PER_CLIENT": "1000",
    "BACKLOT_DUBBING_MAX_ACTIVE_JOBS_PER_USER": "1000",
}
