"""Stories and warnings: grouping, one warning per story, upgrades, the customer-service queue, incidents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import Customer
from incidents.models import Incident, Phase, Severity, TimelineEntry
from tests.monitoring.warnings_support import (
    channel_calls_fixture,  # noqa: F401 -- the channel_calls fixture
    cs_member,
    customer,
    duty_member,
    scored,
)
from yuqing.monitoring.models import Level, Mention, RiskWarning, Story, WarningChange, WarningPolicy
from yuqing.monitoring.services.warnings import warnings_process
from yuqing.notify.models import Notification
from yuqing.tenancy.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("channel_calls")]

DEBT_TEXT = "听说{name}的项目已经逾期三个月了，工地停工，供应商上门讨薪，大家小心，投资款可能拿不回来。"


def process(tenant, *mentions: Mention) -> list[RiskWarning]:
    return warnings_process(tenant=tenant, mentions=list(mentions))


def story_of(mention: Mention) -> Story:
    mention.refresh_from_db()
    return mention.story


def warning_of(tenant, story: Story) -> RiskWarning:
    return RiskWarning.objects.for_tenant(tenant).get(story=story)


def customers_of(tenant, **lookup) -> list[Customer]:
    return list(Customer.objects.for_tenant(tenant).filter(**lookup).order_by("pk"))


def changes_of(tenant, warning: RiskWarning) -> list[WarningChange]:
    return list(WarningChange.objects.for_tenant(tenant).filter(warning=warning).order_by("at", "pk"))


def notified(tenant, membership) -> list[Notification]:
    return list(Notification.objects.for_tenant(tenant).filter(recipient=membership).order_by("pk"))


# ---------------------------------------------------------------------------------------- grouping


def test_same_customer_and_term_within_the_window_join_one_story(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    first = scored(
        tenant_a,
        customers=[acme],
        terms=[("逾期", "违约")],
        score=45,
        published_at=timezone.now() - dt.timedelta(hours=30),
    )
    second = scored(tenant_a, customers=[acme], terms=[("逾期", "违约"), ("催收", "催收")], score=50)
    process(tenant_a, first)
    process(tenant_a, second)
    story = story_of(first)
    assert story_of(second) == story
    assert story.mention_count == 2
    assert story.top_score == 50
    assert customers_of(tenant_a, stories=story) == [acme]
    assert story.signature["customers"] == [acme.pk]
    assert story.signature["terms"][0] == "逾期"
    assert (story.first_seen_at, story.last_seen_at) == (first.published_at, second.published_at)


def test_same_customer_and_term_category_join_one_story(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    first = scored(tenant_a, customers=[acme], terms=[("逾期", "违约")])
    second = scored(tenant_a, customers=[acme], terms=[("违约", "违约")])
    process(tenant_a, first, second)
    assert story_of(first) == story_of(second)


def test_a_mention_outside_the_window_starts_a_new_story(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    early = scored(tenant_a, customers=[acme], published_at=timezone.now() - dt.timedelta(hours=50))
    late = scored(tenant_a, customers=[acme])
    process(tenant_a, early)
    process(tenant_a, late)
    assert story_of(early) != story_of(late)


def test_the_window_follows_the_tenants_policy(tenant_a) -> None:
    WarningPolicy.objects.create(tenant=tenant_a, story_window_hours=72)
    acme = customer(tenant_a, "华信置业有限公司")
    early = scored(tenant_a, customers=[acme], published_at=timezone.now() - dt.timedelta(hours=50))
    late = scored(tenant_a, customers=[acme])
    process(tenant_a, early)
    process(tenant_a, late)
    assert story_of(early) == story_of(late)


def test_a_near_duplicate_text_joins_without_a_shared_customer(tenant_a) -> None:
    original = scored(tenant_a, body=DEBT_TEXT.format(name="某地产"), terms=[])
    repost = scored(tenant_a, title="转发", body="转：" + DEBT_TEXT.format(name="某地产") + " 速看！", terms=[])
    process(tenant_a, original)
    process(tenant_a, repost)
    assert story_of(original) == story_of(repost)


def test_near_duplicates_are_found_among_many_stories_sharing_stock_phrases(tenant_a) -> None:
    noise = [scored(tenant_a, terms=[]) for _ in range(150)]  # "网友反映…号项目的情况，内容各不相同…"
    process(tenant_a, *noise)
    original = scored(tenant_a, body=DEBT_TEXT.format(name="某地产") + "网友反映项目的情况", terms=[])
    process(tenant_a, original)
    reposts = [
        scored(tenant_a, body="转发：" + DEBT_TEXT.format(name="某地产") + "网友反映项目的情况", terms=[]),
        scored(tenant_a, body=DEBT_TEXT.format(name="某地产").replace("三个月", "3个月") + "@理财圈", terms=[]),
    ]
    process(tenant_a, *reposts)
    assert {story_of(m).pk for m in (original, *reposts)} == {story_of(original).pk}
    assert len({story_of(m).pk for m in noise}) == 150


def test_unrelated_mentions_start_their_own_stories(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    other = customer(tenant_a, "远景能源有限公司")
    first = scored(tenant_a, customers=[acme], terms=[("逾期", "违约")])
    same_customer_other_topic = scored(tenant_a, customers=[acme], terms=[("处罚", "监管")])
    other_customer = scored(tenant_a, customers=[other], terms=[("逾期", "违约")])
    no_customer = scored(tenant_a, terms=[("逾期", "违约")])
    process(tenant_a, first, same_customer_other_topic, other_customer, no_customer)
    stories = {story_of(m).pk for m in (first, same_customer_other_topic, other_customer, no_customer)}
    assert len(stories) == 4


def test_a_new_story_is_titled_by_the_mention(tenant_a) -> None:
    titled = scored(tenant_a, title="网传某项目烂尾")
    untitled = scored(tenant_a, body="　\n" + "这是一段很长的正文，" * 10)
    process(tenant_a, titled, untitled)
    assert story_of(titled).title == "网传某项目烂尾"
    assert story_of(untitled).title == ("这是一段很长的正文，" * 4)[:40]


def test_excluded_and_unscored_mentions_are_left_alone(tenant_a) -> None:
    excluded = scored(tenant_a, score=0, level=None, excluded=True)
    pending = scored(tenant_a)
    Mention.objects.for_tenant(tenant_a).filter(pk=pending.pk).update(status=Mention.Status.PENDING)
    assert process(tenant_a, excluded, pending) == []
    assert story_of(excluded) is None
    assert story_of(pending) is None


def test_it_never_joins_another_tenants_story(tenant_a, tenant_b) -> None:
    text = DEBT_TEXT.format(name="某地产")
    theirs = scored(tenant_b, body=text, score=75)
    process(tenant_b, theirs)
    ours = scored(tenant_a, body=text, score=75)
    process(tenant_a, ours)
    assert story_of(ours) != story_of(theirs)
    assert story_of(ours).tenant_id == tenant_a.pk
    assert story_of(theirs).mention_count == 1
    # A mention of another tenant passed by mistake is ignored.
    assert process(tenant_a, scored(tenant_b, score=90)) == []
    assert RiskWarning.objects.for_tenant(tenant_b).count() == 1


# --------------------------------------------------------------------------------------- warnings


def test_mentions_below_blue_join_stories_but_never_raise_a_warning(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    quiet = [scored(tenant_a, customers=[acme], score=20) for _ in range(3)]
    assert process(tenant_a, *quiet) == []
    story = story_of(quiet[0])
    assert story.mention_count == 3
    assert not RiskWarning.objects.for_tenant(tenant_a).exists()
    loud = scored(tenant_a, customers=[acme], score=45)
    [warning] = process(tenant_a, loud)
    assert warning.story == story
    assert warning.level == Level.BLUE


def test_a_burst_of_50_mentions_raises_one_warning(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    cs = cs_member(tenant_a, "cs1")
    burst = [scored(tenant_a, customers=[acme], score=58) for _ in range(50)]
    process(tenant_a, *burst[:20])
    for mention in burst[20:]:
        process(tenant_a, mention)
    assert Story.objects.for_tenant(tenant_a).count() == 1
    assert RiskWarning.objects.for_tenant(tenant_a).count() == 1
    warning = RiskWarning.objects.for_tenant(tenant_a).get()
    assert warning.story.mention_count == 50
    assert WarningChange.objects.for_tenant(tenant_a).count() == 1
    assert len(notified(tenant_a, cs)) == 1


def test_processing_a_mention_again_counts_it_once(tenant_a) -> None:
    mention = scored(tenant_a, score=60)
    process(tenant_a, mention)
    process(tenant_a, mention)
    story = story_of(mention)
    assert story.mention_count == 1
    assert WarningChange.objects.for_tenant(tenant_a).count() == 1


def test_a_warning_is_raised_with_its_first_change(tenant_a) -> None:
    mention = scored(tenant_a, score=60)
    [warning] = process(tenant_a, mention)
    assert (warning.level, warning.peak_level, warning.score) == (Level.YELLOW, Level.YELLOW, 60)
    assert warning.queue == RiskWarning.Queue.CUSTOMER_SERVICE
    assert warning.status == RiskWarning.Status.OPEN
    assert warning.trigger == mention
    [change] = changes_of(tenant_a, warning)
    assert (change.from_level, change.to_level, change.mention) == (None, Level.YELLOW, mention)


def test_an_upgrade_records_a_change_and_notifies_once_per_level(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    cs = cs_member(tenant_a, "cs1")
    process(tenant_a, scored(tenant_a, customers=[acme], score=45))
    process(tenant_a, scored(tenant_a, customers=[acme], score=42))
    process(tenant_a, scored(tenant_a, customers=[acme], score=60))
    process(tenant_a, scored(tenant_a, customers=[acme], score=58))
    process(tenant_a, scored(tenant_a, customers=[acme], score=41))  # never downgraded automatically
    warning = RiskWarning.objects.for_tenant(tenant_a).get()
    assert (warning.level, warning.peak_level, warning.score) == (Level.YELLOW, Level.YELLOW, 60)
    changes = [(c.from_level, c.to_level) for c in changes_of(tenant_a, warning)]
    assert changes == [(None, Level.BLUE), (Level.BLUE, Level.YELLOW)]
    titles = [n.title for n in notified(tenant_a, cs)]
    assert len(titles) == 2
    assert titles[0].startswith("【蓝色预警】") and titles[1].startswith("【黄色预警】")
    assert {n.kind for n in notified(tenant_a, cs)} == {Notification.Kind.WARNING}


def test_blue_and_yellow_notify_the_customer_service_department(tenant_a) -> None:
    cs_handler = cs_member(tenant_a, "cs1")
    cs_manager = cs_member(tenant_a, "cs2", Role.MANAGER)
    cs_viewer = cs_member(tenant_a, "cs3", Role.VIEWER)
    duty = duty_member(tenant_a, "duty1")
    [warning] = process(tenant_a, scored(tenant_a, score=45))
    assert warning.queue == RiskWarning.Queue.CUSTOMER_SERVICE
    assert len(notified(tenant_a, cs_handler)) == 1
    assert len(notified(tenant_a, cs_manager)) == 1
    assert notified(tenant_a, cs_viewer) == []
    assert notified(tenant_a, duty) == []
    assert not Incident.objects.for_tenant(tenant_a).exists()


def test_without_customer_service_members_the_duty_roster_hears_of_yellow(tenant_a) -> None:
    duty = duty_member(tenant_a, "duty1")
    process(tenant_a, scored(tenant_a, score=60))
    assert len(notified(tenant_a, duty)) == 1


def test_orange_opens_an_incident_of_severity_II_with_the_customers(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    duty = duty_member(tenant_a, "duty1")
    admin = duty_member(tenant_a, "duty2", Role.ADMIN)
    cs = cs_member(tenant_a, "cs1")
    mention = scored(tenant_a, title="华信置业项目逾期", customers=[acme], score=72, views=5000)
    [warning] = process(tenant_a, mention)
    assert (warning.level, warning.queue) == (Level.ORANGE, RiskWarning.Queue.INCIDENT)
    incident = warning.incident
    assert incident.severity == Severity.II
    assert customers_of(tenant_a, incidents=incident) == [acme]
    assert incident.title == "华信置业项目逾期"
    assert incident.estimated_reach == 5000
    assert incident.media_level == "self_media"
    assert "72" in incident.summary and "逾期" in incident.summary
    assert incident.created_by is None
    assert len(notified(tenant_a, duty)) == 1
    assert len(notified(tenant_a, admin)) == 1
    assert notified(tenant_a, cs) == []


def test_a_second_orange_mention_joins_the_same_incident(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    partner = customer(tenant_a, "华信建设有限公司")
    duty = duty_member(tenant_a, "duty1")
    [warning] = process(tenant_a, scored(tenant_a, customers=[acme], score=72))
    incident = warning.incident
    process(tenant_a, scored(tenant_a, customers=[acme, partner], score=75))
    assert Incident.objects.for_tenant(tenant_a).count() == 1
    warning.refresh_from_db()
    assert warning.incident == incident
    assert set(customers_of(tenant_a, incidents=incident)) == {acme, partner}
    notes = TimelineEntry.objects.for_tenant(tenant_a).filter(incident=incident, kind=TimelineEntry.Kind.NOTE)
    assert any("新增 1 条相关信息" in note.body for note in notes)
    assert len(notified(tenant_a, duty)) == 1


def test_red_on_an_open_orange_incident_raises_its_severity(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    duty = duty_member(tenant_a, "duty1")
    [warning] = process(tenant_a, scored(tenant_a, customers=[acme], score=72))
    [warning] = process(tenant_a, scored(tenant_a, customers=[acme], score=90))
    incident = Incident.objects.for_tenant(tenant_a).get()
    assert warning.incident == incident
    assert incident.severity == Severity.I
    assert (warning.level, warning.peak_level) == (Level.RED, Level.RED)
    assert [(c.from_level, c.to_level) for c in changes_of(tenant_a, warning)] == [
        (None, Level.ORANGE),
        (Level.ORANGE, Level.RED),
    ]
    assert len(notified(tenant_a, duty)) == 2  # once for orange, once for red


def test_a_closed_incident_is_followed_by_a_new_one(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    duty = duty_member(tenant_a, "duty1")
    [warning] = process(tenant_a, scored(tenant_a, customers=[acme], score=72))
    first = warning.incident
    Incident.objects.for_tenant(tenant_a).filter(pk=first.pk).update(phase=Phase.CLOSED)
    process(tenant_a, scored(tenant_a, customers=[acme], score=60))  # a yellow mention: no new incident
    assert Incident.objects.for_tenant(tenant_a).count() == 1
    [warning] = process(tenant_a, scored(tenant_a, customers=[acme], score=74))
    second = warning.incident
    assert second != first and second.is_open
    assert second.severity == Severity.II
    process(tenant_a, scored(tenant_a, customers=[acme], score=76))  # joins the new one
    [warning] = process(tenant_a, scored(tenant_a, customers=[acme], score=90))
    assert warning.incident == second
    second.refresh_from_db()
    assert second.severity == Severity.I
    assert Incident.objects.for_tenant(tenant_a).count() == 2
    assert len(notified(tenant_a, duty)) == 3  # orange (first), orange (second incident), red


def test_a_closed_warning_is_not_reopened_by_a_mention_of_its_level(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    [warning] = process(tenant_a, scored(tenant_a, customers=[acme], score=72))
    Incident.objects.for_tenant(tenant_a).filter(pk=warning.incident_id).update(phase=Phase.CLOSED)
    RiskWarning.objects.for_tenant(tenant_a).filter(pk=warning.pk).update(status=RiskWarning.Status.CLOSED)
    process(tenant_a, scored(tenant_a, customers=[acme], score=74))
    assert Incident.objects.for_tenant(tenant_a).count() == 1


def test_a_closed_warning_reopens_only_when_upgraded(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    [warning] = process(tenant_a, scored(tenant_a, customers=[acme], score=45))
    RiskWarning.objects.for_tenant(tenant_a).filter(pk=warning.pk).update(status=RiskWarning.Status.CLOSED)
    process(tenant_a, scored(tenant_a, customers=[acme], score=44))
    warning.refresh_from_db()
    assert warning.status == RiskWarning.Status.CLOSED
    process(tenant_a, scored(tenant_a, customers=[acme], score=60))
    warning.refresh_from_db()
    assert (warning.status, warning.level) == (RiskWarning.Status.OPEN, Level.YELLOW)


def test_one_batch_of_many_stories_raises_a_warning_each(tenant_a) -> None:
    customers = [customer(tenant_a, f"客户{n}有限公司") for n in range(5)]
    batch = [
        scored(tenant_a, customers=[c], score=45 + 10 * (n % 2)) for n, c in enumerate(customers) for _ in range(3)
    ]
    warnings = process(tenant_a, *batch)
    assert len(warnings) == 5
    assert Story.objects.for_tenant(tenant_a).count() == 5
    assert {w.story.mention_count for w in warnings} == {3}


def test_grouping_a_batch_takes_the_same_queries_for_30_or_90_stories(tenant_a) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count: int) -> int:
        customers = [customer(tenant_a, f"批量客户{count}-{n}有限公司") for n in range(count)]
        batch = [scored(tenant_a, customers=[c], score=20) for c in customers]
        batch += [scored(tenant_a, customers=[c], score=25) for c in customers]  # each joins its story
        with CaptureQueriesContext(connection) as captured:
            process(tenant_a, *batch)
        return len(captured.captured_queries)

    queries_for(3)  # the policy row is created once
    assert queries_for(30) == queries_for(90) < 20


# ------------------------------------------------------------------------------------ concurrency


@pytest.mark.postgres
def test_concurrent_workers_make_one_story_one_warning_one_incident(transactional_db) -> None:
    import threading

    from django.db import connection, connections

    from yuqing.tenancy.services import tenant_create

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    tenant = tenant_create(slug="busy-warnings", name="并发预警")
    acme = customer(tenant, "华信置业有限公司")
    workers = 6
    batches = [[scored(tenant, customers=[acme], score=72 + n) for _ in range(5)] for n in range(workers)]
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(batch: list[Mention]) -> None:
        try:
            start.wait()
            warnings_process(tenant=tenant, mentions=batch)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert Story.objects.for_tenant(tenant).count() == 1
    warning = RiskWarning.objects.for_tenant(tenant).get()
    assert warning.story.mention_count == 5 * workers
    assert Incident.objects.for_tenant(tenant).count() == 1
