"""Seed 002: a live co-edited block workspace over WebSockets, with durable snapshots."""
