"""Per-tenant YAML configuration: loading with line numbers, validation, secrets."""
