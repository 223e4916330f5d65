"""Sentiment accuracy on the labelled sets in ../shared/data/sentiment/, per set.

    .venv/bin/python tests/bench/bench_sentiment_accuracy.py
    options: --sample N (2000 per set, balanced; 0 = the whole set)  --seed N (20240601)

A script, not a test; no database. For each CSV (`label` 1 positive / 0 negative, `review`) it
takes a balanced sample, splits it 80/20 (shuffled with the seed), and prints the accuracy on the
20 % held out (threshold 0.5) of:
- snownlp's shipped model through snownlp's own segmenter (`SnowNLP(text).sentiments`: the naive
  path, for reference);
- the shipped model fed jieba's words, as scoring does (jieba with and without its HMM);
- snownlp's Bayes retrained on the 80 % with jieba words: on those samples alone ("tenant only",
  what training.py calls "tenant") and on the shipped counts plus those samples
  ("default+tenant") — training.py keeps whichever does better on a tenant's held-out fifth.
About a third of the hotel set is in snownlp's own training data, so the shipped model's figures
on it are optimistic; the delivery set does not overlap it. The data have no licence: they are
read here to measure, never shipped.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "sentiment"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=2000, help="balanced sample per set (0: all rows)")
    parser.add_argument("--seed", type=int, default=20240601)
    return parser.parse_args()


def load(path: Path, sample: int, rng: random.Random) -> list[tuple[str, str]]:
    """(text, "pos"|"neg") pairs: a balanced sample, shuffled."""
    with path.open(encoding="utf-8") as handle:
        rows = [(row["review"], "pos" if row["label"] == "1" else "neg") for row in csv.DictReader(handle)]
    rows = [row for row in rows if row[0] and row[0].strip()]
    positives = [row for row in rows if row[1] == "pos"]
    negatives = [row for row in rows if row[1] == "neg"]
    if sample:
        half = min(sample // 2, len(positives), len(negatives))
        positives, negatives = rng.sample(positives, half), rng.sample(negatives, half)
    chosen = positives + negatives
    rng.shuffle(chosen)
    return chosen


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yuqing.settings")
    import django

    django.setup()
    from yuqing.monitoring.services.scoring.sentiment import (
        BayesSentiment,
        default_model_data,
        default_sentiment,
        filter_stop,
    )
    from yuqing.monitoring.services.scoring.tokenizer import tenant_tokenizer
    from yuqing.monitoring.services.sentiment_models import Sample, accuracy, bayes_train

    started = time.perf_counter()
    from snownlp import SnowNLP

    print(f"snownlp imported in {time.perf_counter() - started:.1f} s")
    tokenizer = tenant_tokenizer(())
    default = default_sentiment()
    paths = sorted(DATA.glob("*.csv"))
    if not paths:
        sys.exit(f"no labelled sets in {DATA}")
    for path in paths:
        rng = random.Random(args.seed)
        rows = load(path, args.sample, rng)
        cut = len(rows) * 4 // 5
        train_rows, test_rows = rows[:cut], rows[cut:]
        print(f"\n{path.name}: {len(rows)} texts ({len(train_rows)} train / {len(test_rows)} held out)")

        started = time.perf_counter()
        right = sum((SnowNLP(text).sentiments > 0.5) == (label == "pos") for text, label in test_rows)
        naive_rate = len(test_rows) / (time.perf_counter() - started)
        print(f"  shipped model, snownlp segmenter:   {right / len(test_rows):.3f}  ({naive_rate:,.0f} texts/s)")

        results = {}
        for hmm in (False, True):
            started = time.perf_counter()
            test = [Sample(tokenizer.lcut(text, HMM=hmm), label) for text, label in test_rows]
            score = accuracy(default, test)
            rate = len(test_rows) / (time.perf_counter() - started)
            name = "with HMM" if hmm else "no HMM"
            print(f"  shipped model, jieba words {name:8}: {score:.3f}  ({rate:,.0f} texts/s, segmentation included)")
            train = [Sample(filter_stop(tokenizer.lcut(text, HMM=hmm)), label) for text, label in train_rows]
            for base_name, base in (("tenant only", None), ("default+tenant", "default")):
                data = bayes_train(train, base=default_model_data() if base else None)
                results[(base_name, name)] = accuracy(BayesSentiment(data), test)
        for (base_name, name), score in results.items():
            print(f"  retrained on the 80 %, {base_name:14} jieba {name:8}: {score:.3f}")
        # How many labels before the tenant's own counts beat the shipped ones (no HMM, as scoring).
        test = [Sample(tokenizer.lcut(text, HMM=False), label) for text, label in test_rows]
        train = [Sample(filter_stop(tokenizer.lcut(text, HMM=False)), label) for text, label in train_rows]
        curve = []
        for size in (40, 100, 200, 400, 800, len(train)):
            subset = train[:size]
            alone = accuracy(BayesSentiment(bayes_train(subset)), test)
            added = accuracy(BayesSentiment(bayes_train(subset, base=default_model_data())), test)
            curve.append(f"{size}: {alone:.3f} / {added:.3f}")
        print(f"  by training labels, tenant only / default+tenant: {'; '.join(curve)}")


if __name__ == "__main__":
    main()
