"""Corporations, plans, users and authentication (passwords, refresh tokens, Google)."""
