"""Stories, warnings and their routing (分级预警) — the third step of the monitoring pipeline.

    from yuqing.monitoring.services.warnings import mentions_warn
    mentions_warn(tenant=tenant, mention_ids=ids)   # mentions_warn_job, queued by scoring per batch

- grouping.py: scored mentions → stories (same customer and risk term within the policy's window,
  or near-duplicate text; fingerprints.py has the text sketches)
- process.py: mentions_warn / warnings_process — one RiskWarning per story, raised when the story first reaches
  blue, upgraded (never downgraded) as more severe mentions arrive, WarningChange rows; the lock order
- handling.py: blue/yellow → customer-service queue (in-portal); orange/red → the story's incident
  (opened or joined by incidents.services.intake) and the duty roster
- routing.py: WarningRoute rules → yuqing.notify notify_channels, with quiet hours that know
  statutory holidays and make-up working days; red is never held
- actions.py: analysts' acknowledge / close / set level / escalate a mention
"""

from yuqing.monitoring.services.warnings.actions import (
    warning_acknowledge,
    warning_close,
    warning_escalate_mention,
    warning_set_level,
)
from yuqing.monitoring.services.warnings.process import mentions_warn, warnings_process
from yuqing.monitoring.services.warnings.routing import quiet_until, warning_route_create

__all__ = [
    "mentions_warn",
    "quiet_until",
    "warning_acknowledge",
    "warning_close",
    "warning_escalate_mention",
    "warning_route_create",
    "warning_set_level",
    "warnings_process",
]
