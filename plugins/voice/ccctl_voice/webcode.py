"""Partner attribution by phone: the site shows a short code, the caller keys it at the menu.

``GET /t/<tenant>/voice/web-code/new?ref=PARTNER&page=URL`` (the site's script calls it; the
``ccctl_ref`` cookie the contact form keeps is used when ``ref`` is absent) answers a fresh
numeric code, valid ``web_code_minutes``. Keyed at the menu after ``web_code_key`` (``*``), it
puts the partner on the call's work item (``partner_code``: ``report attribution`` counts it
under "phone") and the page on the screen pop.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ccctl.context import TenantContext
from ccctl_voice.config import VoiceConfig
from ccctl_voice.models import VoiceWebCode


def new_code(ctx: TenantContext, cfg: VoiceConfig, ref: str, page: str, now: datetime) -> VoiceWebCode:
    session = ctx.session
    session.execute(delete(VoiceWebCode).where(VoiceWebCode.tenant_id == ctx.tenant.id,
                                               VoiceWebCode.expires_at < now))
    for _ in range(20):  # a code is unique among the tenant's live ones
        code = "".join(secrets.choice("0123456789") for _ in range(cfg.web_code_digits))
        if find_code(ctx, code, now) is None:
            break
    else:
        raise RuntimeError("no free web code: raise plugins.voice.web_code_digits")
    row = VoiceWebCode(tenant_id=ctx.tenant.id, code=code, ref=ref[:100], page=page[:500],
                       expires_at=now + timedelta(minutes=cfg.web_code_minutes))
    session.add(row)
    session.flush()
    return row


def find_code(ctx: TenantContext, code: str, now: datetime) -> VoiceWebCode | None:
    return ctx.session.scalar(select(VoiceWebCode).where(
        VoiceWebCode.tenant_id == ctx.tenant.id, VoiceWebCode.code == code, VoiceWebCode.expires_at >= now))
