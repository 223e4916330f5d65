"""Fixtures of the delivery tests: a local robot server, Redis for RQ and the rate limits, channels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone

from tests.notify.robot_server import RobotServer
from yuqing.notify.models import Channel
from yuqing.notify.services import ChannelData, channel_create
from yuqing.tenancy.models import Tenant


@pytest.fixture
def robot_server(settings) -> Iterator[RobotServer]:
    settings.NOTIFY_ALLOW_INSECURE_WEBHOOKS = True  # the stand-in speaks http on 127.0.0.1
    server = RobotServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_channel(robot_server: RobotServer, rq_queues):
    """make_channel(tenant, kind, **ChannelData fields): a channel made by the service (actor: the platform)."""

    def make(tenant: Tenant, kind: str, **fields: object) -> Channel:
        if kind in ("wecom", "dingtalk", "feishu"):
            fields.setdefault("webhook_url", robot_server.url(kind))
        fields.setdefault("name", f"{kind} 渠道 {Channel.objects.for_tenant(tenant).count() + 1}")
        return channel_create(tenant=tenant, actor=None, data=ChannelData(kind=kind, **fields))

    return make


@pytest.fixture
def later() -> dt.datetime:
    """A moment an hour ahead at 5 s past a minute: every row made now is due, and no test straddles a minute."""
    return (timezone.now() + dt.timedelta(hours=1)).replace(second=5, microsecond=0)
