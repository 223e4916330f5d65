"""Monitoring's writes: `scoring` (risk scores of mentions) and `warnings` (stories, risk warnings,
their routing and the analysts' actions on them).

Import the submodules themselves: nothing is re-exported here, as scoring pulls in jieba and snownlp.
"""
