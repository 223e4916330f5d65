"""Per-tenant sentiment models: training on analysts' labels, held-out accuracy, activation."""

from __future__ import annotations

import itertools
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tests.factories import MembershipFactory, UserFactory
from tests.monitoring.scoring_support import make_mention
from yuqing.audit.models import AuditEvent
from yuqing.monitoring import jobs
from yuqing.monitoring.demo import content as demo_content
from yuqing.monitoring.models import Mention, Polarity, SentimentModel
from yuqing.monitoring.services.scoring import mentions_score
from yuqing.monitoring.services.scoring import service as scoring_service
from yuqing.monitoring.services.scoring.sentiment import (
    BayesSentiment,
    default_model_data,
    default_sentiment,
    filter_stop,
    model_data_load,
)
from yuqing.monitoring.services.scoring.tenant import caches_clear, engine_for
from yuqing.monitoring.services.sentiment_models import (
    MIN_PER_CLASS,
    Sample,
    sentiment_model_activate,
    sentiment_model_deactivate,
    sentiment_model_train,
    train_test_split,
)
from yuqing.tenancy.models import Role


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch):
    caches_clear()
    monkeypatch.setattr(scoring_service, "_warnings_enqueue", lambda *, tenant, mentions: None)
    yield
    caches_clear()


@pytest.fixture
def manager_a(tenant_a):
    return MembershipFactory(tenant=tenant_a, user=UserFactory(username="manager_a"), role=Role.MANAGER)


def _texts(templates: tuple[str, ...], count: int, seed: str) -> list[str]:
    rng = random.Random(seed)
    names = ("华信建设", "星河城发", "远航物流", "金石控股", "银川实业")
    return [
        rng.choice(templates).format(
            name=rng.choice(names), city=rng.choice(demo_content.CITIES), project=rng.choice(demo_content.PROJECTS)
        )
        + f"（{n}）"
        for n in range(count)
    ]


def label(tenant, *, negative: int, positive: int, neutral: int = 0) -> None:
    for polarity, templates, count in (
        (Polarity.NEGATIVE, demo_content.NEGATIVE, negative),
        (Polarity.POSITIVE, demo_content.POSITIVE, positive),
        (Polarity.NEUTRAL, demo_content.NEUTRAL, neutral),
    ):
        for text in _texts(templates, count, polarity):
            make_mention(tenant, body=text, labelled_polarity=polarity, triage=Mention.Triage.RELEVANT)


def train(tenant, actor) -> SentimentModel:
    model = sentiment_model_train(tenant=tenant, actor=actor)
    assert model.status == SentimentModel.Status.TRAINING
    jobs.sentiment_model_train_job(tenant.pk, model.pk)  # what the worker runs after commit
    model.refresh_from_db()
    return model


def test_training_fails_with_too_few_labels(tenant_a, admin_a):
    label(tenant_a, negative=MIN_PER_CLASS + 5, positive=MIN_PER_CLASS - 1, neutral=30)
    model = train(tenant_a, admin_a.user)
    assert model.status == SentimentModel.Status.FAILED
    assert model.error == (
        f"标注样本不足：负面 {MIN_PER_CLASS + 5} 条、正面 {MIN_PER_CLASS - 1} 条，"
        f"每类至少需要 {MIN_PER_CLASS} 条（中性标注不参与训练）。"
    )
    assert model.data is None and not model.is_active
    with pytest.raises(ValidationError):
        sentiment_model_activate(tenant=tenant_a, actor=admin_a.user, model=model)


def test_training_stores_a_versioned_model_with_held_out_accuracy_beside_the_default(tenant_a, manager_a):
    label(tenant_a, negative=40, positive=30, neutral=10)
    model = train(tenant_a, manager_a.user)

    assert (model.version, model.status, model.error) == (1, SentimentModel.Status.READY, "")
    assert (model.sample_count, model.test_count) == (32 + 24, 8 + 6)  # 80/20 within each class
    assert 0.0 <= model.default_accuracy <= 1.0
    assert model.accuracy >= 0.9  # the tenant's own kind of text
    assert model.created_by == manager_a and model.trained_at is not None
    data = model_data_load(model.data)
    assert set(data["d"]) == {"neg", "pos"} and data["base"] in ("tenant", "default+tenant")
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="sentiment_model.train").count() == 1

    assert train(tenant_a, manager_a.user).version == 2


def test_the_stored_model_loads_in_snownlp_itself(tenant_a, admin_a, tmp_path):
    from snownlp.classification.bayes import Bayes

    label(tenant_a, negative=25, positive=25)
    model = train(tenant_a, admin_a.user)
    (tmp_path / "tenant.marshal.3").write_bytes(bytes(model.data))  # Bayes.load adds ".3"
    bayes = Bayes()
    bayes.load(str(tmp_path / "tenant.marshal"))
    words = filter_stop(engine_for(tenant_a).words("", "工程质量很好，业主都很满意，点赞"))
    label_, probability = bayes.classify(words)
    ours = BayesSentiment(model_data_load(model.data)).positive(words)
    assert (probability if label_ == "pos" else 1 - probability) == pytest.approx(ours, abs=1e-9)


def test_only_an_admin_or_a_manager_trains_and_only_an_admin_switches(tenant_a, handler_a, manager_a, admin_a):
    with pytest.raises(PermissionDenied):
        sentiment_model_train(tenant=tenant_a, actor=handler_a.user)
    label(tenant_a, negative=25, positive=25)
    model = train(tenant_a, manager_a.user)
    with pytest.raises(PermissionDenied):
        sentiment_model_activate(tenant=tenant_a, actor=manager_a.user, model=model)
    with pytest.raises(PermissionDenied):
        sentiment_model_deactivate(tenant=tenant_a, actor=manager_a.user)
    assert not SentimentModel.objects.for_tenant(tenant_a).filter(is_active=True).exists()


def test_a_second_training_waits_for_the_running_one(tenant_a, admin_a):
    sentiment_model_train(tenant=tenant_a, actor=admin_a.user)
    with pytest.raises(ValidationError, match="正在训练"):
        sentiment_model_train(tenant=tenant_a, actor=admin_a.user)


def test_scoring_uses_the_tenant_model_once_activated_and_the_default_after(tenant_a, tenant_b, admin_a):
    label(tenant_a, negative=30, positive=30)
    model = train(tenant_a, admin_a.user)
    text = "刚参观了星河城发的产业园，停工传闻不实，管理规范，业主满意。"
    mention = make_mention(tenant_a, body=text)
    theirs = make_mention(tenant_b, body=text)
    words = engine_for(tenant_a).words("", text)

    mentions_score(tenant=tenant_a, mention_ids=[mention.pk])
    mention.refresh_from_db()
    assert mention.explanation["model"] == "default"
    assert mention.sentiment == pytest.approx(default_sentiment().positive(words))

    sentiment_model_activate(tenant=tenant_a, actor=admin_a.user, model=model)
    mentions_score(tenant=tenant_a, mention_ids=[mention.pk])
    mention.refresh_from_db()
    assert mention.explanation["model"] == "v1"
    assert mention.sentiment == pytest.approx(BayesSentiment(model_data_load(model.data)).positive(words))
    assert mention.sentiment != pytest.approx(default_sentiment().positive(words))

    mentions_score(tenant=tenant_b, mention_ids=[theirs.pk])  # another tenant keeps the default
    theirs.refresh_from_db()
    assert theirs.explanation["model"] == "default"

    assert sentiment_model_deactivate(tenant=tenant_a, actor=admin_a.user) == model
    mentions_score(tenant=tenant_a, mention_ids=[mention.pk])
    mention.refresh_from_db()
    assert mention.explanation["model"] == "default"
    actions = list(
        AuditEvent.objects.for_tenant(tenant_a)
        .filter(action__startswith="sentiment_model.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["sentiment_model.train", "sentiment_model.activate", "sentiment_model.deactivate"]


def test_activating_one_version_deactivates_the_other(tenant_a, admin_a):
    label(tenant_a, negative=25, positive=25)
    first = train(tenant_a, admin_a.user)
    second = train(tenant_a, admin_a.user)
    sentiment_model_activate(tenant=tenant_a, actor=admin_a.user, model=first)
    sentiment_model_activate(tenant=tenant_a, actor=admin_a.user, model=second)
    active = SentimentModel.objects.for_tenant(tenant_a).filter(is_active=True)
    assert list(active.values_list("version", flat=True)) == [2]


def test_another_tenants_model_cannot_be_activated(tenant_a, tenant_b, admin_a, admin_b):
    label(tenant_b, negative=25, positive=25)
    theirs = train(tenant_b, admin_b.user)
    with pytest.raises(Http404):
        sentiment_model_activate(tenant=tenant_a, actor=admin_a.user, model=theirs)


def test_the_split_is_deterministic_and_stratified():
    samples = [(pk, Sample(["词"], "neg" if pk % 3 else "pos")) for pk in range(1, 101)]
    train_a, test_a = train_test_split(samples)
    train_b, test_b = train_test_split(list(reversed(samples)))
    assert (train_a, test_a) == (train_b, test_b)
    negatives = sum(1 for _, s in samples if s.label == "neg")
    assert sum(1 for s in test_a if s.label == "neg") == negatives // 5
    assert len(train_a) + len(test_a) == 100


def test_the_fast_classifier_gives_snownlps_probability():
    from snownlp.sentiment import classifier

    model = BayesSentiment(default_model_data())
    sentences = [
        ["服务", "太", "差", "了", "，", "再也", "不", "来", "了"],
        ["非常", "满意", "，", "点赞"],
        ["项目", "停工", "工人", "讨薪"],
        ["从未见过的词语甲", "从未见过的词语乙"],
        [],
    ]
    for words in sentences:
        label_, probability = classifier.classifier.classify(filter_stop(words))
        expected = probability if label_ == "pos" else 1 - probability
        assert model.positive(words) == pytest.approx(expected, abs=1e-12)
    assert list(itertools.islice(model.log_odds, 1))  # a real vocabulary, not an empty model
