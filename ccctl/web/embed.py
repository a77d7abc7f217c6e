"""The snippet a client pastes into its site, and the script it loads (/t/<tenant>/embed.js)."""

from __future__ import annotations

from html import escape


def script_snippet(base_url: str, tenant: str) -> str:
    """A <div> plus <script>: the script puts the form in an iframe there, passing on ?ref= and the page."""
    base = base_url.rstrip("/")
    return (f'<div id="ccctl-contact-{escape(tenant)}"></div>\n'
            f'<script src="{escape(base)}/t/{escape(tenant)}/embed.js" async></script>')


def iframe_snippet(base_url: str, tenant: str) -> str:
    """A plain iframe, for sites that allow no third-party script (no ?ref= pass-through)."""
    base = base_url.rstrip("/")
    return (f'<iframe src="{escape(base)}/t/{escape(tenant)}/contact?embed=1" title="Contact" '
            'style="width:100%;min-height:560px;border:0" loading="lazy"></iframe>')
