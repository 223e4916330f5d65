"""ID and mobile numbers inside mention text: masked when stored, the original kept encrypted.

Crawled posts often quote a borrower's 身份证号 or 手机号 ("催收员打 138xxxx 骚扰", a leaked
contract). They are personal data of class C2 like the customers' own numbers, so a mention
stores them as customers do: the text every output uses (stream, detail, stories, warnings,
incidents, notifications, admin, API) carries the masked form (`138****1234`,
`110105********002X`, the same masking functions as customers), and the original text is kept
Fernet-encrypted (`Mention.original_encrypted`) for the reveal service, which needs the reveal
permission and writes an audit event naming the fields, never the values.

What counts as a number (decided here, applied at ingestion and by `manage.py
mentions_mask_personal_data` to stored mentions):
- 居民身份证号, 18 characters: 17 digits and a GB 11643 check character that is right, with a
  real birth date (1900 onwards, not in the future's next century). The check digit alone
  passes one random 18-digit number in 11 (order numbers, tracking numbers); with the date it is
  about one in 300, and masking a few such numbers too costs an analyst little.
- the old 15-digit form (1984–2004 issue, still quoted in old contracts): a region code and a
  valid YYMMDD birth date; there is no check digit, so the date is what tells it apart.
- mainland mobile numbers `1[3-9]\\d{9}`, written solid or as 3-4-4 groups with a space or a
  hyphen, optionally after +86/86; never inside a longer run of digits (a 20-digit order number
  does not contain a mobile number).
The masked text keeps the content fingerprint stable: re-delivering the same post gives the
same masked text, so de-duplication is by the masked text; the fingerprint of the clear text is
never stored (with the masked text beside it, 10⁴ guesses would recover a mobile number).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.validators import id_number_check_char
from yuqing import privacy
from yuqing.audit.services import audit_record
from yuqing.monitoring.models import Mention
from yuqing.monitoring.services.ingestion.normalize import content_fingerprint
from yuqing.tenancy.guard import actor_membership, tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission, require_permission

# A candidate is a whole run of digits (with an ID's final X): never part of a longer run. Letters
# may touch it ("VX13800138000"). Text is NFKC-normalised before, so full-width digits are ASCII.
_ID_18 = r"[1-9]\d{16}[\dXx]"
_ID_15 = r"[1-9]\d{14}"
_MOBILE = r"(?:(?:\+|＋)?86[- ]?)?1[3-9]\d(?:\d{8}|-\d{4}-\d{4}| \d{4} \d{4})"
_CANDIDATE = re.compile(rf"(?<!\d)(?:(?P<id18>{_ID_18})|(?P<mobile>{_MOBILE})|(?P<id15>{_ID_15}))(?!\d)", re.ASCII)
_RUN = re.compile(r"[0-9+＋][0-9 +＋Xx-]{10,}")
_COUNTRY_PREFIX = re.compile(r"(?:\+|＋)?86[- ]?(?=1)")
MASKED_FIELDS = ("title", "body")


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def is_id_number_18(value: str) -> bool:
    value = value.upper()
    if id_number_check_char(value[:17]) != value[17]:
        return False
    return 1900 <= int(value[6:10]) <= 2099 and _real_date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def is_id_number_15(value: str) -> bool:
    return _real_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))


def _masked(match: re.Match[str]) -> str:
    text = match.group()
    if match.group("id18"):
        return privacy.mask_id_number(text.upper()) if is_id_number_18(text) else text
    if match.group("id15"):
        return privacy.mask_id_number(text) if is_id_number_15(text) else text
    digits = re.sub(r"\D", "", text)
    prefix = _COUNTRY_PREFIX.match(text)
    return f"{prefix.group() if prefix else ''}{privacy.mask_mobile(digits[-11:])}"


def mask_personal_numbers(text: str) -> str:
    """`text` with every ID and mobile number masked (the rest unchanged, never longer)."""
    if not text:
        return text
    # The full pattern is slow to try at every character (~1 µs each); it runs only inside the runs
    # of digits and separators long enough to hold a number. A run is maximal, so the full pattern's
    # "not next to a digit" holds at its edges as it would in the whole text.
    return _RUN.sub(lambda run: _CANDIDATE.sub(_masked, run.group()), text)


def _mask_json(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_numbers(value)
    if isinstance(value, list):
        return [_mask_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _mask_json(item) for key, item in value.items()}
    return value


def mention_mask_personal_data(mention: Mention) -> bool:
    """The ingestion step: mask ID and mobile numbers in the mention's title, body and extra fields.

    Changes the unsaved (or stored) mention in place: the masked text in the fields, the originals
    of the changed fields encrypted in `original_encrypted`, and the content fingerprint of the
    masked text. Idempotent (masked text has nothing left to mask); returns whether it masked.
    The author needs nothing here: only a keyed hash and its first character are ever stored.
    """
    originals: dict[str, Any] = {}
    for name in MASKED_FIELDS:
        value = getattr(mention, name) or ""
        masked = mask_personal_numbers(value)
        if masked != value:
            originals[name] = value
            setattr(mention, name, masked)
    if mention.extra:
        masked_extra = _mask_json(mention.extra)
        if masked_extra != mention.extra:
            originals["extra"] = mention.extra
            mention.extra = masked_extra
    if not originals:
        return False
    if mention.original_encrypted:  # masked before: keep the first originals, add the new ones
        originals = {**originals, **mention_original(mention)}
    mention.original_encrypted = privacy.encrypt(json.dumps(originals, ensure_ascii=False))
    mention.content_hash = content_fingerprint(mention.title, mention.body)
    return True


def mention_original(mention: Mention) -> dict[str, Any]:
    """The decrypted originals of the masked fields ({} when nothing was masked). No permission check:
    callers are the reveal service and the masking itself."""
    if not mention.original_encrypted:
        return {}
    return json.loads(privacy.decrypt(mention.original_encrypted))


@tenant_service(Permission.REVEAL_PERSONAL_DATA)
def mention_reveal_original(
    *, tenant: Tenant, actor: User, mention: Mention, ip_address: str | None = None
) -> dict[str, str]:
    """The original title and body of a masked mention, for a role allowed to see personal data.

    The audit event names the revealed fields, never their values.
    """
    # Stricter than the guard: only a member whose role may reveal, never platform code or a superuser.
    require_permission(actor_membership(tenant=tenant, actor=actor), Permission.REVEAL_PERSONAL_DATA)
    if mention.tenant_id != tenant.pk:
        raise ValidationError(_("这条信息不属于当前机构。"))
    originals = mention_original(mention)
    if not originals:
        raise ValidationError(_("这条信息没有被遮盖的个人信息。"))
    revealed = {name: originals[name] for name in MASKED_FIELDS if name in originals}
    audit_record(
        tenant=tenant,
        actor=actor,
        action="mention.reveal",
        target=mention,
        changes={"fields": sorted(originals)},
        ip_address=ip_address,
    )
    return {
        "title": revealed.get("title", mention.title),
        "body": revealed.get("body", mention.body),
    }


# ---------------------------------------------------------------- mentions stored before masking

STORED_CHUNK = 500


def _hash_taken(tenant: Tenant, mention: Mention) -> bool:
    return Mention.objects.for_tenant(tenant).filter(content_hash=mention.content_hash).exclude(pk=mention.pk).exists()


def _mask_rows(model: type, tenant: Tenant, fields: tuple[str, ...]) -> int:
    """Mask `fields` of every row of `model` in the tenant that holds a number; returns rows changed."""
    changed = 0
    rows = model.objects.for_tenant(tenant).only("pk", *fields).order_by("pk")
    for row in rows.iterator(chunk_size=STORED_CHUNK):
        updates = {name: mask_personal_numbers(getattr(row, name) or "") for name in fields}
        updates = {name: value for name, value in updates.items() if value != (getattr(row, name) or "")}
        if updates:
            model.objects.for_tenant(tenant).filter(pk=row.pk).update(**updates)
            changed += 1
    return changed


@tenant_service(None)
def mentions_mask_stored(*, tenant: Tenant, actor: User | None = None) -> dict[str, int]:
    """Mask the ID and mobile numbers of a tenant's mentions stored before masking at ingestion,
    and of the text copied from them (story titles, incident titles and summaries, in-portal
    notifications and channel deliveries). Idempotent; one audit event with the counts.

    Append-only records (incident timelines, the audit trail) are not rewritten: their integrity
    is the point of them. A mention whose masked text collides with another mention's fingerprint
    (they differed only in the masked digits) gets a fingerprint of its own.
    """
    from incidents.models import Incident
    from yuqing.monitoring.models import Story
    from yuqing.notify.models import Delivery, Notification

    mentions = 0
    queryset = Mention.objects.for_tenant(tenant).order_by("pk")
    for mention in queryset.iterator(chunk_size=STORED_CHUNK):
        if not mention_mask_personal_data(mention):
            continue
        if _hash_taken(tenant, mention):
            mention.content_hash = hashlib.sha256(f"{mention.content_hash}:{mention.pk}".encode()).hexdigest()
        mention.save(update_fields=["title", "body", "extra", "original_encrypted", "content_hash"])
        mentions += 1
    counts = {
        "mentions": mentions,
        "stories": _mask_rows(Story, tenant, ("title",)),
        "incidents": _mask_rows(Incident, tenant, ("title", "summary")),
        "notifications": _mask_rows(Notification, tenant, ("title", "body")),
        "deliveries": _mask_rows(Delivery, tenant, ("title", "body")),
    }
    if any(counts.values()):
        audit_record(
            tenant=tenant,
            actor=actor,
            action="mention.mask_personal_data",
            object_type="monitoring.mention",
            changes=counts,
        )
    return counts
