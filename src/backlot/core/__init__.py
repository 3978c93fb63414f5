"""Infrastructure shared by every app; knows no domain."""
