"""Core command groups; each module has ``register(cli)``. Heavy imports stay inside commands."""
