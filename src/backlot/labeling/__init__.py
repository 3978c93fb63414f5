"""Labeling (seed 000): projects of files, exclusive file locks with TTL, live updates."""
