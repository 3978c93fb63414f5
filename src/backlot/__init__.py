"""Backlot: one self-hosted service for teams working on media together."""

__version__ = "0.1.0"
