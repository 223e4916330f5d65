"""Near-duplicate text: bottom-k MinHash sketches of character 3-gram shingles. Pure: no database.

A sketch is the SKETCH_SIZE smallest CRC-32 values of a text's shingles (punctuation, spaces and
URLs removed, lower-cased). It is stable across processes (no per-process hash seed), small
enough to keep in a story's signature JSON, and two sketches estimate the Jaccard similarity of
the shingle sets they came from: a repost with a changed prefix, a few words edited or a URL
added still scores about 0.7–0.9, an unrelated text about 0. Texts shorter than MIN_SHINGLES
shingles get no sketch: "逾期了" alone says nothing about which story it belongs to.
"""

from __future__ import annotations

import heapq
import math
import re
import zlib

SHINGLE = 3
SKETCH_SIZE = 32
MIN_SHINGLES = 8
NEAR_DUPLICATE = 0.6
# Only the start of a long text is sketched: reposts keep their beginning, and time stays bounded.
MAX_CHARS = 3000
_NOISE = re.compile(r"https?://\S+|[\W_]+")


def shingles(text: str) -> set[str]:
    cleaned = _NOISE.sub("", (text or "")[:MAX_CHARS].lower())
    return {cleaned[i : i + SHINGLE] for i in range(len(cleaned) - SHINGLE + 1)}


def sketch(text: str) -> list[int]:
    """The text's bottom-k sketch, ascending; empty for a text too short to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return []
    hashes = {zlib.crc32(gram.encode()) for gram in grams}
    return heapq.nsmallest(SKETCH_SIZE, hashes)


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two sketches (exact for short texts).

    Of the k smallest values of the union of both sketches (k the shorter sketch's length) the
    share found in both estimates |A ∩ B| / |A ∪ B|: those k are the k smallest of A ∪ B, and each
    belongs to A (or B) exactly when it is in A's (or B's) sketch.
    """
    if not a or not b:
        return 0.0
    if len(a) < SKETCH_SIZE and len(b) < SKETCH_SIZE:  # both whole shingle sets
        first, second = set(a), set(b)
        return len(first & second) / len(first | second)
    k = min(len(a), len(b))
    first, second = set(a), set(b)
    union = heapq.nsmallest(k, first | second)
    return sum(1 for value in union if value in first and value in second) / k


def is_near_duplicate(a: list[int], b: list[int]) -> bool:
    return similarity(a, b) >= NEAR_DUPLICATE


def min_shared(length_a: int, length_b: int) -> int:
    """How many values two sketches of these lengths must share to be near-duplicates at all.

    At similarity ≥ NEAR_DUPLICATE, at least that share of the k = min(lengths) smallest values of
    the union lie in both sketches (and for two whole sets, |A ∩ B| ≥ NEAR · |A ∪ B|), so sketches
    sharing fewer values need no estimate. Used to skip most comparisons cheaply.
    """
    # The epsilon keeps 0.6 × 10 from rounding up to 7 in floating point.
    return max(1, math.ceil(NEAR_DUPLICATE * min(length_a, length_b) - 1e-9))
