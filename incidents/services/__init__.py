"""Writes of the incidents app, one module per concern.

- incidents: open, update, move through the phases (rules in incidents.services.phases), open from a
  feedback item, timeline notes, default natures
- codes: the gap-free YQ-<year>-<n> codes
- tasks: cross-department tasks, their status, comments with @mentions
- evidence: files and links, checked by content
- sla: policies and clocks (start, pause, resume, recompute, stop); sla_sweep: the minute sweep
  (recipients in incidents.services.escalation)
- review: the post-incident review (复盘) and its improvement actions
- common: role and tenant checks, timeline and audit helpers

Every public function takes the tenant and the acting user (None for platform code: jobs, demo
data), checks the role, and records an audit event in the same transaction as the change.
"""
