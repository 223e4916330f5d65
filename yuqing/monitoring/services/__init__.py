"""The monitoring writes and the rules behind them, one module per entity or concern: sources and
rules, tokens, ingestion and crawler files, feeds, triage, the lexicon, sentiment models, `scoring`
(risk scores of mentions) and `warnings` (stories, risk warnings, their routing and the analysts'
actions on them).

Import the submodules themselves: nothing is re-exported here, as scoring pulls in jieba and snownlp.
"""
