"""The information-request form every tenant gets: GET/POST /t/<tenant>/contact, its thank-you page,
and /t/<tenant>/embed.js, the script of the snippet clients paste into their sites."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ccctl.i18n import N_
from ccctl.web.contact_form import (MAX_PAGE, ContactForm, clean_referral, document_attributes, read_form, validate,
                                    validate_document)
from ccctl.web.cookies import set_cookie
from ccctl.web.pages import csrf_ok, page, render

REF_COOKIE = "ccctl_ref"
REF_MAX_AGE = 30 * 86400
FIELDS = (
    ("name", N_("Name"), "text", ""),
    ("email", N_("Email"), "email", N_("An email address or a phone number, so we can answer.")),
    ("phone", N_("Phone"), "tel", ""),
    ("message", N_("Message"), "textarea", ""),
)


def contact_routes():
    """(path, endpoint, methods, name) of the core tenant routes, wrapped by app.tenant_route."""
    return [
        ("/contact", show_form, ("GET",), "contact"),
        ("/contact", submit_form, ("POST",), "contact-submit"),
        ("/contact/thanks", thanks, ("GET",), "contact-thanks"),
        ("/embed.js", embed_script, ("GET",), "embed-js"),
    ]


async def show_form(request: Request) -> Response:
    embed = request.query_params.get("embed") == "1"
    form = ContactForm(referral_code=_referral(request, request.query_params.get("ref")),
                       page=request.query_params.get("page", "")[:MAX_PAGE])
    _language, documents = await run_in_threadpool(offered_documents, request)
    return _form_page(request, form, {}, embed, documents)


def submit_form(request: Request) -> Response:
    """Plain def: Starlette runs it in a thread, where the database work belongs."""
    data = request.state.form or {}
    embed = data.get("embed") == "1"
    form = read_form(data, _referral(request, None))
    language, documents = offered_documents(request)
    if not csrf_ok(request, data):
        # A forged post, or a visitor whose cookie was lost: nothing stored; a fresh token to retry with.
        return _form_page(request, form, {}, embed, documents, status=403,
                          banner=N_("Your session expired (or cookies are blocked). Please send the form again."))
    info = request.state.tenant_info
    if data.get("website"):  # the hidden trap field: a bot filled it
        return _thanks_redirect(request, embed)
    errors = {**validate(form, info.region), **validate_document(form, documents)}
    if errors:
        return _form_page(request, form, errors, embed, documents, status=400)
    context = {"embed": embed, "referrer": request.headers.get("referer", "")[:500] or None,
               "user_agent": request.headers.get("user-agent", "")[:300] or None,
               **document_attributes(form, language)}
    # Stored with the submissions other requests sent meanwhile, in one transaction (see web/batch.py).
    request.app.state.contact_writer.run(info, (form, context))
    response = _thanks_redirect(request, embed)
    if form.referral_code:
        set_cookie(response, request, REF_COOKIE, form.referral_code, REF_MAX_AGE)
    return response


async def thanks(request: Request) -> Response:
    info = request.state.tenant_info
    return page(request, "thanks.html", {"tenant_name": info.name}, embed=request.query_params.get("embed") == "1")


async def embed_script(request: Request) -> Response:
    info = request.state.tenant_info
    body = render("embed.js", {"tenant": info.slug, "tenant_name": info.name}, info.locale)
    return Response(body, media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


def _referral(request: Request, from_query: str | None) -> str:
    """?ref= wins over the cookie a former visit left."""
    return clean_referral(from_query) or clean_referral(request.cookies.get(REF_COOKIE))


def offered_documents(request: Request) -> tuple[str, list[dict[str, str]]]:
    """(language, documents): what the tenant's plugins offer to send (``ccctl_contact_form_documents``)
    in the form's language, the tenant's (its ``locale``). Blocking: call it from a worker thread."""
    tenant = request.state.tenant_info.row
    language = str(tenant.config.get("locale") or "fr_FR").split("_")[0].lower()
    answers = request.app.state.ccctl.hook(tenant, "ccctl_contact_form_documents")(tenant=tenant, language=language)
    return language, [document for answer in answers if answer for document in answer]


def _form_page(request: Request, form: ContactForm, errors: dict[str, str], embed: bool,
               documents: list[dict[str, str]], status: int = 200, banner: str = "") -> Response:
    info = request.state.tenant_info
    context = {"tenant_name": info.name, "form": form, "errors": errors, "fields": FIELDS, "banner": banner,
               "action": request.url.path, "documents": documents}
    response = page(request, "contact.html", context, status=status, embed=embed)
    if form.referral_code and request.method == "GET":
        set_cookie(response, request, REF_COOKIE, form.referral_code, REF_MAX_AGE)
    return response


def _thanks_redirect(request: Request, embed: bool) -> Response:
    url = f"/t/{request.path_params['tenant']}/contact/thanks" + ("?embed=1" if embed else "")
    return RedirectResponse(url, status_code=303)
