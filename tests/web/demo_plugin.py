"""A demo plugin for the HTTP front's tests: a plain page, an async route and Twilio webhooks."""

from __future__ import annotations

from starlette.responses import JSONResponse, PlainTextResponse

from ccctl.db.models import Interaction
from ccctl.hookspecs import hookimpl
from ccctl.web.scope import run_in_tenant, tenant_scope
from ccctl.web.twilio import verify_twilio

DEMO_TOKEN = "demo-auth-token-0123456789"


class DemoPlugin:
    """A plugin with a plain page, an async route and a Twilio webhook that writes a row."""

    @hookimpl
    def ccctl_register_routes(self, register):
        register("/demo/hello", hello, name="demo-hello")
        register("/demo/async/{word}", shout, methods=("GET",))
        register("/demo/twilio", twilio_hook, methods=("POST",))
        register("/demo/twilio-json", twilio_json_hook, methods=("POST",))
        register("/demo/twilio-get", twilio_get_hook, methods=("GET",))
        register("/demo/broken", broken, methods=("GET", "POST"))
        register("/demo/bad-input", bad_input)
        register("/demo/raw-html", raw_html)
        register("/demo/kit-page", kit_page)


def broken(request):
    """A plugin bug whose message holds what a client must never see."""
    raise RuntimeError("SELECT secret FROM customers WHERE email = 'lea@example.org'")


def bad_input(request):
    from ccctl.errors import InputError

    raise InputError("the date must look like 2026-01-31")


def raw_html(request):
    """A page made without the kit: it still gets the kit's default headers (no inline code runs)."""
    from starlette.responses import HTMLResponse

    return HTMLResponse("<p>raw</p><script>document.title = 'ran'</script>")


def kit_page(request):
    from pathlib import Path

    from ccctl.web.pages import page_kit

    return page_kit(Path(__file__).parent / "demo_templates").page(request, "demo.html", {"who": "demo"})


def hello(request):
    with tenant_scope(request) as ctx:
        return PlainTextResponse(f"hello from {ctx.tenant.slug}")


async def shout(request):
    slug = await run_in_tenant(request, lambda ctx: ctx.tenant.slug)
    return JSONResponse({"tenant": slug, "word": request.path_params["word"].upper()})


def twilio_hook(request):
    with tenant_scope(request) as ctx:
        form = verify_twilio(request, ctx, DEMO_TOKEN)
        ctx.session.add(Interaction(tenant_id=ctx.tenant.id, channel="demo", summary=form["Body"],
                                    external_id=form["MessageSid"]))
    return PlainTextResponse("<Response/>", media_type="application/xml")


def twilio_json_hook(request):
    """A JSON webhook (Twilio signs the URL, whose ?bodySHA256= covers the body)."""
    import json

    with tenant_scope(request) as ctx:
        body = json.loads(verify_twilio(request, ctx, DEMO_TOKEN))
        ctx.session.add(Interaction(tenant_id=ctx.tenant.id, channel="demo", summary=body["event"]))
    return JSONResponse({"ok": True})


def twilio_get_hook(request):
    """A webhook configured with method GET: the parameters are in the signed URL."""
    with tenant_scope(request) as ctx:
        verify_twilio(request, ctx, DEMO_TOKEN)
        ctx.session.add(Interaction(tenant_id=ctx.tenant.id, channel="demo", summary=request.query_params["Body"]))
    return PlainTextResponse("<Response/>", media_type="application/xml")


TENANTS = {
    "with-demo": "tenant: with-demo\nname: With Demo\nqueues: [{name: general}]\nplugins: {demo: {enabled: true}}\n",
    "without-demo": "tenant: without-demo\nname: Without Demo\nqueues: [{name: general}]\n"
                    "plugins: {demo: {enabled: false}}\n",
}
