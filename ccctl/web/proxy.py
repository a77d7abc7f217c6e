"""What the outside world sees: the client's IP and the URL it called, believing X-Forwarded-* only from trusted proxies."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.datastructures import Headers

from ccctl.web.settings import WebSettings


@lru_cache(maxsize=64)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def is_trusted(peer: str | None, settings: WebSettings) -> bool:
    if not peer or not settings.trusted_proxies:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in net for net in _networks(settings.trusted_proxies))


def client_ip(scope: dict, settings: WebSettings) -> str:
    """The peer address; behind trusted proxies, the right-most X-Forwarded-For hop that is not one of them."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not is_trusted(peer, settings):
        return peer
    hops = [h.strip() for h in Headers(scope=scope).get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, settings):
            return hop
    return hops[0] if hops else peer


def external_base(scope: dict, settings: WebSettings) -> str:
    """scheme://host[:port] as the caller saw it: ``public_url``, else trusted X-Forwarded-Proto/Host, else Host."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    headers = Headers(scope=scope)
    scheme = scope.get("scheme", "http")
    host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("localhost", 80)))
    if is_trusted((scope.get("client") or ("", 0))[0], settings):
        scheme = headers.get("x-forwarded-proto", scheme).split(",")[0].strip() or scheme
        host = headers.get("x-forwarded-host", host).split(",")[0].strip() or host
        port = headers.get("x-forwarded-port", "").split(",")[0].strip()
        if port.isdigit():
            host = with_port(host, scheme, int(port))
    return f"{scheme}://{host}"


def with_port(host: str, scheme: str, port: int) -> str:
    """``host`` with its port replaced by ``port`` (left out when it is the scheme's default)."""
    if host.startswith("["):  # an IPv6 literal, e.g. [::1]:8443
        name = host[:host.index("]") + 1] if "]" in host else host
    else:
        name = host.split(":", 1)[0]
    default = {"http": 80, "https": 443}.get(scheme)
    return name if port == default else f"{name}:{port}"


def external_url(scope: dict, settings: WebSettings) -> str:
    """The full URL (path and query) the caller requested: what Twilio signed."""
    raw = scope.get("raw_path")  # as sent, percent-escapes intact: Twilio signed these bytes
    path = raw.decode("latin-1") if raw else scope.get("root_path", "") + scope["path"]
    url = external_base(scope, settings) + path
    query = scope.get("query_string", b"")
    return f"{url}?{query.decode('latin-1')}" if query else url
