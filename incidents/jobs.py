"""RQ jobs of the incidents app: thin, they call services."""

from __future__ import annotations

from dataclasses import asdict

from incidents.services.sla import sla_sweep


def sla_sweep_job() -> dict[str, int]:
    """Every minute (yuqing.cron): record and escalate the SLA warnings and breaches now due.

    A platform job across tenants (see sla_sweep); safe to run twice at once or again after a
    worker died, since every event is recorded exactly once by the database.
    """
    return asdict(sla_sweep())
