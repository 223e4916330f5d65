"""Run the whole system in the foreground: web server, RQ worker and RQ cron (and, when REDIS_URL
is unset, the embedded Redis they share). For one machine and for development; production runs
each part under its own supervisor (README, "Production").

The web server is gunicorn in both modes, so what a developer runs is what production runs;
whitenoise serves the static files. `--reload` restarts it when code changes.

Each child runs in its own session, so Ctrl-C reaches only this process, which then stops the
children in order (web, cron and worker first, Redis last). Children die with this process even if
it is killed.

A child that exits while the system runs is restarted, after a back-off that doubles with each
recent restart of that child (1 s, 2 s, 4 s … at most 30 s), and the log names it and its exit
status. A child that keeps dying (more than --max-restarts restarts within a minute) is a fault no
restart cures: then everything is stopped and the command exits non-zero. A child that exits
while starting (a bad configuration, a port taken) stops everything at once, without retrying.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from types import FrameType
from typing import IO, Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.translation import gettext as _

from yuqing.platform.demo_run import demo_logins_text, listen_address, portal_url

STOP_TIMEOUT_SECONDS = 20
READY_TIMEOUT_SECONDS = 60
RESTART_WINDOW_SECONDS = 60
DEFAULT_MAX_RESTARTS = 5
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0


# Loaded here, not in the forked child: between fork and exec the child only makes one call.
_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM when runall dies, even by SIGKILL (Linux)."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    """One supervised process; its output is copied line by line with its name in front."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], write: Callable[[str], None]) -> None:
        self.name, self.argv, self.env, self.write = name, argv, env, write
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self._copier = threading.Thread(target=self._copy, args=(self.process.stdout, write), daemon=True)
        self._copier.start()

    def _copy(self, stream: IO[bytes], write: Callable[[str], None]) -> None:
        for raw in iter(stream.readline, b""):
            write(f"{self.name:<6} | {raw.decode('utf-8', 'replace').rstrip()}")

    @property
    def exit_code(self) -> int | None:
        return self.process.poll()

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        # The whole session: gunicorn's and rqworker's own children too.
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def respawn(self) -> Child:
        """The same command started afresh."""
        return Child(self.name, self.argv, self.env, self.write)

    def kill_leftovers(self) -> None:
        """After the child itself exited: what it started (gunicorn's workers, a work horse) goes too,
        so the restarted one finds the port free and no job runs twice."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._copier.join(timeout=2)

    def wait(self, deadline: float) -> None:
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()
        self._copier.join(timeout=2)


def describe_exit(code: int | None) -> str:
    """`状态 1`, or the signal that ended it: `信号 SIGKILL`."""
    if code is not None and code < 0:
        try:
            return _("信号 %(signal)s") % {"signal": signal.Signals(-code).name}
        except ValueError:
            pass
    return _("状态 %(code)s") % {"code": code}


class RestartPolicy:
    """When to restart a child that exited: after a doubling back-off, or not at all in a storm.

    `after_exit` is told each exit (with a monotonic time) and answers the delay before the restart,
    or None once the child has already been restarted `max_restarts` times within the window.
    """

    def __init__(
        self,
        *,
        max_restarts: int = DEFAULT_MAX_RESTARTS,
        window: float = RESTART_WINDOW_SECONDS,
        first_delay: float = BACKOFF_FIRST_SECONDS,
        max_delay: float = BACKOFF_MAX_SECONDS,
    ) -> None:
        self.max_restarts, self.window = max_restarts, window
        self.first_delay, self.max_delay = first_delay, max_delay
        self._restarts: dict[str, deque[float]] = {}

    def after_exit(self, name: str, now: float) -> float | None:
        restarts = self._restarts.setdefault(name, deque())
        while restarts and now - restarts[0] > self.window:
            restarts.popleft()
        if len(restarts) >= self.max_restarts:
            return None
        delay = min(self.max_delay, self.first_delay * 2 ** len(restarts))
        restarts.append(now)
        return delay


class Command(BaseCommand):
    help = (
        "在前台同时运行 web 服务器（gunicorn）、RQ worker 和 RQ cron；未设置 REDIS_URL 时先启动内嵌的"
        " Redis 兼容服务器。Ctrl-C 停止全部进程；运行中退出的进程会在退避后重启，"
        "一分钟内重启过多则停止全部进程并以非零状态退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        host, port = listen_address()
        parser.add_argument("--host", default=host, help="监听地址（默认取 YUQING_HOST，否则 127.0.0.1）")
        parser.add_argument("--port", type=int, default=port, help="监听端口（默认取 YUQING_PORT，否则 8000）")
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY") or 2),
            help="gunicorn 进程数（默认取 WEB_CONCURRENCY，否则 2）",
        )
        parser.add_argument("--reload", action="store_true", help="代码变更时自动重启 web 服务器（开发用）")
        parser.add_argument("--seed-demo", action="store_true", help="Redis 就绪后载入演示数据并在启动后打印演示账号")
        parser.add_argument(
            "--max-restarts",
            type=int,
            default=DEFAULT_MAX_RESTARTS,
            help="同一进程一分钟内最多重启几次，超过则停止全部进程（默认 %(default)s；0 表示不重启）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        self._check_port_free(host, port)
        self._lock = threading.Lock()
        self._stop_signal: int | None = None
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)

        embedded = not os.environ.get("REDIS_URL")
        children: list[Child] = []
        try:
            failed = self._start_all(children, host, port, embedded=embedded, options=options)
            if failed is None and self._stop_signal is None:
                self._print_banner(host, port, embedded, options["seed_demo"])
                failed = self._supervise(children, RestartPolicy(max_restarts=options["max_restarts"]))
        finally:
            self._stop(children)
        if failed is not None:
            raise CommandError(
                _("%(name)s 进程已退出（%(status)s），其余进程已停止。")
                % {"name": failed.name, "status": describe_exit(failed.exit_code)}
            )
        self._write(_("全部进程已停止。"))

    # --- starting

    def _start_all(
        self, children: list[Child], host: str, port: int, *, embedded: bool, options: dict[str, Any]
    ) -> Child | None:
        """Start everything in order, each part once the one before answers.

        Returns the child that exited while starting, if one did; returns early on Ctrl-C.
        """
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if embedded:
            env["REDIS_URL"] = settings.REDIS_URL
            children.append(self._start("redis", ["embedded_redis"], env))
            failed = self._wait_until(lambda: _redis_answers(settings.REDIS_URL), children, _("内嵌 Redis"))
            if failed is not None or self._stop_signal is not None:
                return failed
        if options["seed_demo"]:
            call_command("seed_demo", no_logins=True)
            connections.close_all()
        web = self._start("web", self._web_argv(host, port, options), env, python_module=True)
        worker = self._start("worker", ["rqworker", *_forking_queues(), "--with-scheduler"], env)
        # Scoring keeps each tenant's segmenter and sentiment model warm in memory (seconds to build
        # for a large tenant), so it runs in a worker that does not fork a fresh process per job.
        scorer = self._start("scorer", ["rqworker", *SCORING_QUEUES, "--worker-class", "rq.worker.SimpleWorker"], env)
        # Feed polls wait on other people's servers: their own worker, so they never delay the SLA sweep.
        feeds = self._start("feeds", ["rqworker", *FEED_QUEUES], env)
        cron = self._start("cron", ["rqcron", "yuqing.cron"], env)
        children += [web, worker, scorer, feeds, cron]
        failed = self._wait_until(lambda: _port_answers(host, port), children, _("web 服务器"))
        if failed is not None or self._stop_signal is not None:
            return failed
        return self._wait_until(
            lambda: _registered_in_redis([worker.process.pid, scorer.process.pid, feeds.process.pid], cron.process.pid),
            children,
            _("worker 与 cron"),
        )

    def _check_port_free(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                raise CommandError(
                    _("无法监听 %(host)s:%(port)s（%(error)s）。端口被占用时，用 --port 或 YUQING_PORT 换一个。")
                    % {"host": host, "port": port, "error": error.strerror}
                ) from error

    def _web_argv(self, host: str, port: int, options: dict[str, Any]) -> list[str]:
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        argv = ["gunicorn", "yuqing.wsgi", "--bind", bind, "--workers", str(options["workers"])]
        argv += ["--worker-class", "gthread", "--threads", "4", "--graceful-timeout", "10", "--access-logfile", "-"]
        # No gunicornc control socket: nothing here uses it, and its default path is shared per user.
        argv.append("--no-control-socket")
        if options["reload"]:
            argv.append("--reload")
        return argv

    def _start(self, name: str, argv: list[str], env: dict[str, str], *, python_module: bool = False) -> Child:
        prefix = [sys.executable, "-m"] if python_module else [sys.executable, str(settings.BASE_DIR / "manage.py")]
        return Child(name, prefix + argv, env, self._write)

    def _wait_until(self, ready: Callable[[], bool], children: list[Child], what: str) -> Child | None:
        """Wait until `ready()`; the child that exited meanwhile, if any. Raise on time-out."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while self._stop_signal is None:
            dead = next((child for child in children if child.exit_code is not None), None)
            if dead is not None:
                return dead
            if ready():
                return None
            if time.monotonic() > deadline:
                raise CommandError(
                    _("%(what)s 在 %(seconds)d 秒内未就绪。") % {"what": what, "seconds": READY_TIMEOUT_SECONDS}
                )
            time.sleep(0.2)
        return None

    def _print_banner(self, host: str, port: int, embedded: bool, seeded: bool) -> None:
        redis = _("内嵌（%(url)s）") % {"url": settings.REDIS_URL} if embedded else os.environ["REDIS_URL"]
        lines = [
            "",
            self.style.SUCCESS(_("舆情处置系统已启动：%(url)s") % {"url": portal_url(host, port)}),
            _("  web：gunicorn · worker：rqworker %(queues)s · 评分：rqworker %(scoring)s · cron：rqcron yuqing.cron")
            % {"queues": " ".join(_forking_queues()), "scoring": " ".join(SCORING_QUEUES)},
            _("  订阅抓取：rqworker %(feeds)s") % {"feeds": " ".join(FEED_QUEUES)},
            _("  Redis：%(redis)s") % {"redis": redis},
        ]
        if seeded:
            lines.append(demo_logins_text())
        lines += [_("按 Ctrl-C 停止。"), ""]
        self._write("\n".join(lines))

    # --- running and stopping

    def _supervise(self, children: list[Child], policy: RestartPolicy) -> Child | None:
        """Restart children that exit, each after its back-off, until Ctrl-C / SIGTERM.

        Returns the child that kept dying (the restart storm), or None when asked to stop. The list
        is updated in place, so stopping reaches the restarted processes.
        """
        due: dict[int, float] = {}  # index in children -> when its restart is due
        while self._stop_signal is None:
            now = time.monotonic()
            for index, child in enumerate(children):
                if index in due or child.exit_code is None:
                    continue
                child.kill_leftovers()
                delay = policy.after_exit(child.name, now)
                if delay is None:
                    self._write(
                        _("%(name)s 进程已退出（%(status)s），%(seconds)d 秒内已重启 %(count)d 次，不再重启。")
                        % {
                            "name": child.name,
                            "status": describe_exit(child.exit_code),
                            "seconds": policy.window,
                            "count": policy.max_restarts,
                        }
                    )
                    return child
                self._write(
                    _("%(name)s 进程已退出（%(status)s），%(delay)g 秒后重启。")
                    % {"name": child.name, "status": describe_exit(child.exit_code), "delay": delay}
                )
                due[index] = now + delay
            for index, when in list(due.items()):
                if when <= now and self._stop_signal is None:
                    del due[index]
                    children[index] = children[index].respawn()
                    self._write(
                        _("%(name)s 进程已重启（pid %(pid)d）。")
                        % {"name": children[index].name, "pid": children[index].process.pid}
                    )
            time.sleep(0.2)
        return None

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stop_signal = signum

    def _stop(self, children: list[Child]) -> None:
        if not children:
            return
        self._write(_("正在停止……"))
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        # Redis goes last: the worker and cron say goodbye to it on their way out.
        redis = [child for child in children if child.name == "redis"]
        others = [child for child in children if child.name != "redis"]
        for group in (others, redis):
            for child in group:
                child.terminate()
            for child in group:
                child.wait(deadline if group is others else time.monotonic() + 10)

    def _write(self, text: str) -> None:
        with self._lock:
            self.stdout.write(text)
            self.stdout.flush()


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


SCORING_QUEUES = ("scoring",)
FEED_QUEUES = ("feeds",)


def _forking_queues() -> list[str]:
    return [name for name in settings.RQ_QUEUES if name not in SCORING_QUEUES + FEED_QUEUES]


def _registered_in_redis(worker_pids: list[int], cron_pid: int) -> bool:
    """All have announced themselves in Redis (by pid: a shared Redis may hold other hosts' too)."""
    import redis
    from django_rq import get_connection
    from rq import Worker
    from rq.cron import CronScheduler

    connection = get_connection("default")
    try:
        workers = Worker.all(connection=connection)
        schedulers = CronScheduler.all(connection=connection, cleanup=False)
    except (redis.RedisError, OSError):
        return False
    pids = {w.pid for w in workers}
    return all(pid in pids for pid in worker_pids) and any(c.pid == cron_pid for c in schedulers)


def _port_answers(host: str, port: int) -> bool:
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - connecting to ourselves
        host = "127.0.0.1"
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
