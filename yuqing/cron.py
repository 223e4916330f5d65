"""Every periodic job of the system, declared in one place for RQ's own cron.

`manage.py rqcron yuqing.cron` loads this module and enqueues each job when it is due; the RQ
workers run them. Run exactly one rqcron process per deployment (a second one would enqueue
everything twice); `bin/run` starts it beside the web server and the worker.

Cron expressions are read in the process's local time, which Django sets from TIME_ZONE
(Asia/Shanghai unless DJANGO_TIME_ZONE says otherwise): "30 2 * * *" is 02:30 Beijing time.

Later capabilities add their schedules here (SLA sweep, RSS polling, scoring sweep, training
reminders, tier recomputation, period-end reports), one `cron.register(...)` each, pointing at a
thin job in their app's `jobs.py`.
"""

from rq import cron

from customers.jobs import pending_imports_purge_job, tier_recompute_all_tenants
from incidents.jobs import sla_sweep_job
from training.jobs import training_reminders_all_tenants
from yuqing.audit.jobs import audit_verify_all
from yuqing.monitoring.jobs import feeds_poll_due, mentions_score_sweep, mentions_warn_sweep
from yuqing.notify.jobs import deliveries_sweep

# Nightly, while the portal is quiet: re-hash every tenant's audit chain and record any break.
cron.register(audit_verify_all, queue_name="default", cron="30 2 * * *", job_timeout=3600)
# Nightly: every active tenant's customer tiers (rule drift, expired manual overrides), one job per tenant.
cron.register(tier_recompute_all_tenants, queue_name="default", cron="0 3 * * *")
# Every minute: SLA warnings and breaches, exactly once each (ttl: a sweep left queued past the next one is dropped).
cron.register(sla_sweep_job, queue_name="default", cron="* * * * *", job_timeout=300, ttl=60)
# Every minute: deliveries whose send job was lost, held ones whose quiet hours ended, dead senders' rows.
cron.register(deliveries_sweep, queue_name="notify", cron="* * * * *", job_timeout=120, ttl=60)
# Every minute: a poll job per RSS/Atom source whose interval has elapsed (each source at most once in the queue).
cron.register(feeds_poll_due, queue_name="feeds", cron="* * * * *", job_timeout=120, ttl=60)
# Every minute: re-queue mentions pending for over a minute (their scoring job was lost), in batches of 200.
cron.register(mentions_score_sweep, queue_name="default", cron="* * * * *", job_timeout=120, ttl=60)
# Every minute: re-queue the warnings step of mentions scored over a minute ago and not grouped since.
cron.register(mentions_warn_sweep, queue_name="default", cron="* * * * *", job_timeout=120, ttl=60)
# Every 10 minutes: expired pending import files (encrypted uploads awaiting confirmation) are deleted.
cron.register(pending_imports_purge_job, queue_name="default", cron="*/10 * * * *", job_timeout=120, ttl=600)
# Daily at 08:30: training reminders (certifications expiring within 30 days, missing required courses), once each.
cron.register(training_reminders_all_tenants, queue_name="default", cron="30 8 * * *", job_timeout=600)
