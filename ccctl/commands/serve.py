"""`ccctl serve`: the HTTP front (web forms, embed snippet, plugin webhooks) and `ccctl serve snippet`."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option

EPILOG = """\b
Examples:
  ccctl serve --host 127.0.0.1 --port 8080 --workers 2
  ccctl serve --trust-proxy 10.0.0.0/8 --public-url https://cc.example.com
  ccctl serve --rate-limit 300/60 --max-body 128k
  ccctl serve snippet --tenant voyages-lumiere --base-url https://cc.example.com

\b
Routes: /health; /t/<tenant>/contact (information-request form);
/t/<tenant>/embed.js (the snippet's script); plugin routes under /t/<tenant>/
for tenants that enable the plugin. Set CCCTL_WEB_SECRET so CSRF tokens
outlive a restart (a random key is used otherwise).
"""


def _size(text: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024}
    text = text.strip().lower().removesuffix("b")
    try:
        return int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(text)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a size like 65536, 64k or 1m") from None


def _rate(text: str) -> tuple[int, float]:
    count, _, window = text.partition("/")
    try:
        limit, seconds = int(count), float(window or 60)
    except ValueError:
        limit, seconds = -1, 0.0
    if limit < 0 or seconds <= 0:
        raise click.BadParameter(f"'{text}' is not a rate like 120/60 (requests/seconds) or 0")
    return limit, seconds


def register(cli: click.Group) -> None:
    @cli.group("serve", invoke_without_command=True, epilog=EPILOG)
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
    @click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
                  help="Worker processes (on SQLite their writes queue on a lock file).")
    @click.option("--rate-limit", default="120/60", show_default=True, metavar="N/SECONDS",
                  help="Requests per client IP per window; 0 turns it off.")
    @click.option("--max-body", default="64k", show_default=True, metavar="SIZE",
                  help="Largest request body accepted (413 beyond).")
    @click.option("--trust-proxy", multiple=True, metavar="IP|CIDR",
                  help="Believe X-Forwarded-For/-Proto/-Host from this peer (repeatable).")
    @click.option("--public-url", metavar="URL",
                  help="Public base URL, e.g. https://cc.example.com (what Twilio signs).")
    @click.option("--replay-window", default=7 * 86400, show_default=True, type=click.IntRange(60),
                  metavar="SECONDS", help="How long a Twilio request is remembered to refuse its replay.")
    @click.option("--log-level", default="info", show_default=True,
                  type=click.Choice(["critical", "error", "warning", "info", "debug"]))
    @click.pass_context
    def serve(ctx: click.Context, host, port, workers, rate_limit, max_body, trust_proxy, public_url,
              replay_window, log_level) -> None:
        """Serve web forms and webhooks over HTTP (run it behind a TLS proxy in production)."""
        if ctx.invoked_subcommand is not None:
            return
        from ccctl.web.settings import WebSettings

        limit, window = _rate(rate_limit)
        settings = WebSettings(max_body_bytes=_size(max_body), rate_limit=limit, rate_window=window,
                               trusted_proxies=tuple(trust_proxy), public_url=public_url,
                               replay_window=replay_window)
        _check_networks(settings.trusted_proxies)
        if public_url and not public_url.startswith(("http://", "https://")):
            raise click.BadParameter(f"'{public_url}' is not a URL like https://cc.example.com",
                                     param_hint="--public-url")
        _run(ctx, settings, host, port, workers, log_level)

    @serve.command("snippet")
    @tenant_option
    @click.option("--base-url", metavar="URL", default="http://127.0.0.1:8080", show_default=True,
                  help="Where `ccctl serve` is reachable from visitors' browsers.")
    @click.option("--iframe", is_flag=True, help="Print a plain <iframe> (no JavaScript) instead.")
    def snippet(tenant_slug, base_url, iframe) -> None:
        """Print the HTML a client pastes into its site to show the contact form.

        \b
        Example:
          ccctl serve snippet -t voyages-lumiere --base-url https://cc.example.com
        """
        from ccctl.commands.options import tenant_session
        from ccctl.web.embed import iframe_snippet, script_snippet

        with tenant_session(tenant_slug, commit=False) as (_app, _session, tenant):
            make = iframe_snippet if iframe else script_snippet
            click.echo(make(base_url, tenant.slug))


def _check_networks(networks) -> None:
    import ipaddress

    for net in networks:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise click.BadParameter(f"'{net}' is not an IP address or CIDR", param_hint="--trust-proxy") from None


def _check_can_listen(host: str, port: int) -> None:
    """Fail with exit code 1 and a plain message (uvicorn would exit 3 after start-up logs)."""
    import socket

    from ccctl.errors import CcctlError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CcctlError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise CcctlError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _run(ctx: click.Context, settings, host: str, port: int, workers: int, log_level: str) -> None:
    import json
    import os

    import uvicorn

    from ccctl.context import App
    from ccctl.entry_points import ccctl_entry_points
    from ccctl.errors import CcctlError
    from ccctl.web.app import tenant_routes
    from ccctl.web.factory import BLOCKED_ENV
    from ccctl.web.settings import ENV_VAR, SECRET_ENV_VAR

    app = ctx.find_object(App)
    try:
        tenant_routes(app.pm)  # a plugin's bad route stops us here, not in every worker
    except ValueError as exc:
        raise CcctlError(f"{exc} (ccctl --disable-plugin NAME serve ... runs without it)") from None
    _check_can_listen(host, port)
    app.engine  # migrate once here, before several workers could race to do it
    settings = settings.with_secret()
    # Workers are fresh processes: everything they need goes through the environment.
    os.environ["CCCTL_DATABASE_URL"] = app.database_url
    os.environ[ENV_VAR] = settings.to_env()
    os.environ[SECRET_ENV_VAR] = settings.secret
    os.environ[BLOCKED_ENV] = json.dumps([ep.name for ep in ccctl_entry_points() if app.pm.is_blocked(ep.name)])
    uvicorn.run("ccctl.web.factory:from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, proxy_headers=False, server_header=False, access_log=log_level == "debug")
