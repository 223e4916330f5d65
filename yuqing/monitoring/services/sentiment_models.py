"""Per-tenant sentiment models, trained on the analysts' labels (snownlp's Bayes on jieba words).

`sentiment_model_train` (admin or manager) creates version n+1 in status "training" and queues
`sentiment_model_train_job`, which runs `sentiment_model_fit`:
- the tenant's labelled mentions (labelled_polarity negative or positive; neutral ones are not
  used: the model has two classes), at least MIN_PER_CLASS of each, else the version fails with
  the reason;
- a deterministic, stratified 80/20 split: of each class ordered by id, every fifth is held out;
- words: the tenant's jieba tokenizer (its customer names and terms kept whole), snownlp's
  stopwords removed — the same words scoring feeds the classifier;
- two candidates trained with snownlp's `Bayes`: the tenant's samples alone, and snownlp's shipped
  counts plus the tenant's samples; the one more accurate on the held-out fifth is kept, ties to
  the second. Measured (tests/bench/bench_sentiment_accuracy.py): with a few hundred labels the
  shipped counts plus the tenant's do better (delivery reviews, 200 labels: 0.81 against 0.78;
  hotel reviews: 0.77 against 0.60); from about a thousand the tenant's own counts win (1,600:
  0.86 against 0.85, 0.84 against 0.78) — so neither is right for every tenant. The shipped
  model's accuracy on the same held-out fifth is stored beside it, so an admin compares first.
The model is stored in snownlp's own file format (gzipped marshal of the Bayes counts).

`sentiment_model_activate` / `sentiment_model_deactivate` (admin) switch the tenant between a
ready version and the shipped default; both are audited. Scoring picks the switch up on its next
batch (scoring.tenant.sentiment_for).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yuqing.audit.services import audit_record
from yuqing.monitoring.models import Mention, Polarity, SentimentModel
from yuqing.monitoring.services.scoring.sentiment import (
    BayesSentiment,
    default_model_data,
    default_sentiment,
    filter_stop,
    model_data_dump,
)
from yuqing.monitoring.services.scoring.tenant import engine_for
from yuqing.platform.queue import enqueue
from yuqing.tenancy.guard import actor_membership, tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant

logger = logging.getLogger(__name__)

MIN_PER_CLASS = 20
HOLD_OUT_EVERY = 5  # every fifth labelled mention of each class is held out: an 80/20 split
# A version left "training" this long lost its job; it no longer blocks a new one.
TRAINING_STALE_AFTER = dt.timedelta(hours=1)
BASE_TENANT_ONLY = "tenant"
BASE_DEFAULT_PLUS_TENANT = "default+tenant"


# ---------------------------------------------------------------- services


@tenant_service(Permission.APPROVE)
def sentiment_model_train(*, tenant: Tenant, actor: User | None, ip_address: str | None = None) -> SentimentModel:
    """Start training version n+1 on the tenant's labels (admin or manager); the job does the work."""
    Tenant.objects.select_for_update(no_key=True).filter(pk=tenant.pk).values_list("pk", flat=True).get()
    models = SentimentModel.objects.for_tenant(tenant)
    if models.filter(
        status=SentimentModel.Status.TRAINING, created_at__gt=timezone.now() - TRAINING_STALE_AFTER
    ).exists():
        raise ValidationError(_("已有情感模型正在训练，请等待其完成后再试。"))
    version = (models.aggregate(top=Max("version"))["top"] or 0) + 1
    model = SentimentModel.objects.create(
        tenant=tenant,
        version=version,
        status=SentimentModel.Status.TRAINING,
        created_by=actor_membership(tenant=tenant, actor=actor),
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="sentiment_model.train",
        target=model,
        changes={"version": version},
        ip_address=ip_address,
    )
    enqueue(
        "yuqing.monitoring.jobs.sentiment_model_train_job", tenant_id=tenant.pk, model_id=model.pk, job_timeout=1800
    )
    return model


@tenant_service(Permission.CONFIGURE)
def sentiment_model_activate(
    *, tenant: Tenant, actor: User | None, model: SentimentModel, ip_address: str | None = None
) -> SentimentModel:
    """Switch the tenant's scoring to `model` (admin; a ready version only)."""
    locked = get_for_tenant(SentimentModel.objects.for_tenant(tenant).select_for_update(), tenant=tenant, pk=model.pk)
    if locked.status != SentimentModel.Status.READY:
        raise ValidationError(_("只能启用训练完成的情感模型。"))
    if locked.is_active:
        return locked
    previous = SentimentModel.objects.for_tenant(tenant).filter(is_active=True).first()
    if previous is not None:
        previous.is_active = False
        previous.save(update_fields=["is_active"])
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="sentiment_model.activate",
        target=locked,
        changes={"model": {"old": str(previous) if previous else "default", "new": str(locked)}},
        ip_address=ip_address,
    )
    return locked


@tenant_service(Permission.CONFIGURE)
def sentiment_model_deactivate(
    *, tenant: Tenant, actor: User | None, ip_address: str | None = None
) -> SentimentModel | None:
    """Back to the shipped default model (admin); the version that was active, if any."""
    active = SentimentModel.objects.for_tenant(tenant).select_for_update().filter(is_active=True).first()
    if active is None:
        return None
    active.is_active = False
    active.save(update_fields=["is_active"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="sentiment_model.deactivate",
        target=active,
        changes={"model": {"old": str(active), "new": "default"}},
        ip_address=ip_address,
    )
    return active


# ---------------------------------------------------------------- training (the job's work)


@dataclass(frozen=True)
class Sample:
    words: list[str]
    label: str  # "neg" or "pos", snownlp's class names


@dataclass(frozen=True)
class Fit:
    data: dict[str, Any]
    accuracy: float
    default_accuracy: float
    base: str


def train_test_split(samples: list[tuple[int, Sample]]) -> tuple[list[Sample], list[Sample]]:
    """Deterministic and stratified: per class, ordered by id, every HOLD_OUT_EVERY-th is held out."""
    train: list[Sample] = []
    test: list[Sample] = []
    for label in ("neg", "pos"):
        ordered = sorted((pair for pair in samples if pair[1].label == label), key=lambda pair: pair[0])
        for index, (_pk, sample) in enumerate(ordered):
            (test if index % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 else train).append(sample)
    return train, test


def bayes_train(samples: list[Sample], *, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """snownlp's Bayes trained on `samples`, starting from `base`'s counts when given; its data."""
    from snownlp.classification.bayes import Bayes  # ~3 s the first time: snownlp loads all its models
    from snownlp.utils.frequency import AddOneProb

    bayes = Bayes()
    if base is not None:
        bayes.total = base["total"]
        for label, counts in base["d"].items():
            prob = AddOneProb()
            prob.__dict__ = {"d": dict(counts["d"]), "total": counts["total"], "none": counts["none"]}
            bayes.d[label] = prob
    bayes.train([[sample.words, sample.label] for sample in samples])
    return {"total": bayes.total, "d": {label: dict(prob.__dict__) for label, prob in bayes.d.items()}}


def accuracy(model: BayesSentiment, samples: list[Sample]) -> float:
    if not samples:
        return 0.0
    right = sum((model.positive(s.words) > 0.5) == (s.label == "pos") for s in samples)
    return right / len(samples)


def bayes_fit(train: list[Sample], test: list[Sample]) -> Fit:
    """Both candidates trained on `train`, the better on `test` kept, beside the default's accuracy."""
    default_accuracy = accuracy(default_sentiment(), test)
    best: Fit | None = None
    for base_name, base in ((BASE_TENANT_ONLY, None), (BASE_DEFAULT_PLUS_TENANT, default_model_data())):
        data = bayes_train(train, base=base)
        data["base"] = base_name  # ignored by snownlp's Bayes.load; says what the counts started from
        score = accuracy(BayesSentiment(data, name=base_name), test)
        if best is None or score >= best.accuracy:
            best = Fit(data=data, accuracy=score, default_accuracy=default_accuracy, base=base_name)
    assert best is not None
    return best


def _fail(model: SentimentModel, reason: str) -> SentimentModel:
    model.status = SentimentModel.Status.FAILED
    model.error = reason[:500]
    model.trained_at = timezone.now()
    model.save(update_fields=["status", "error", "trained_at"])
    return model


@tenant_service(None)
def sentiment_model_fit(*, tenant: Tenant, model: SentimentModel) -> SentimentModel:
    """Train `model` (a version in status training) on the tenant's labels; ready or failed."""
    rows = list(
        Mention.objects.for_tenant(tenant)
        .filter(labelled_polarity__in=[Polarity.NEGATIVE, Polarity.POSITIVE])
        .order_by("pk")
        .values_list("pk", "title", "body", "labelled_polarity")
    )
    negatives = sum(1 for row in rows if row[3] == Polarity.NEGATIVE)
    positives = len(rows) - negatives
    if negatives < MIN_PER_CLASS or positives < MIN_PER_CLASS:
        return _fail(
            model,
            _("标注样本不足：负面 %(neg)d 条、正面 %(pos)d 条，每类至少需要 %(min)d 条（中性标注不参与训练）。")
            % {"neg": negatives, "pos": positives, "min": MIN_PER_CLASS},
        )
    engine = engine_for(tenant)
    samples = [
        (pk, Sample(filter_stop(engine.words(title, body)), "neg" if polarity == Polarity.NEGATIVE else "pos"))
        for pk, title, body, polarity in rows
    ]
    train, test = train_test_split(samples)
    fit = bayes_fit(train, test)
    model.data = model_data_dump(fit.data)
    model.sample_count = len(train)
    model.test_count = len(test)
    model.accuracy = fit.accuracy
    model.default_accuracy = fit.default_accuracy
    model.status = SentimentModel.Status.READY
    model.error = ""
    model.trained_at = timezone.now()
    model.save(
        update_fields=[
            "data",
            "sample_count",
            "test_count",
            "accuracy",
            "default_accuracy",
            "status",
            "error",
            "trained_at",
        ]
    )
    logger.info(
        "sentiment model v%s of tenant %s: %s, accuracy %.3f (default %.3f) on %d held out",
        model.version,
        tenant.pk,
        fit.base,
        fit.accuracy,
        fit.default_accuracy,
        len(test),
    )
    return model


# Not one transaction: a fit that fails is recorded as failed after its own transaction rolled back.
@tenant_service(None, atomic=False)
def sentiment_model_train_run(*, tenant: Tenant, model_id: int) -> SentimentModel | None:
    """The job's body: train the version if it is still waiting; an unexpected error fails it."""
    model = SentimentModel.objects.for_tenant(tenant).filter(pk=model_id).first()
    if model is None or model.status != SentimentModel.Status.TRAINING:
        return model
    try:
        return sentiment_model_fit(tenant=tenant, model=model)
    except Exception:
        logger.exception("training sentiment model %s of tenant %s failed", model_id, tenant.pk)
        return _fail(model, _("训练过程出错，请稍后重试或联系系统管理员。"))
