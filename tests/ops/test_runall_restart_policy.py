"""runall's restart policy: a doubling back-off per child, and giving up in a restart storm."""

from yuqing.tenancy.management.commands.runall import RestartPolicy, describe_exit


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
