"""`check --deploy` is clean in production mode, and a missing CJK font is reported by `check`."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "YUQING_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    production = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "yq.example.cn",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://yq.example.cn",
        "DATABASE_URL": "postgres://yuqing@db.internal:5432/yuqing",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "YUQING_AUDIT_KEYS": secrets.token_urlsafe(32),
    }
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_warns_when_no_chinese_font_is_installed(tmp_path):
    # A fontconfig configuration with no font directories: fc-list finds nothing.
    fonts_conf = tmp_path / "fonts.conf"
    fonts_conf.write_text(f"<fontconfig><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>")
    result = manage("check", env={"FONTCONFIG_FILE": str(fonts_conf)}, tmp_path=tmp_path)
    assert "yuqing.W002" in result.stderr + result.stdout


def test_check_is_quiet_when_a_chinese_font_is_installed(tmp_path):
    result = manage("check", env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "yuqing.W00" not in result.stderr + result.stdout
