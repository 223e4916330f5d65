"""The tenant-isolation walk: every URL of the project, asked by a member of tenant B.

The URL list comes from the resolver, so a new URL is covered without anyone remembering:
a URL with parameters that this walk cannot fill in with one of tenant A's objects fails the
test until a provider is added below. For each object URL, tenant B's admin (a staff user, not
a superuser) must get 404 (or 403 on platform-only pages that no tenant member may use) for
GET and POST, nothing may be written, and no page may show tenant A's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from customers.services.pending_imports import pending_import_store
from customers.services.tiering import service_strategies_ensure
from incidents.models import ImprovementAction, Phase
from incidents.services.evidence import evidence_add
from incidents.services.review import review_record
from incidents.services.tasks import task_create
from tests.customers.factories import (
    ContactFactory,
    CustomerAliasFactory,
    CustomerFactory,
    FeedbackFactory,
    GuaranteeFactory,
    IndividualCustomerFactory,
    ProductFactory,
    TagFactory,
    TierChangeFactory,
    TierRuleFactory,
)
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory
from tests.incidents.factories import advance_to, open_incident
from training.services import (
    AttendanceEntry,
    CourseData,
    attendance_record,
    course_create,
    plan_item_add,
    session_schedule,
)
from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record
from yuqing.monitoring.models import (
    DictionaryWord,
    IngestToken,
    KeywordRule,
    Level,
    Mention,
    MentionCustomer,
    RiskWarning,
    SentimentModel,
    Source,
    Story,
    WarningPolicy,
    WarningRoute,
)
from yuqing.notify.models import Channel, Delivery
from yuqing.notify.services import notification_send
from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.managers import TenantManager
from yuqing.tenancy.models import Membership, Role
from yuqing.workcalendar.models import BusinessCalendar, CalendarOverride, HolidayNotice

# Strings that exist only in tenant A's data: none may appear in a page served to tenant B.
A_SECRETS = ("甲银行", "甲行专属舆情部", "甲行专员张三", "a-only-marker-7f3c")


@dataclass
class World:
    tenant_a: object
    tenant_b: object
    department_a: object
    membership_a: Membership
    audit_event_a: AuditEvent
    group: Group
    client_b: Client
    objects: dict[str, models.Model]


@dataclass(frozen=True)
class Route:
    name: str | None
    route: str
    params: tuple[str, ...]


def _walk(patterns: list, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(name, prefix + str(entry.pattern), tuple(entry.pattern.regex.groupindex))


ALL_ROUTES = list(_walk(get_resolver().url_patterns))

# Portal URLs with parameters: how to fill them with one of tenant A's objects.
OBJECT_URLS: dict[str, Callable[[World], dict[str, object]]] = {
    "tenancy:member-edit": lambda w: {"pk": w.membership_a.pk},
    "audit:event-detail": lambda w: {"pk": w.audit_event_a.pk},
    **{
        f"customers:customer-{action}": (lambda w: {"pk": w.objects["customer"].pk})
        for action in ("detail", "edit", "reveal", "tier-override", "contact-add", "guarantee-add")
    },
    **{
        f"customers:customer-contact-{action}": (
            lambda w: {"pk": w.objects["customer"].pk, "contact_pk": w.objects["contact"].pk}
        )
        for action in ("edit", "reveal")
    },
    "customers:customer-guarantee-remove": lambda w: {
        "pk": w.objects["customer"].pk,
        "guarantee_pk": w.objects["guarantee"].pk,
    },
    **{
        f"customers:feedback-{action}": (lambda w: {"pk": w.objects["feedback"].pk})
        for action in ("detail", "transition", "extend", "assign", "escalate")
    },
    **{
        f"incidents:{name}": (lambda w: {"pk": w.objects["incident"].pk})
        for name in (
            "incident-detail",
            "incident-sla",
            "incident-edit",
            "incident-advance",
            "incident-save-phase",
            "incident-pause",
            "incident-resume",
            "incident-note",
            "incident-plan-launch",
            "evidence-add",
            "task-create",
        )
    },
    **{
        f"incidents:{name}": (lambda w: {"pk": w.objects["incident_in_review"].pk})
        for name in ("incident-move-back", "incident-review")
    },
    "incidents:evidence-download": lambda w: {"pk": w.objects["evidence"].pk},
    **{
        f"monitoring:{name}": (lambda w, key=key: {"pk": w.objects[key].pk})
        for key, names in {
            "mention": ("mention-detail", "mention-triage", "mention-escalate", "mention-reveal"),
            "warning": ("warning-detail", "warning-acknowledge", "warning-close"),
            "source": ("source-edit", "source-pause"),
            "keyword_rule": ("rule-edit", "rule-toggle"),
            "ingest_token": ("token-rotate", "token-revoke"),
            "sentiment_model": ("model-activate",),
            "channel": ("channel-detail", "channel-edit", "channel-test"),
            "delivery": ("delivery-retry",),
            "warning_route": ("route-edit", "route-toggle"),
        }.items()
        for name in names
    },
    "incidents:improvement-action-complete": lambda w: {"pk": w.objects["improvement_action"].pk},
    **{
        f"customers:customer-import-{step}": (lambda w: {"token": w.objects["pending_import"].token})
        for step in ("preview", "confirm")
    },
    **{
        f"incidents:{name}": (lambda w: {"pk": w.objects["task"].pk})
        for name in ("task-detail", "task-status", "task-comment")
    },
    **{
        f"notify:{name}": (lambda w: {"pk": w.objects["notification"].pk})
        for name in ("notification-read", "notification-open")
    },
    "workcalendar:notice-detail": lambda w: {"pk": w.objects["holiday_notice"].pk},
    **{f"training:plan-{action}": (lambda w: {"pk": w.objects["plan"].pk}) for action in ("detail", "draft", "diff")},
    **{
        f"training:version-{action}": (lambda w: {"pk": w.objects["plan_version"].pk})
        for action in ("steps", "submit", "approve", "reject")
    },
    **{
        f"training:{name}": (lambda w, key=key: {"pk": w.objects[key].pk})
        for key, names in {
            "course": ("course-detail", "session-create"),
            "training_session": ("session-detail", "attendance-save", "materials-download"),
        }.items()
        for name in names
    },
}

# Platform pages that span all tenants: superusers only, anyone else gets 404.
PLATFORM_NAMESPACES = ("django_rq:",)
PLATFORM_PARAM_VALUES = {
    "queue_index": 0,
    "job_id": "some-job",
    "result_id": "r1",
    "key": "worker-1",
    "scheduler_index": 0,
    "connection_index": 0,
    "scheduler_name": "cron",
    "cron_job_name": "audit",
    "token": "notatoken42",
}

# Patterns with no name that need no object: Django's own catch-alls and redirects.
# A public media route is not allowed: uploaded files are tenant data served by scoped views only.
UNNAMED_ALLOWED = ("admin/(?P<url>.*)$",)


def _admin_target(world: World, name: str) -> tuple[models.Model, bool] | None:
    """For admin:<app>_<model>_<action>: tenant A's object of that model, and whether it is tenant-owned."""
    if not name.startswith("admin:"):
        return None
    for model in apps.get_models():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix) or (
            name == "admin:auth_user_password_change" and model is apps.get_model("tenancy", "User")
        ):
            return _object_of_a(world, model), isinstance(model._default_manager, TenantManager)
    return None


def _object_of_a(world: World, model: type[models.Model]) -> models.Model:
    if isinstance(model._default_manager, TenantManager):
        instance = model.objects.for_tenant(world.tenant_a).order_by("pk").first()
        assert instance is not None, f"The walk's world has no {model.__name__} of tenant A: add one in world()."
        return instance
    known = {"Tenant": world.tenant_a, "User": world.membership_a.user, "Group": world.group}
    if model.__name__ in known:
        return known[model.__name__]
    # Platform models (login attempts, ...): tenant members may not reach any row, real or not.
    return model._base_manager.order_by("pk").first() or model(pk=10**6)


def _row_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.label] = model._base_manager.count()
    counts.pop("sessions.Session", None)  # logging in as B writes its session, nothing else may change
    counts.pop("axes.AccessLog", None)
    return counts


@pytest.fixture
def world(tenant_a, tenant_b, admin_b, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    department_a = DepartmentFactory(tenant=tenant_a, name="甲行专属舆情部")
    membership_a = MembershipFactory(
        tenant=tenant_a,
        user=UserFactory(username="a_only_user", display_name="甲行专员张三"),
        department=department_a,
        role=Role.ADMIN,
    )
    event = audit_record(
        tenant=tenant_a, actor=membership_a.user, action="test.marker", object_repr="a-only-marker-7f3c"
    )
    # One row of each tenant-owned model with an admin page, so the walk can aim at it.
    BusinessCalendar.objects.create(tenant=tenant_a)
    CalendarOverride.objects.create(
        tenant=tenant_a, date=date(2026, 3, 7), kind="working_day", note="a-only-marker-7f3c"
    )
    customer = IndividualCustomerFactory(tenant=tenant_a, name="甲行专员张三", relationship_manager=membership_a)
    links = {"tenant": tenant_a}
    guarantor = CustomerFactory(tenant=tenant_a, name="a-only-marker-7f3c 担保公司")
    with tenant_context(tenant_a):  # the links are tenant-owned rows (through models)
        customer.products.add(ProductFactory(tenant=tenant_a, name="a-only-marker-7f3c 产品"), through_defaults=links)
        customer.tags.add(TagFactory(tenant=tenant_a, name="a-only-marker-7f3c"), through_defaults=links)
    CustomerAliasFactory(tenant=tenant_a, customer=customer, alias="a-only-marker-7f3c")
    TierRuleFactory(tenant=tenant_a, name="a-only-marker-7f3c 规则")
    TierChangeFactory(customer=customer, reason="a-only-marker-7f3c")
    service_strategies_ensure(tenant=tenant_a)
    objects = {
        **_incidents_of_a(tenant_a, membership_a, department_a),
        **_monitoring_of_a(tenant_a, customer),
        **_plans_of_a(tenant_a, membership_a),
        **_training_of_a(tenant_a, membership_a, department_a),
        "customer": customer,
        "contact": ContactFactory(customer=customer, name="甲行专员张三"),
        "guarantee": GuaranteeFactory(borrower=customer, guarantor=guarantor),
        "feedback": FeedbackFactory(tenant=tenant_a, customer=customer, subject="a-only-marker-7f3c"),
        "pending_import": pending_import_store(
            tenant=tenant_a,
            actor=membership_a.user,
            content="客户类型,名称\n个人,甲行专员张三\n",
            filename="a-only-marker-7f3c.csv",
        ),
        "holiday_notice": HolidayNotice.objects.create(
            tenant=tenant_a,
            year=2027,
            text="a-only-marker-7f3c",
            days=[{"date": "2027-02-20", "kind": "working_day", "name": "a-only-marker-7f3c"}],
            loaded_by=membership_a.user,
            loaded_at=timezone.now(),
        ),
    }
    admin_b.user.is_staff = True
    admin_b.user.save(update_fields=["is_staff"])
    client_b = Client()
    client_b.force_login(admin_b.user)
    return World(
        tenant_a, tenant_b, department_a, membership_a, event, Group.objects.create(name="g"), client_b, objects
    )


def _incidents_of_a(tenant, member: Membership, department) -> dict[str, models.Model]:
    """An incident with a task and evidence, one in review with an improvement action, a notification."""
    actor = member.user
    incident = open_incident(tenant, actor, title="a-only-marker-7f3c 事件", owner=member)
    task = task_create(tenant=tenant, actor=actor, incident=incident, department=department, title="a-only-marker-7f3c")
    evidence = evidence_add(
        tenant=tenant,
        actor=actor,
        incident=incident,
        title="a-only-marker-7f3c 截图",
        file=SimpleUploadedFile("note.txt", b"a-only-marker-7f3c", content_type="text/plain"),
    )
    in_review = advance_to(
        open_incident(tenant, actor, title="甲行专属复盘事件"), Phase.REVIEW, actor=actor, owner=member
    )
    review = review_record(
        tenant=tenant,
        actor=actor,
        incident=in_review,
        root_cause="a-only-marker-7f3c",
        actions=[{"kind": "action", "title": "a-only-marker-7f3c", "owner": member, "due_date": date(2026, 12, 31)}],
    )
    notification = notification_send(
        tenant=tenant, recipients=[member], kind="info", title="a-only-marker-7f3c", link="/"
    )[0]
    return {
        "incident": incident,
        "task": task,
        "evidence": evidence,
        "incident_in_review": in_review,
        "improvement_action": ImprovementAction.objects.for_tenant(tenant).get(review=review),
        "notification": notification,
    }


def _plans_of_a(tenant, member: Membership) -> dict[str, models.Model]:
    """An emergency plan with a version in review and its steps (drafted by A's admin)."""
    from training.models import PlanVersion, Scenario
    from training.services import plans as plan_services

    plan = plan_services.plan_create(
        tenant=tenant, actor=member.user, scenario=Scenario.OTHER, severity=1, title="a-only-marker-7f3c 预案"
    )
    version = PlanVersion.objects.for_tenant(tenant).get(plan=plan)
    plan_services.version_steps_set(
        tenant=tenant,
        actor=member.user,
        version=version,
        steps=[{"department_kind": "pr", "title": "a-only-marker-7f3c 步骤", "target_minutes": 30}],
        change_note="a-only-marker-7f3c",
    )
    plan_services.version_submit(tenant=tenant, actor=member.user, version=version)
    return {"plan": plan, "plan_version": version}


def _training_of_a(tenant, member: Membership, department) -> dict[str, models.Model]:
    """A course for the department, a session with materials, a pass (its certification), a plan line."""
    course = course_create(
        tenant=tenant,
        actor=None,
        data=CourseData(title="a-only-marker-7f3c 课程", is_required=True, departments=[department]),
    )
    ends_at = timezone.now()
    session = session_schedule(
        tenant=tenant,
        actor=None,
        course=course,
        starts_at=ends_at - timedelta(hours=1),
        ends_at=ends_at,
        trainer=member,
        place="a-only-marker-7f3c 会议室",
        materials=SimpleUploadedFile("a-only.txt", b"a-only-marker-7f3c"),
    )
    attendance_record(
        tenant=tenant, actor=None, session=session, entries=[AttendanceEntry(member=member, attended=True, score=99)]
    )
    plan_item_add(tenant=tenant, actor=None, department=department, year=2026, course=course, quarter=1)
    return {"course": course, "training_session": session}


def _monitoring_of_a(tenant, customer) -> dict[str, models.Model]:
    """A scored mention in a story with a warning, a source, rule, word, policy, route, token and model
    (and the notification channel the route needs, with one delivery)."""
    now = timezone.now()
    source = Source.objects.create(tenant=tenant, name="a-only-marker-7f3c 微博", kind=Source.Kind.WEIBO)
    story = Story.objects.create(
        tenant=tenant, title="a-only-marker-7f3c 话题", first_seen_at=now, last_seen_at=now, mention_count=1
    )
    mention = Mention.objects.create(
        tenant=tenant,
        source=source,
        body="a-only-marker-7f3c 甲行专员张三 逾期",
        published_at=now,
        retrieved_at=now,
        via=Mention.Via.API,
        content_hash="a" * 64,
        status=Mention.Status.SCORED,
        score=60,
        level=Level.YELLOW,
        story=story,
    )
    MentionCustomer.objects.create(tenant=tenant, mention=mention, customer=customer, matched="甲行专员张三")
    warning = RiskWarning.objects.create(
        tenant=tenant,
        story=story,
        level=Level.YELLOW,
        peak_level=Level.YELLOW,
        score=60,
        queue=RiskWarning.Queue.CUSTOMER_SERVICE,
        trigger=mention,
        raised_at=now,
        updated_at=now,
    )
    channel = Channel.objects.create(tenant=tenant, name="a-only-marker-7f3c 渠道", kind=Channel.Kind.PORTAL)
    route = WarningRoute.objects.create(tenant=tenant, name="a-only-marker-7f3c 推送", channel=channel)
    delivery = Delivery.objects.create(
        tenant=tenant, channel=channel, title="a-only-marker-7f3c 预警", status=Delivery.Status.FAILED
    )
    WarningPolicy.objects.create(tenant=tenant)
    DictionaryWord.objects.create(tenant=tenant, word="a-only-marker-7f3c")
    return {
        "mention": mention,
        "warning": warning,
        "source": source,
        "channel": channel,
        "delivery": delivery,
        "warning_route": route,
        "keyword_rule": KeywordRule.objects.create(tenant=tenant, term="甲行专属词", category="a-only-marker-7f3c"),
        "ingest_token": IngestToken.objects.create(
            tenant=tenant, name="a-only-marker-7f3c 令牌", prefix="a0a0a0a0", digest="f" * 64
        ),
        "sentiment_model": SentimentModel.objects.create(
            tenant=tenant, version=1, status=SentimentModel.Status.READY, accuracy=0.8, default_accuracy=0.7
        ),
    }


def _assert_no_leak(response, url: str) -> None:
    body = response.content.decode(errors="replace") if hasattr(response, "content") else ""
    for secret in A_SECRETS:
        assert secret not in body, f"{url} showed tenant A's data ({secret!r}) to tenant B"


def test_every_url_with_parameters_is_known_to_the_walk():
    unknown = []
    for route in ALL_ROUTES:
        if not route.params:
            continue
        if route.name is None:
            if route.route not in UNNAMED_ALLOWED and not route.route.endswith("<path:object_id>/"):
                unknown.append(route.route)
        elif route.name in OBJECT_URLS or route.name.startswith(PLATFORM_NAMESPACES):
            continue
        elif route.name.startswith("admin:"):
            if (
                route.name not in ("admin:view_on_site", "admin:app_list")
                and not any(
                    route.name.startswith(f"admin:{m._meta.app_label}_{m._meta.model_name}_") for m in apps.get_models()
                )
                and route.name != "admin:auth_user_password_change"
            ):
                unknown.append(route.name)
        else:
            unknown.append(route.name)
    assert not unknown, f"The isolation walk cannot fill in these URLs; add a provider to OBJECT_URLS: {unknown}"


def test_tenant_b_gets_404_for_every_portal_object_url_of_tenant_a(world):
    for route in ALL_ROUTES:
        if route.name not in OBJECT_URLS:
            continue
        url = reverse(route.name, kwargs=OBJECT_URLS[route.name](world))
        before = _row_counts()
        for method in ("get", "post"):
            response = getattr(world.client_b, method)(url)
            assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
            _assert_no_leak(response, url)
        assert _row_counts() == before, f"{url} wrote something for tenant B"


def test_tenant_b_gets_404_in_the_admin_for_tenant_a_objects(world):
    checked = 0
    for route in ALL_ROUTES:
        if route.name is None or not route.params or not route.name.startswith("admin:"):
            continue
        if route.name.startswith("admin:django_rq_"):
            continue  # the django-rq admin is not registered; see the platform test
        target = _admin_target(world, route.name)
        if target is None:
            continue
        instance, tenant_owned = target
        kwargs = {param: instance.pk for param in route.params}
        url = reverse(route.name, kwargs=kwargs)
        before = _row_counts()
        for method in ("get", "post"):
            response = getattr(world.client_b, method)(url)
            if tenant_owned:
                assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
            else:
                # Platform models: refused, or Django's "no such object" bounce to the admin index.
                assert response.status_code in (403, 404) or response.get("Location") == "/admin/", (
                    f"{method.upper()} {url} answered {response.status_code}"
                )
            _assert_no_leak(response, url)
        assert _row_counts() == before, f"{url} wrote something for tenant B"
        checked += 1
    assert checked >= 20


def test_platform_pages_are_404_for_tenant_members(world):
    for route in ALL_ROUTES:
        if route.name is None or not route.name.startswith(PLATFORM_NAMESPACES):
            continue
        url = reverse(route.name, kwargs={param: PLATFORM_PARAM_VALUES[param] for param in route.params})
        for method in ("get", "post"):
            response = getattr(world.client_b, method)(url)
            assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"


def test_pages_without_parameters_never_show_tenant_a_data_to_tenant_b(world):
    for route in ALL_ROUTES:
        if route.params or route.name is None or route.name.startswith(PLATFORM_NAMESPACES):
            continue
        if route.name in ("logout", "admin:logout", "set_language"):
            continue  # they end the session or only set a cookie
        url = reverse(route.name)
        response = world.client_b.get(url)
        assert response.status_code < 500, f"GET {url} answered {response.status_code}"
        _assert_no_leak(response, url)


def test_the_admin_lists_only_the_members_own_tenant(world):
    response = world.client_b.get(reverse("admin:tenancy_department_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲行专属舆情部" not in body
    assert "公关部" in body


def test_a_superuser_sees_every_tenant_in_the_admin_and_the_queues(world, admin_client, rq_queues):
    response = admin_client.get(reverse("admin:tenancy_department_changelist") + "?q=甲行专属")
    assert "甲行专属舆情部" in response.content.decode()
    assert admin_client.get(reverse("django_rq:home")).status_code == 200


def test_the_tenant_switch_refuses_a_tenant_the_user_is_not_in(world):
    response = world.client_b.post(reverse("tenancy:tenant-switch"), {"tenant": world.tenant_a.pk})
    assert response.status_code == 404
    assert world.client_b.session.get("tenant_id") in (None, world.tenant_b.pk)
