"""Writes of the incidents app, one module per concern.

- incidents: open, update, move through the phases, open from a feedback item, timeline notes,
  default natures
- phases: what each handling phase must hold before an incident may leave it
- plans: the emergency-plan hook (启动应急预案): proposals for severe incidents, launched as tasks
- codes: the gap-free YQ-<year>-<n> codes
- tasks: cross-department tasks, their status, comments with @mentions
- evidence: files and links, checked by content
- sla: policies and clocks (start, pause, resume, recompute, stop); sla_sweep: the minute sweep;
  escalation: who hears of a warning or breach
- review: the post-incident review (复盘) and its improvement actions
- common: tenant checks of related rows, the row lock, timeline and audit helpers

Every service stands behind `yuqing.tenancy.guard.tenant_service`: it takes the tenant and the
acting user (None for platform code: jobs, demo data), works in the tenant's context, checks the
permission, and records an audit event in the same transaction as the change. Services of
platform code only (clocks started and stopped by another service, default rows) take
`tenant_service(None)`. The sweep works across tenants, one transaction per batch, and so takes
no tenant guard.
"""
