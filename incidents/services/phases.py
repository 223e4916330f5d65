"""What each handling phase must hold before an incident may leave it.

One table, read by the service that moves incidents (`services.incidents.incident_move`) and by
the portal form that marks the fields required. The review before closing is checked by the
service (it is a record of its own, not a field), and so are the open tasks before 复盘.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from incidents.models import Incident, Phase

# phase → the fields that must be filled to leave it for the next one
REQUIRED_TO_LEAVE: dict[str, tuple[str, ...]] = {
    # Someone answers for the case before it is analysed; who, what and when are the facts.
    Phase.RESPONSE: ("owner", "facts_who", "facts_what", "facts_when"),
    # 分析研判 settles the nature and the scope (at least the media level) and writes it down.
    Phase.ANALYSIS: ("nature", "media_level", "analysis"),
    Phase.PLANNING: ("plan", "responsibilities"),
    Phase.IMPLEMENTATION: ("actions_taken",),
    Phase.REVIEW: (),
}


def required_fields(phase: str) -> tuple[str, ...]:
    """The fields needed to move on from `phase` (empty for the last phases)."""
    return REQUIRED_TO_LEAVE.get(phase, ())


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_fields(incident: Incident) -> dict[str, str]:
    """{field: Chinese message} for what the incident's current phase still lacks."""
    phase_label = Phase(incident.phase).label
    missing = {}
    for name in required_fields(incident.phase):
        field = Incident._meta.get_field(name)
        value = getattr(incident, field.attname)
        if _is_blank(value):
            missing[name] = _("离开“%(phase)s”阶段前请填写“%(label)s”。") % {
                "phase": phase_label,
                "label": field.verbose_name,
            }
    return missing
