"""Settings come from the environment, and production refuses to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    code = (
        f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='yuqing.settings'; django.setup(); "
        f"from django.conf import settings; print({expression})"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = _settings_in_subprocess({"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "yq.example.cn"}, "1")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_without_database_url_the_default_is_sqlite_under_var(tmp_path):
    result = _settings_in_subprocess({"YUQING_VAR_DIR": str(tmp_path)}, "settings.DATABASES['default']['NAME']")
    assert result.stdout.strip() == str(tmp_path / "yuqing.sqlite3")


def test_database_and_redis_urls_are_read_from_the_environment():
    result = _settings_in_subprocess(
        {"DATABASE_URL": "postgres://u:p@db.internal:5432/yq", "REDIS_URL": "redis://cache.internal:6379/2"},
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['HOST'], "
        "settings.RQ_QUEUES['default']['URL']",
    )
    # A connect timeout is added, so an unreachable Redis cannot hold a request for the OS default.
    assert result.stdout.strip() == (
        "yuqing.postgres db.internal redis://cache.internal:6379/2?socket_connect_timeout=2"
    )


def test_the_portal_speaks_chinese_in_shanghai_time_by_default():
    result = _settings_in_subprocess({}, "settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.USE_TZ")
    assert result.stdout.strip() == "zh-hans Asia/Shanghai True"
