"""runall's restart policy and supervisor loop: a doubling back-off per child, giving up in a storm."""

import signal

from yuqing.platform.management.commands.runall import Command, RestartPolicy, describe_exit


def test_each_restart_of_a_child_waits_twice_as_long_as_the_one_before():
    policy = RestartPolicy(max_restarts=10, first_delay=1, max_delay=30)
    assert [policy.after_exit("worker", now) for now in (0, 1, 3, 7, 15, 31)] == [1, 2, 4, 8, 16, 30]


def test_children_have_their_own_back_off():
    policy = RestartPolicy()
    assert policy.after_exit("worker", 0) == 1
    assert policy.after_exit("web", 0.5) == 1
    assert policy.after_exit("worker", 2) == 2


def test_past_the_limit_within_a_minute_it_gives_up():
    policy = RestartPolicy(max_restarts=3, window=60)
    assert [policy.after_exit("cron", now) for now in (0, 10, 20)] == [1, 2, 4]
    assert policy.after_exit("cron", 30) is None


def test_restarts_older_than_the_window_are_forgotten():
    policy = RestartPolicy(max_restarts=2, window=60)
    assert policy.after_exit("cron", 0) == 1
    assert policy.after_exit("cron", 30) == 2
    # The first restart is now more than a minute old: one recent restart, so 2 s and allowed.
    assert policy.after_exit("cron", 61) == 2
    assert policy.after_exit("cron", 62) is None


def test_zero_max_restarts_never_restarts():
    assert RestartPolicy(max_restarts=0).after_exit("web", 0) is None


def test_the_exit_is_described_by_status_or_signal():
    assert describe_exit(1) == "状态 1"
    assert describe_exit(-9) == "信号 SIGKILL"
    assert describe_exit(-15) == "信号 SIGTERM"
    assert describe_exit(-200) == "状态 -200"


# --- the supervisor loop, with stand-in processes (the real ones: test_runall.py)


class FakeChild:
    """A child that has exited with `code` (None: still running); respawns as `next_code`."""

    def __init__(self, name: str, code: int | None, next_code: int | None, log: list[str]) -> None:
        self.name, self.code, self.next_code, self.log = name, code, next_code, log
        self.process = type("P", (), {"pid": 4242})()

    @property
    def exit_code(self) -> int | None:
        return self.code

    def kill_leftovers(self) -> None:
        self.log.append(f"cleanup {self.name}")

    def respawn(self) -> "FakeChild":
        self.log.append(f"respawn {self.name}")
        return FakeChild(self.name, self.next_code, self.next_code, self.log)


def _command(lines: list[str], stop_when: str | None = None) -> Command:
    command = Command()
    command._stop_signal = None

    def write(text: str) -> None:
        lines.append(text)
        if stop_when and stop_when in text:
            command._stop_signal = signal.SIGTERM

    command._write = write
    return command


def test_the_loop_restarts_the_dead_child_and_keeps_the_others():
    log: list[str] = []
    lines: list[str] = []
    web, worker = FakeChild("web", None, None, log), FakeChild("worker", 1, None, log)
    children = [web, worker]
    command = _command(lines, stop_when="已重启")
    assert command._supervise(children, RestartPolicy(first_delay=0.01)) is None
    assert children[0] is web and children[1] is not worker and children[1].exit_code is None
    assert log == ["cleanup worker", "respawn worker"]
    assert lines[0] == "worker 进程已退出（状态 1），0.01 秒后重启。"


def test_a_stop_during_the_back_off_restarts_nothing():
    log: list[str] = []
    lines: list[str] = []
    command = _command(lines, stop_when="秒后重启")
    assert command._supervise([FakeChild("cron", -9, None, log)], RestartPolicy(first_delay=30)) is None
    assert log == ["cleanup cron"]
    assert lines == ["cron 进程已退出（信号 SIGKILL），30 秒后重启。"]


def test_a_restart_storm_returns_the_child_that_keeps_dying():
    log: list[str] = []
    lines: list[str] = []
    children = [FakeChild("redis", 1, 1, log)]
    failed = _command(lines)._supervise(children, RestartPolicy(max_restarts=2, first_delay=0.01))
    assert failed is children[0] and failed.name == "redis"
    assert log.count("respawn redis") == 2
    assert lines[-1] == "redis 进程已退出（状态 1），60 秒内已重启 2 次，不再重启。"
