"""Each tenant's engine (tokenizer + matcher) and sentiment model, cached per process.

An engine is rebuilt when the tenant's words change, without a restart: every batch reads a
version stamp in four small queries — the active keyword rules and the dictionary words themselves
(a few hundred rows: every edit shows, in-place ones included), and count / highest id / latest
`updated_at` of the customers and count / highest id of the aliases (aliases are replaced, never
edited in place, so a change always moves one of those). A changed stamp rebuilds the matcher;
the jieba tokenizer (the costly part, ~20 MB) is rebuilt only when the set of words changed.

The sentiment model is the tenant's active SentimentModel when there is one (cached by its id),
else snownlp's shipped model.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import jieba
from django.db.models import Count, Max

from customers.models import Customer, CustomerAlias
from customers.selectors.customers import customer_match_names
from yuqing.monitoring.models import DictionaryWord, KeywordRule, SentimentModel
from yuqing.monitoring.services.scoring.engine import MIN_NAME_LENGTH, Engine, Matcher, Rule
from yuqing.monitoring.services.scoring.sentiment import BayesSentiment, default_sentiment, model_data_load
from yuqing.monitoring.services.scoring.tokenizer import tenant_tokenizer
from yuqing.tenancy.models import Tenant

# Engines kept per process (least recently used dropped first): each holds a copy of jieba's
# dictionary, so a worker serving many tenants stays within a few hundred MB.
ENGINE_CACHE_SIZE = 16
MODEL_CACHE_SIZE = 32


@dataclass
class _Cached:
    stamp: tuple
    words_key: int
    words: frozenset[str]
    tokenizer: jieba.Tokenizer
    engine: Engine


_lock = threading.Lock()
_engines: OrderedDict[int, _Cached] = OrderedDict()
_models: OrderedDict[tuple, BayesSentiment] = OrderedDict()


def _rules(tenant: Tenant) -> list[tuple]:
    return list(
        KeywordRule.objects.for_tenant(tenant)
        .filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "term", "kind", "category", "weight", "field")
    )


def _stamp(tenant: Tenant) -> tuple[tuple, list[tuple], list[str]]:
    rules = _rules(tenant)
    if not rules and not KeywordRule.objects.for_tenant(tenant).exists():
        # A new tenant starts from the seed lexicon (a tenant that switched every rule off does not).
        from yuqing.monitoring.services.lexicon import keyword_rules_seed

        keyword_rules_seed(tenant=tenant)
        rules = _rules(tenant)
    words = list(DictionaryWord.objects.for_tenant(tenant).order_by("pk").values_list("word", flat=True))
    customers = Customer.objects.for_tenant(tenant).aggregate(n=Count("pk"), top=Max("pk"), at=Max("updated_at"))
    aliases = CustomerAlias.objects.for_tenant(tenant).aggregate(n=Count("pk"), top=Max("pk"))
    stamp = (
        tuple(rules),
        tuple(words),
        (customers["n"], customers["top"], customers["at"]),
        (aliases["n"], aliases["top"]),
    )
    return stamp, rules, words


def engine_build(*, rules: list[Rule], names: list[tuple[int, str]], words: list[str], tokenizer=None) -> Engine:
    """An engine from plain data (what the cache and the benchmarks use)."""
    if tokenizer is None:
        tokenizer = tenant_tokenizer(_user_words(rules, names, words))
    customer_names: dict[int, str] = {}
    for customer_id, text in names:
        customer_names.setdefault(customer_id, text)
    return Engine(tokenizer=tokenizer, matcher=Matcher(rules, names), customer_names=customer_names)


def _user_words(rules: list[Rule], names: list[tuple[int, str]], words: list[str]) -> frozenset[str]:
    found = {rule.term.strip() for rule in rules}
    found.update(text.strip() for _, text in names if len((text or "").strip()) >= MIN_NAME_LENGTH)
    found.update(word.strip() for word in words)
    found.discard("")
    return frozenset(found)


def engine_for(tenant: Tenant) -> Engine:
    """The tenant's engine, rebuilt when its rules, dictionary or customers changed."""
    stamp, rule_rows, words = _stamp(tenant)
    with _lock:
        cached = _engines.get(tenant.pk)
        if cached is not None and cached.stamp == stamp:
            _engines.move_to_end(tenant.pk)
            return cached.engine
    rules = [
        Rule(term=term, kind=kind, category=category, weight=weight, field=field)
        for _, term, kind, category, weight, field in rule_rows
    ]
    # Customer names first (source "name"), so Engine.customer_names holds the legal name.
    match_names = sorted(customer_match_names(tenant=tenant), key=lambda n: n.source != "name")
    names = [(n.customer_id, n.text) for n in match_names]
    user_words = _user_words(rules, names, words)
    words_key = hash(user_words)
    if cached is not None and cached.words_key == words_key and cached.words == user_words:
        tokenizer = cached.tokenizer
    else:
        tokenizer = tenant_tokenizer(user_words)
    engine = engine_build(rules=rules, names=names, words=words, tokenizer=tokenizer)
    with _lock:
        _engines[tenant.pk] = _Cached(stamp, words_key, user_words, tokenizer, engine)
        _engines.move_to_end(tenant.pk)
        while len(_engines) > ENGINE_CACHE_SIZE:
            _engines.popitem(last=False)
    return engine


def sentiment_for(tenant: Tenant) -> BayesSentiment:
    """The tenant's active model (named "v3"), or the shipped default (named "default")."""
    active = (
        SentimentModel.objects.for_tenant(tenant)
        .filter(is_active=True, status=SentimentModel.Status.READY)
        .values_list("pk", "version", "trained_at")
        .first()
    )
    if active is None:
        return default_sentiment()
    key = (tenant.pk, active[0], active[2])  # trained_at too: ids of a rolled-back test database come back
    with _lock:
        model = _models.get(key)
        if model is not None:
            _models.move_to_end(key)
            return model
    data = SentimentModel.objects.for_tenant(tenant).values_list("data", flat=True).get(pk=active[0])
    if not data:
        return default_sentiment()
    model = BayesSentiment(model_data_load(data), name=f"v{active[1]}")
    with _lock:
        _models[key] = model
        while len(_models) > MODEL_CACHE_SIZE:
            _models.popitem(last=False)
    return model


def caches_clear() -> None:
    """Forget every cached engine and model (tests)."""
    with _lock:
        _engines.clear()
        _models.clear()
