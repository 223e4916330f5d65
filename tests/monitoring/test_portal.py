"""The monitoring portal: the stream and its filters, live updates, detail with the score explanation,
triage, the warnings board, the dashboard, manual entry and crawler upload, and the settings pages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.customers.factories import CustomerAliasFactory, CustomerFactory
from tests.factories import MembershipFactory, UserFactory
from tests.monitoring.portal_support import html, mention, source, warning
from yuqing.audit.models import AuditEvent
from yuqing.monitoring.models import (
    IngestToken,
    KeywordRule,
    Level,
    Mention,
    Polarity,
    RiskWarning,
    SentimentModel,
    Source,
    WarningPolicy,
)
from yuqing.monitoring.selectors.dashboard import monitoring_dashboard
from yuqing.monitoring.services.sources import source_create
from yuqing.monitoring.services.tokens import ingest_token_create
from yuqing.monitoring.services.triage import mention_triage
from yuqing.tenancy.models import Role

HTMX = {"HTTP_HX_REQUEST": "true"}


def ids(text: str, marker: str = "data-mention") -> list[int]:
    return [int(value) for value in re.findall(rf'{marker}="(\d+)"', text)]


def member_client(client_for, tenant, role: str, username: str):
    return client_for(MembershipFactory(tenant=tenant, user=UserFactory(username=username), role=role))


# ---------------------------------------------------------------- stream and filters


def test_the_stream_lists_the_tenants_mentions_newest_first(client_a, tenant_a, tenant_b):
    older = mention(tenant_a, published_at=timezone.now() - dt.timedelta(hours=3))
    newer = mention(tenant_a, published_at=timezone.now() - dt.timedelta(hours=1))
    mention(tenant_b)
    response = client_a.get(reverse("monitoring:mention-list"))
    assert response.status_code == 200
    assert ids(html(response)) == [newer.pk, older.pk]


def test_the_nav_links_to_the_stream(client_a):
    response = client_a.get(reverse("home"))
    assert f'href="{reverse("monitoring:mention-list")}"' in html(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"level": str(Level.RED)}, {"red"}),
        ({"level": "none"}, {"quiet"}),
        ({"q": "挤兑"}, {"red"}),
        ({"polarity": Polarity.POSITIVE}, {"quiet"}),
        ({"status": Mention.Status.PENDING}, {"pending"}),
    ],
)
def test_the_stream_filters_by_level_text_polarity_and_status(client_a, tenant_a, query, expected):
    rows = {
        "red": mention(tenant_a, level=Level.RED, score=90, body="某平台出现挤兑"),
        "yellow": mention(tenant_a, level=Level.YELLOW, score=58),
        "quiet": mention(tenant_a, level=None, score=10, polarity=Polarity.POSITIVE, body="服务很好"),
        "pending": mention(tenant_a, status=Mention.Status.PENDING, body="刚到的信息"),
    }
    response = client_a.get(reverse("monitoring:mention-list"), query)
    assert set(ids(html(response))) == {rows[name].pk for name in expected}


def test_an_analysts_polarity_label_wins_over_the_models(client_a, tenant_a):
    relabelled = mention(tenant_a, polarity=Polarity.NEGATIVE)
    Mention.objects.for_tenant(tenant_a).filter(pk=relabelled.pk).update(labelled_polarity=Polarity.NEUTRAL)
    mention(tenant_a, polarity=Polarity.NEGATIVE)
    response = client_a.get(reverse("monitoring:mention-list"), {"polarity": Polarity.NEUTRAL})
    assert ids(html(response)) == [relabelled.pk]


def test_the_stream_filters_by_source_and_customer(client_a, tenant_a):
    forum = source(tenant_a, "天涯论坛", Source.Kind.FORUM)
    customer = CustomerFactory(tenant=tenant_a, name="华信建设集团")
    on_forum = mention(tenant_a, source_row=forum)
    about_customer = mention(tenant_a, customers=[customer])
    mention(tenant_a)

    by_source = client_a.get(reverse("monitoring:mention-list"), {"source": forum.pk})
    assert ids(html(by_source)) == [on_forum.pk]
    by_customer = client_a.get(reverse("monitoring:mention-list"), {"customer": customer.pk})
    assert ids(html(by_customer)) == [about_customer.pk]
    # The chosen customer is the only option rendered; the rest come from the search.
    assert f'<option value="{customer.pk}" selected>华信建设集团</option>' in html(by_customer)


def test_the_stream_filters_by_published_date_in_the_tenants_days(client_a, tenant_a):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    inside = mention(tenant_a, published_at=dt.datetime(2026, 3, 9, 0, 30, tzinfo=shanghai))
    mention(tenant_a, published_at=dt.datetime(2026, 3, 8, 23, 30, tzinfo=shanghai))
    response = client_a.get(
        reverse("monitoring:mention-list"), {"published_from": "2026-03-09", "published_to": "2026-03-09"}
    )
    assert ids(html(response)) == [inside.pk]


def test_a_reversed_date_range_is_a_chinese_error(client_a, tenant_a):
    response = client_a.get(
        reverse("monitoring:mention-list"), {"published_from": "2026-03-09", "published_to": "2026-03-01"}
    )
    assert "开始日期不能晚于结束日期。" in html(response)


def test_another_tenants_source_or_customer_is_refused_as_a_filter(client_a, tenant_a, tenant_b):
    mention(tenant_a)
    foreign = CustomerFactory(tenant=tenant_b, name="乙方客户")
    response = client_a.get(reverse("monitoring:mention-list"), {"customer": foreign.pk})
    assert "请选择本机构的客户。" in html(response)
    assert "乙方客户" not in html(response)


def test_the_customer_search_offers_only_the_tenants_customers(client_a, tenant_a, tenant_b):
    ours = CustomerFactory(tenant=tenant_a, name="华信建设集团")
    CustomerAliasFactory(tenant=tenant_a, customer=ours, alias="华信建工")
    CustomerFactory(tenant=tenant_b, name="华信置业")
    response = client_a.get(reverse("monitoring:customer-options"), {"customer_q": "华信"})
    assert "华信建设集团" in html(response)
    assert "华信置业" not in html(response)
    by_alias = client_a.get(reverse("monitoring:customer-options"), {"customer_q": "建工"})
    assert f'value="{ours.pk}"' in html(by_alias)


def test_the_stream_costs_the_same_queries_for_5_or_120_mentions(client_a, tenant_a):
    customers = [CustomerFactory(tenant=tenant_a) for _ in range(3)]
    forum = source(tenant_a, "论坛", Source.Kind.FORUM)
    for number in range(5):
        mention(tenant_a, customers=customers[: number % 3 + 1], source_row=forum if number % 2 else None)
    url = reverse("monitoring:mention-list")
    client_a.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        client_a.get(url, {"customer": customers[0].pk})
    for number in range(115):
        mention(tenant_a, customers=customers[: number % 3 + 1], source_row=forum if number % 2 else None)
    with CaptureQueriesContext(connection) as many:
        response = client_a.get(url, {"customer": customers[0].pk})
    with CaptureQueriesContext(connection) as second_page:
        client_a.get(url, {"customer": customers[0].pk, "page": 2})
    assert len(ids(html(response))) == 50
    assert len(many) == len(few)
    assert len(second_page) <= len(few)


def test_the_stream_fits_a_query_budget(client_a, tenant_a, django_assert_max_num_queries):
    customers = [CustomerFactory(tenant=tenant_a) for _ in range(3)]
    for number in range(60):
        mention(tenant_a, customers=customers[: number % 3 + 1])
    with django_assert_max_num_queries(16):
        client_a.get(reverse("monitoring:mention-list"), {"page": 2})


def test_htmx_filtering_returns_only_the_rows_fragment(client_a, tenant_a):
    mention(tenant_a)
    response = client_a.get(reverse("monitoring:mention-list"), HTTP_HX_REQUEST="true")
    assert 'id="mention-rows"' in html(response)
    assert "<html" not in html(response)


# ---------------------------------------------------------------- live updates


def test_the_first_page_polls_for_mentions_newer_than_the_newest_it_showed(client_a, tenant_a):
    shown = mention(tenant_a)
    page = html(client_a.get(reverse("monitoring:mention-list"), {"level": str(Level.YELLOW)}))
    poll = re.search(r'hx-get="([^"]*/monitoring/live/[^"]*)"', page).group(1).replace("&amp;", "&")
    assert f"after={shown.pk}" in poll and "level=3" in poll

    fresh = mention(tenant_a, level=Level.YELLOW)
    mention(tenant_a, level=Level.RED)  # new, but not what the page filters for
    response = client_a.get(poll, **HTMX)
    assert ids(html(response)) == [fresh.pk]
    assert 'hx-swap-oob="true"' in html(response)
    assert f"after={fresh.pk}" in html(response)
    assert response["Cache-Control"] == "no-store"

    again = client_a.get(poll.replace(f"after={shown.pk}", f"after={fresh.pk}"), **HTMX)
    assert ids(html(again)) == []


def test_later_pages_do_not_poll(client_a, tenant_a):
    for _ in range(55):
        mention(tenant_a)
    page_two = html(client_a.get(reverse("monitoring:mention-list"), {"page": 2}))
    assert 'id="mention-live"' not in page_two


# ---------------------------------------------------------------- detail


def test_the_detail_shows_the_explanation_shares_terms_customers_and_provenance(client_a, tenant_a):
    vip = CustomerFactory(tenant=tenant_a, name="华信建设集团", tier="vip")
    row = mention(
        tenant_a,
        title="华信建设项目逾期",
        body="华信建设集团项目逾期，业主维权。",
        terms=["逾期", "维权"],
        customers=[vip],
        author_display="风*",
        score=72,
        level=Level.ORANGE,
    )
    page = html(client_a.get(reverse("monitoring:mention-detail", args=[row.pk])))
    assert re.search(r'data-factor="keywords".*?data-bar-width="50\.0%".*?>50%<', page, re.S)
    assert re.search(r'data-factor="reach".*?>20%<', page, re.S)
    assert '<mark class="term">逾期</mark>' in page and '<mark class="term">维权</mark>' in page
    assert 'data-tier="vip"' in page
    assert reverse("customers:customer-detail", args=[vip.pk]) in page
    assert 'data-field="author">风*<' in page
    assert row.content_hash in page
    assert row.url in page


def test_highlighting_escapes_the_text(client_a, tenant_a):
    row = mention(tenant_a, body="<script>alert(1)</script>逾期<b>了</b>")
    page = html(client_a.get(reverse("monitoring:mention-detail", args=[row.pk])))
    assert "<script>alert(1)</script>" not in page
    assert '&lt;script&gt;alert(1)&lt;/script&gt;<mark class="term">逾期</mark>&lt;b&gt;' in page


def test_a_pending_mention_says_it_is_being_scored(client_a, tenant_a):
    row = mention(tenant_a, status=Mention.Status.PENDING)
    page = html(client_a.get(reverse("monitoring:mention-detail", args=[row.pk])))
    assert 'data-state="pending"' in page


# ---------------------------------------------------------------- triage


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AUDITOR])
def test_viewers_and_auditors_cannot_triage(client_for, tenant_a, role):
    row = mention(tenant_a)
    client = member_client(client_for, tenant_a, role, f"ro_{role}")
    page = html(client.get(reverse("monitoring:mention-detail", args=[row.pk])))
    assert 'data-form="triage"' not in page
    response = client.post(reverse("monitoring:mention-triage", args=[row.pk]), {"triage": "relevant"})
    assert response.status_code == 403
    assert Mention.objects.for_tenant(tenant_a).get(pk=row.pk).triage == Mention.Triage.NEW


def test_the_triage_service_refuses_a_viewer(tenant_a, viewer_a):
    row = mention(tenant_a)
    with pytest.raises(PermissionDenied):
        mention_triage(tenant=tenant_a, actor=viewer_a.user, mention=row, triage=Mention.Triage.RELEVANT)


def test_a_handler_triages_and_labels_with_an_audit_event(client_for, tenant_a, handler_a):
    row = mention(tenant_a)
    client = client_for(handler_a)
    response = client.post(
        reverse("monitoring:mention-triage", args=[row.pk]), {"triage": "not_relevant", "polarity": "neutral"}
    )
    assert response.status_code == 302
    stored = Mention.objects.for_tenant(tenant_a).get(pk=row.pk)
    assert stored.triage == Mention.Triage.NOT_RELEVANT
    assert stored.labelled_polarity == Polarity.NEUTRAL
    assert stored.triaged_by == handler_a
    event = AuditEvent.objects.for_tenant(tenant_a).filter(action="mention.triage").get()
    assert event.changes["labelled_polarity"] == {"before": "", "after": "neutral"}


def test_the_polarity_label_alone_keeps_the_triage(client_for, tenant_a, handler_a):
    row = mention(tenant_a)
    client_for(handler_a).post(reverse("monitoring:mention-triage", args=[row.pk]), {"polarity": "positive"})
    stored = Mention.objects.for_tenant(tenant_a).get(pk=row.pk)
    assert (stored.triage, stored.labelled_polarity) == (Mention.Triage.NEW, Polarity.POSITIVE)


def test_an_empty_triage_is_a_chinese_form_error(client_for, tenant_a, handler_a):
    row = mention(tenant_a)
    response = client_for(handler_a).post(reverse("monitoring:mention-triage", args=[row.pk]), {})
    assert response.status_code == 400
    assert "请选择研判结果或情感标注。" in html(response)


def test_escalating_a_mention_opens_an_incident(client_for, tenant_a, handler_a):
    row = mention(tenant_a, level=Level.YELLOW, score=60)
    response = client_for(handler_a).post(reverse("monitoring:mention-escalate", args=[row.pk]), follow=True)
    stored = Mention.objects.for_tenant(tenant_a).get(pk=row.pk)
    assert stored.triage == Mention.Triage.ESCALATED
    warning_row = RiskWarning.objects.for_tenant(tenant_a).get(story_id=stored.story_id)
    assert warning_row.incident is not None
    assert warning_row.incident.code in html(response)


def test_a_viewer_cannot_escalate(client_for, tenant_a):
    row = mention(tenant_a)
    client = member_client(client_for, tenant_a, Role.VIEWER, "ro_viewer")
    assert client.post(reverse("monitoring:mention-escalate", args=[row.pk])).status_code == 403


# ---------------------------------------------------------------- warnings board


def test_the_board_shows_open_warnings_by_level_with_their_incident(client_a, tenant_a, tenant_b):
    orange = warning(tenant_a, title="华信项目停工话题", level=Level.ORANGE)
    blue = warning(tenant_a, title="客服排队话题", level=Level.BLUE, score=42)
    closed = warning(tenant_a, title="已处理话题", level=Level.RED)
    RiskWarning.objects.for_tenant(tenant_a).filter(pk=closed.pk).update(status=RiskWarning.Status.CLOSED)
    warning(tenant_b, title="乙方话题")
    page = html(client_a.get(reverse("monitoring:warning-board")))
    assert set(ids(page, "data-warning")) == {orange.pk, blue.pk}
    assert re.search(rf'data-column="{Level.ORANGE}".*?data-warning="{orange.pk}"', page, re.S)
    assert 'data-count="1">0<' in page  # no open red warning
    assert "乙方话题" not in page


def test_acknowledge_and_close_from_the_board(client_for, tenant_a, handler_a):
    row = warning(tenant_a, level=Level.YELLOW, score=60)
    client = client_for(handler_a)
    board = reverse("monitoring:warning-board")
    response = client.post(reverse("monitoring:warning-acknowledge", args=[row.pk]), {"next": board})
    assert response["Location"] == board
    stored = RiskWarning.objects.for_tenant(tenant_a).get(pk=row.pk)
    assert (stored.status, stored.handler) == (RiskWarning.Status.ACKNOWLEDGED, handler_a)
    client.post(reverse("monitoring:warning-close", args=[row.pk]))
    assert RiskWarning.objects.for_tenant(tenant_a).get(pk=row.pk).status == RiskWarning.Status.CLOSED


def test_the_warning_page_lists_its_story(client_a, tenant_a):
    row = warning(tenant_a, title="华信项目停工话题")
    page = html(client_a.get(reverse("monitoring:warning-detail", args=[row.pk])))
    assert "华信项目停工话题" in page
    assert len(ids(page)) == 2


def test_levels_are_named_in_the_tenants_label_style(client_a, tenant_a):
    WarningPolicy.objects.create(tenant=tenant_a, label_style=WarningPolicy.LabelStyle.PLAN_2006)
    mention(tenant_a, level=Level.ORANGE, score=75)
    page = html(client_a.get(reverse("monitoring:mention-list")))
    assert "严重（橙色）" in page


# ---------------------------------------------------------------- dashboard


def test_the_dashboard_renders_its_figures_as_chart_data(client_a, tenant_a, tenant_b):
    customer = CustomerFactory(tenant=tenant_a, name="华信建设集团", tier="vip")
    forum = source(tenant_a, "天涯论坛", Source.Kind.FORUM)
    mention(tenant_a, terms=["逾期", "维权"], customers=[customer], source_row=forum)
    mention(tenant_a, terms=["逾期"], polarity=Polarity.POSITIVE)
    mention(tenant_a, published_at=timezone.now() - dt.timedelta(days=40))  # outside the 30 days
    warning(tenant_a, level=Level.RED, score=90)
    mention(tenant_b, terms=["乙方专属词"])
    response = client_a.get(reverse("monitoring:dashboard"))
    page = html(response)
    assert response.status_code == 200
    assert "echarts.min.js" in page and "js/monitoring.js" in page
    trend = json.loads(re.search(r'<script id="chart-trend" type="application/json">(.*?)</script>', page).group(1))
    assert len(trend["days"]) == 30
    assert sum(trend["mentions"]) == 4  # two here, two in the warning's story
    terms = json.loads(re.search(r'<script id="chart-terms" type="application/json">(.*?)</script>', page).group(1))
    assert terms["terms"][0] == "逾期" and "乙方专属词" not in terms["terms"]
    levels = json.loads(re.search(r'<script id="chart-levels" type="application/json">(.*?)</script>', page).group(1))
    assert levels["open"][0] == 1
    customers = json.loads(
        re.search(r'<script id="chart-customers" type="application/json">(.*?)</script>', page).group(1)
    )
    assert customers["names"] == ["华信建设集团"] and customers["vip"] == [True]
    assert 'data-figure="mentions">4<' in page


def test_the_dashboard_needs_a_fixed_number_of_queries(tenant_a, django_assert_max_num_queries):
    customers = [CustomerFactory(tenant=tenant_a) for _ in range(4)]
    for number in range(80):
        mention(tenant_a, customers=customers[: number % 4], terms=["逾期", f"词{number % 7}"])
    with django_assert_max_num_queries(8):
        figures = monitoring_dashboard(tenant=tenant_a)
    assert figures.totals["mentions"] == 80
    assert figures.terms["terms"][0] == "逾期"


# ---------------------------------------------------------------- manual entry and upload


# Its item was published on 2026-03-09: before that date it would rightly be rejected as future.
@pytest.mark.time_machine(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC), tick=False)
def test_manual_entry_is_ingested_and_opens_the_mention(client_for, tenant_a, handler_a):
    manual = source(tenant_a, "人工录入", Source.Kind.MANUAL)
    response = client_for(handler_a).post(
        reverse("monitoring:mention-create"),
        {
            "source": manual.pk,
            "title": "客户来电反映项目停工",
            "body": "业主称华信项目已停工三个月。",
            "url": "https://example.com/a",
            "published_at": "2026-03-09T10:00",
            "author": "李四",
        },
    )
    row = Mention.objects.for_tenant(tenant_a).get()
    assert response["Location"] == reverse("monitoring:mention-detail", args=[row.pk])
    assert row.via == Mention.Via.MANUAL and row.status == Mention.Status.PENDING
    assert row.published_at == dt.datetime(2026, 3, 9, 2, 0, tzinfo=dt.UTC)
    assert "李四" not in row.author_display


def test_a_rejected_manual_entry_shows_the_reason_as_a_form_error(client_for, tenant_a, handler_a):
    manual = source(tenant_a, "人工录入", Source.Kind.MANUAL)
    response = client_for(handler_a).post(
        reverse("monitoring:mention-create"), {"source": manual.pk, "body": "内容", "url": "ftp://example.com/x"}
    )
    assert response.status_code == 200
    assert "链接必须是 http:// 或 https:// 开头的网址" in html(response)
    assert not Mention.objects.for_tenant(tenant_a).exists()


def test_manual_entry_needs_a_title_or_body(client_for, tenant_a, handler_a):
    manual = source(tenant_a, "人工录入", Source.Kind.MANUAL)
    response = client_for(handler_a).post(reverse("monitoring:mention-create"), {"source": manual.pk})
    assert "标题和正文至少填写一项。" in html(response)


def test_a_viewer_cannot_enter_mentions(client_for, tenant_a):
    client = member_client(client_for, tenant_a, Role.VIEWER, "ro_viewer")
    assert client.get(reverse("monitoring:mention-create")).status_code == 403


def test_a_crawler_upload_reports_counts_and_each_bad_line(client_for, tenant_a, handler_a):
    weibo = source(tenant_a)
    lines = [
        {"note_id": "n1", "content": "华信项目逾期了", "create_time": 1767225600, "liked_count": "1.2万"},
        "{not json",
        {"note_id": "n2", "content": "业主维权", "create_time": 1767225700, "liked_count": "3"},
    ]
    data = "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
    upload = SimpleUploadedFile("search_contents_2026-01-01.jsonl", data.encode(), content_type="application/json")
    response = client_for(handler_a).post(reverse("monitoring:crawler-upload"), {"source": weibo.pk, "file": upload})
    page = html(response)
    assert response.status_code == 200
    assert 'data-count="accepted">2<' in page
    assert 'data-count="rejected">1<' in page
    assert 'data-line="2"' in page
    assert Mention.objects.for_tenant(tenant_a).count() == 2


# ---------------------------------------------------------------- settings


def test_sources_are_created_edited_and_paused_by_admins(client_a, tenant_a):
    response = client_a.post(
        reverse("monitoring:source-create"),
        {
            "name": "银行业新闻",
            "kind": "feed",
            "weight": "2.0",
            "feed_url": "https://news.example.com/rss",
            "poll_minutes": 15,
        },
    )
    assert response.status_code == 302
    feed = Source.objects.for_tenant(tenant_a).get(name="银行业新闻")
    client_a.post(reverse("monitoring:source-pause", args=[feed.pk]), {"paused": "1"})
    assert Source.objects.for_tenant(tenant_a).get(pk=feed.pk).is_paused
    missing_url = client_a.post(
        reverse("monitoring:source-edit", args=[feed.pk]),
        {"name": "银行业新闻", "kind": "feed", "weight": "1.0", "poll_minutes": 15},
    )
    assert "RSS/Atom 订阅类信息源需要填写订阅地址。" in html(missing_url)


def test_the_source_list_shows_poll_status_and_the_last_error(client_a, tenant_a):
    source(
        tenant_a,
        "失效订阅",
        Source.Kind.FEED,
        feed_url="https://bad.example.com/rss",
        last_poll_status=Source.PollStatus.ERROR,
        last_poll_error="连接超时（10 秒）",
    )
    page = html(client_a.get(reverse("monitoring:source-list")))
    assert 'data-poll="error"' in page and "连接超时（10 秒）" in page


def test_a_duplicate_source_name_is_a_chinese_error(client_a, tenant_a):
    source(tenant_a, "新浪微博")
    response = client_a.post(
        reverse("monitoring:source-create"), {"name": "新浪微博", "kind": "weibo", "weight": "1.0", "poll_minutes": 15}
    )
    assert "已有同名信息源“新浪微博”。" in html(response)


def test_handlers_may_read_but_not_change_settings(client_for, tenant_a, handler_a):
    client = client_for(handler_a)
    assert client.get(reverse("monitoring:source-list")).status_code == 200
    assert client.get(reverse("monitoring:source-create")).status_code == 403
    assert client.post(reverse("monitoring:policy-edit"), {"blue_at": 10}).status_code == 403
    assert client.get(reverse("monitoring:token-list")).status_code == 403


def test_keyword_rules_are_listed_by_category_and_deactivated(client_a, tenant_a):
    client_a.post(reverse("monitoring:rule-seed"))
    page = html(client_a.get(reverse("monitoring:rule-list")))
    assert 'data-category="违约"' in page and "暴雷" in page
    rule = KeywordRule.objects.for_tenant(tenant_a).get(term="暴雷", kind=KeywordRule.Kind.SENSITIVE)
    client_a.post(reverse("monitoring:rule-toggle", args=[rule.pk]), {"active": "0"})
    assert not KeywordRule.objects.for_tenant(tenant_a).get(pk=rule.pk).is_active
    duplicate = client_a.post(
        reverse("monitoring:rule-create"), {"term": "暴雷", "kind": "sensitive", "weight": 10, "field": "both"}
    )
    assert "已有同类型的词语“暴雷”" in html(duplicate)


def test_warning_thresholds_must_rise_from_blue_to_red(client_a, tenant_a):
    response = client_a.post(
        reverse("monitoring:policy-edit"),
        {
            "blue_at": 40,
            "yellow_at": 70,
            "orange_at": 60,
            "red_at": 85,
            "label_style": "2024",
            "story_window_hours": 48,
            "vip_boost": 10,
        },
    )
    assert response.status_code == 200
    assert "橙色预警分数线（60）须高于黄色预警分数线（70）：应满足 蓝 &lt; 黄 &lt; 橙 &lt; 红。" in html(response)
    assert not WarningPolicy.objects.for_tenant(tenant_a).exists()
    ok = client_a.post(
        reverse("monitoring:policy-edit"),
        {
            "blue_at": 30,
            "yellow_at": 50,
            "orange_at": 65,
            "red_at": 80,
            "label_style": "2006",
            "story_window_hours": 24,
            "vip_boost": 5,
        },
    )
    assert ok.status_code == 302
    policy = WarningPolicy.objects.for_tenant(tenant_a).get()
    assert (policy.blue_at, policy.red_at, policy.label_style) == (30, 80, "2006")


def test_a_new_token_is_shown_once(client_a, tenant_a):
    response = client_a.post(reverse("monitoring:token-list"), {"name": "采集系统"})
    page = html(response)
    clear = re.search(r'data-field="clear_token">(yq_[^<]+)<', page).group(1)
    assert response["Cache-Control"] == "no-store"
    token = IngestToken.objects.for_tenant(tenant_a).get()
    assert clear.startswith(f"yq_{token.prefix}_")
    assert clear not in token.digest
    again = html(client_a.get(reverse("monitoring:token-list")))
    assert clear not in again
    assert f"yq_{token.prefix}_…" in again


def test_a_token_is_rotated_and_revoked(client_a, tenant_a, admin_a):
    token, raw = ingest_token_create(tenant=tenant_a, actor=admin_a.user, name="采集系统")
    rotated = client_a.post(reverse("monitoring:token-rotate", args=[token.pk]))
    new_raw = re.search(r'data-field="clear_token">(yq_[^<]+)<', html(rotated)).group(1)
    assert new_raw != raw
    new = IngestToken.objects.for_tenant(tenant_a).get(revoked_at__isnull=True)
    client_a.post(reverse("monitoring:token-revoke", args=[new.pk]))
    assert not IngestToken.objects.for_tenant(tenant_a).filter(revoked_at__isnull=True).exists()


def test_managers_see_tokens_but_only_admins_make_them(client_for, tenant_a):
    client = member_client(client_for, tenant_a, Role.MANAGER, "manager_a")
    page = html(client.get(reverse("monitoring:token-list")))
    assert "只有管理员可以创建、轮换或吊销令牌。" in page
    assert client.post(reverse("monitoring:token-list"), {"name": "x"}).status_code == 403


def test_the_models_page_shows_accuracy_beside_the_defaults(client_a, tenant_a):
    SentimentModel.objects.create(
        tenant=tenant_a,
        version=1,
        status=SentimentModel.Status.READY,
        sample_count=200,
        test_count=50,
        accuracy=0.84,
        default_accuracy=0.71,
    )
    page = html(client_a.get(reverse("monitoring:model-list")))
    assert 'data-accuracy="0.84"' in page and 'data-default-accuracy="0.71"' in page
    assert reverse("monitoring:model-activate", args=[SentimentModel.objects.for_tenant(tenant_a).get().pk]) in page


def test_activating_a_model_and_going_back_to_the_default(client_a, tenant_a):
    model = SentimentModel.objects.create(
        tenant=tenant_a, version=1, status=SentimentModel.Status.READY, accuracy=0.8, default_accuracy=0.7
    )
    client_a.post(reverse("monitoring:model-activate", args=[model.pk]))
    assert SentimentModel.objects.for_tenant(tenant_a).get(pk=model.pk).is_active
    client_a.post(reverse("monitoring:model-default"))
    assert not SentimentModel.objects.for_tenant(tenant_a).get(pk=model.pk).is_active


# ---------------------------------------------------------------- isolation


def test_another_tenants_objects_are_404(client_b, tenant_a, admin_a):
    row = mention(tenant_a)
    warning_row = warning(tenant_a)
    feed = source_create(tenant=tenant_a, actor=None, data={"name": "甲方订阅", "kind": "weibo"})
    token, _raw = ingest_token_create(tenant=tenant_a, actor=admin_a.user, name="甲方令牌")
    rule = KeywordRule.objects.create(tenant=tenant_a, term="甲方词")
    urls = [
        reverse("monitoring:mention-detail", args=[row.pk]),
        reverse("monitoring:mention-triage", args=[row.pk]),
        reverse("monitoring:warning-detail", args=[warning_row.pk]),
        reverse("monitoring:warning-close", args=[warning_row.pk]),
        reverse("monitoring:source-edit", args=[feed.pk]),
        reverse("monitoring:source-pause", args=[feed.pk]),
        reverse("monitoring:rule-edit", args=[rule.pk]),
        reverse("monitoring:token-rotate", args=[token.pk]),
        reverse("monitoring:token-revoke", args=[token.pk]),
    ]
    for url in urls:
        assert client_b.get(url).status_code == 404, url
        assert client_b.post(url).status_code == 404, url
    assert IngestToken.objects.for_tenant(tenant_a).get(pk=token.pk).revoked_at is None
    stream = html(client_b.get(reverse("monitoring:mention-list")))
    assert row.body not in stream
