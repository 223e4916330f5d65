"""Risk scoring of mentions: jieba words, snownlp Bayes sentiment, keyword rules, reach, velocity,
customers. The service is `mentions_score`; `policy_for` gives a tenant's warning policy.

Modules: `engine` (pure: matching, sentiment, combining into score and explanation), `sentiment`
(the fast Bayes evaluation and the shipped model), `tokenizer` (jieba, main dictionary loaded once
per process), `tenant` (each tenant's engine and model, cached, rebuilt on change), `service` (the
batch, its queries and writes).
"""

from yuqing.monitoring.services.scoring.sentiment import NEGATIVE_BELOW, POSITIVE_ABOVE, polarity_for
from yuqing.monitoring.services.scoring.service import mentions_score, policy_for

__all__ = ["NEGATIVE_BELOW", "POSITIVE_ABOVE", "mentions_score", "polarity_for", "policy_for"]
