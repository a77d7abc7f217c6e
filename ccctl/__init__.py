"""ccctl: a plugin-based command-line toolkit for contact-centre outsourcers."""

__version__ = "0.1.0"
