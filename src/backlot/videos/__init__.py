"""The video library of seed 001: upload or register, stream with ranges, rewards."""
