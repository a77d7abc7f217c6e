"""Storage: engine, typed models and migrations."""
