"""The cron module declares the nightly audit chain verification for `manage.py rqcron`."""

from django.conf import settings
from django_rq.cron import DjangoCronScheduler

from yuqing.audit.jobs import audit_verify_all


def test_rqcron_loads_the_nightly_audit_verification():
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("yuqing.cron")
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    job = jobs["yuqing.audit.jobs.audit_verify_all"]
    assert job.func is audit_verify_all
    assert job.cron == "30 2 * * *"
    assert job.queue_name in settings.RQ_QUEUES


def test_every_scheduled_job_goes_to_a_queue_the_worker_listens_on():
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("yuqing.cron")
    assert scheduler.get_jobs()
    assert all(job.queue_name in settings.RQ_QUEUES for job in scheduler.get_jobs())
