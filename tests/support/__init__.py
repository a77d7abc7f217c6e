"""Real-protocol test servers shared by several test areas (importable as ``support``)."""
