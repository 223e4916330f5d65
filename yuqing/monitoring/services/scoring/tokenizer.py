"""jieba tokenizers: the main dictionary loaded once per process, one tokenizer per tenant on top.

Loading jieba's main dictionary costs about a second (a prefix dictionary of ~500,000 entries,
from its marshal cache when present). It is loaded once per process; a tenant's tokenizer starts
from a copy of it (`dict(...)`: ~10 ms, ~20 MB) and adds the tenant's own words — customer names,
short names and aliases, dictionary words, keyword terms — so no tenant reloads the file and no
tenant's words reach another's segmentation.

`LogTokenizer` is jieba's tokenizer with one change for speed: its FREQ holds each word's
log-probability (log(freq) − log(total)) instead of its count, so the dynamic programme of `calc`
(jieba's hot loop: a `log()` per candidate word) looks values up instead. Prefix-only entries stay
0 (falsy), as in jieba, so `get_DAG`, `cut` and the HMM path work unchanged and segment exactly as
jieba does. Two deliberate differences: user words do not add to the total (in jieba each
`add_word` raises it, so a tenant with 100,000 customer names would segment everything else
differently from a tenant with ten), and `add_word` takes the frequency as a count, as jieba's does.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable

import jieba

jieba.setLogLevel(logging.WARNING)

# High enough that a user word beats any split of it into dictionary words (a word of frequency
# f wins over two pieces once f/total > p1·p2, i.e. from a few hundred on), as jieba's own docs
# suggest for user dictionaries (`套路贷 2000 n`).
USER_WORD_FREQ = 3000
# Longer than this is a company's full legal name, which segmentation gains nothing from.
MAX_USER_WORD = 30


class LogTokenizer(jieba.Tokenizer):
    """A jieba tokenizer whose FREQ maps words to log-probabilities (see the module docstring)."""

    unseen: float = 0.0  # log(1) − log(total): what jieba gives a fragment not in the dictionary

    def calc(self, sentence: str, DAG: dict[int, list[int]], route: dict[int, tuple[float, int]]) -> None:
        count = len(sentence)
        route[count] = (0.0, 0)
        get = self.FREQ.get
        unseen = self.unseen
        for idx in range(count - 1, -1, -1):
            ends = DAG[idx]
            if len(ends) == 1:  # most characters start one candidate only: no max() needed
                end = ends[0]
                route[idx] = ((get(sentence[idx : end + 1]) or unseen) + route[end + 1][0], end)
            else:
                route[idx] = max(((get(sentence[idx : x + 1]) or unseen) + route[x + 1][0], x) for x in ends)

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        """Add `word` with a count `freq` (USER_WORD_FREQ by default); a known word keeps the higher."""
        count = USER_WORD_FREQ if freq is None else int(freq)
        if count <= 0:
            raise ValueError("LogTokenizer cannot delete words")
        log_probability = math.log(count) + self.unseen
        current = self.FREQ.get(word)
        self.FREQ[word] = max(current, log_probability) if current else log_probability
        if tag:
            self.user_word_tag_tab[word] = tag
        for end in range(1, len(word)):
            self.FREQ.setdefault(word[:end], 0.0)


_lock = threading.Lock()
_base: tuple[dict[str, float], int] | None = None


def dictionary_load() -> tuple[dict[str, float], int]:
    """jieba's main dictionary as log-probabilities, and its total: loaded once per process."""
    global _base
    if _base is None:
        with _lock:
            if _base is None:
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                log_total = math.log(tokenizer.total)
                log = math.log
                _base = (
                    {word: (log(freq) - log_total) if freq else 0.0 for word, freq in tokenizer.FREQ.items()},
                    tokenizer.total,
                )
    return _base


def tenant_tokenizer(words: Iterable[str]) -> LogTokenizer:
    """A tokenizer with the main dictionary plus `words`, built without reading any file."""
    log_freq, total = dictionary_load()
    tokenizer = LogTokenizer()
    tokenizer.FREQ = dict(log_freq)
    tokenizer.total = total
    tokenizer.unseen = -math.log(total)
    tokenizer.initialized = True
    for word in words:
        word = word.strip()
        if 2 <= len(word) <= MAX_USER_WORD:
            tokenizer.add_word(word)
    return tokenizer
