"""`manage.py check`: production needs an audit key of its own, and no key may be guessable."""

from __future__ import annotations

from django.core.checks import run_checks


def _audit_ids(*, deploy: bool) -> list[str]:
    return [message.id for message in run_checks(include_deployment_checks=deploy) if message.id.startswith("audit.")]


def test_production_without_an_audit_key_fails_check_deploy(settings) -> None:
    settings.DEBUG = False
    settings.AUDIT_KEYS = []

    assert _audit_ids(deploy=True) == ["audit.E001"]
    assert _audit_ids(deploy=False) == []  # development derives one: nothing to say there


def test_production_with_an_audit_key_passes(settings) -> None:
    settings.DEBUG = False
    settings.AUDIT_KEYS = ["Vx3-a-long-enough-production-audit-key-01"]

    assert _audit_ids(deploy=True) == []


def test_development_needs_no_audit_key(settings) -> None:
    settings.DEBUG = True
    settings.AUDIT_KEYS = []

    assert _audit_ids(deploy=True) == []


def test_a_short_audit_key_is_an_error_wherever_it_runs(settings) -> None:
    settings.AUDIT_KEYS = ["Vx3-a-long-enough-production-audit-key-01", "short"]

    messages = [message for message in run_checks() if message.id == "audit.E002"]

    assert len(messages) == 1
    assert "第 2 个密钥" in messages[0].msg
