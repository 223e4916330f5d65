"""`manage.py runall` runs web, worker and cron on an embedded Redis, restarts a child that dies,
and stops them all together.

These start real processes (about ten seconds each), with SQLite and Redis under a temp folder.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq import Worker
from rq.cron import CronScheduler

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {condition}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Running:
    def __init__(self, process: subprocess.Popen, port: int, var_dir: Path, log: Path) -> None:
        self.process, self.port, self.var_dir, self.log = process, port, var_dir, log
        self.redis = redis.Redis(unix_socket_path=str(var_dir / "redis.sock"))

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _runall(tmp_path: Path, *args: str) -> Iterator[Running]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_URL"))}
    # Unbuffered, so the log file shows each line as runall writes it.
    env |= {"YUQING_VAR_DIR": str(tmp_path), "YUQING_PORT": str(port), "WEB_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "runall.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runall", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    run = Running(process, port, tmp_path, log)
    try:
        # The banner comes once every child has started: from then on a death is restarted, while
        # one before it (a child that cannot start) stops everything.
        wait_for(lambda: "按 Ctrl-C 停止。" in run.output() or process.poll() is not None, 60)
        assert process.poll() is None, run.output()
        # Started is not yet serving: a loaded machine (the suite on every core) takes a while to
        # answer its first request, and no answer at all within the minute is the failure.
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthz"), 60)
        assert len(Worker.all(connection=run.redis)) >= 3 and CronScheduler.all(connection=run.redis)
        yield run
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    yield from _runall(tmp_path)


@pytest.fixture
def running_fragile(tmp_path: Path) -> Iterator[Running]:
    """Gives up after one restart a minute."""
    yield from _runall(tmp_path, "--max-restarts", "1")


def _workers(redis) -> dict[str, Worker]:
    """The forking worker, the scorer (a worker that keeps tenants' scoring engines warm) and the feed poller."""
    names = {("scoring",): "scorer", ("feeds",): "feeds"}
    return {names.get(tuple(w.queue_names()), "worker"): w for w in Worker.all(connection=redis)}


def test_it_serves_the_portal_with_workers_for_every_queue_and_one_cron_scheduler(running):
    assert answers(f"http://127.0.0.1:{running.port}/healthz")
    workers = _workers(running.redis)
    assert set(workers["worker"].queue_names()) == {"default", "notify", "reports"}  # not feeds
    assert workers["scorer"].queue_names() == ["scoring"]
    # Feed polls wait on outside servers: their own worker, never in the way of the SLA sweep on default.
    assert workers["feeds"].queue_names() == ["feeds"]
    (cron,) = CronScheduler.all(connection=running.redis)
    assert "yuqing.audit.jobs.audit_verify_all" in [job.func_name for job in cron.get_jobs()]


def test_ctrl_c_stops_every_process(running):
    workers = _workers(running.redis)
    worker, scorer, feeds = workers["worker"], workers["scorer"], workers["feeds"]
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=40) == 0
    output = running.output()
    assert "全部进程已停止" in output
    assert not answers(f"http://127.0.0.1:{running.port}/healthz")
    assert not Path(f"/proc/{worker.pid}").exists()
    assert not Path(f"/proc/{scorer.pid}").exists()
    assert not Path(f"/proc/{feeds.pid}").exists()
    assert not (running.var_dir / "redis.sock").exists()


def _forking_worker_pids(redis) -> set[int]:
    return {w.pid for w in Worker.all(connection=redis) if w.queue_names() != ["scoring"]}


def _kill_the_worker_and_wait_for_its_successor(running: Running, worker_pid: int) -> int:
    # A SIGKILLed worker cannot unregister: its entry stays in Redis, so look for a new pid.
    known = _forking_worker_pids(running.redis)
    os.kill(worker_pid, signal.SIGKILL)

    def successor_or_stopped() -> bool:
        # Once runall stops, its embedded Redis is gone: only runall's own output can say why.
        try:
            return running.process.poll() is not None or bool(_forking_worker_pids(running.redis) - known)
        except redis.exceptions.ConnectionError:
            return running.process.wait(timeout=40) is not None

    wait_for(successor_or_stopped, 40)
    assert running.process.poll() is None, running.output()
    (successor,) = _forking_worker_pids(running.redis) - known
    return successor


def test_a_worker_that_dies_is_restarted_and_the_log_says_which_and_how(running):
    worker = _workers(running.redis)["worker"]
    successor = _kill_the_worker_and_wait_for_its_successor(running, worker.pid)
    assert successor != worker.pid
    assert answers(f"http://127.0.0.1:{running.port}/healthz")

    # Ctrl-C still stops everything, the restarted worker included.
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=40) == 0
    output = running.output()
    assert "worker 进程已退出（信号 SIGKILL），1 秒后重启。" in output
    assert "worker 进程已重启" in output
    assert "全部进程已停止" in output
    assert not Path(f"/proc/{successor}").exists()
    assert not answers(f"http://127.0.0.1:{running.port}/healthz")


def test_a_child_that_keeps_dying_stops_everything_and_it_exits_non_zero(running_fragile):
    running = running_fragile
    first = _workers(running.redis)["worker"]
    successor = _kill_the_worker_and_wait_for_its_successor(running, first.pid)
    os.kill(successor, signal.SIGKILL)
    assert running.process.wait(timeout=40) != 0
    output = running.output()
    assert "worker 进程已退出（信号 SIGKILL），60 秒内已重启 1 次，不再重启。" in output
    assert not answers(f"http://127.0.0.1:{running.port}/healthz")
    assert not (running.var_dir / "redis.sock").exists()


def test_a_busy_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
        result = subprocess.run(
            [sys.executable, "manage.py", "runall", "--port", str(port)],
            cwd=ROOT,
            env={**env, "YUQING_VAR_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert "端口被占用" in result.stderr
    assert not (tmp_path / "redis.sock").exists()
