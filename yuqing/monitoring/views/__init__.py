"""The monitoring pages: the live mention stream, mention detail and triage, the warnings board,
the dashboard, manual entry and crawler-file upload, and the monitoring settings.

Thin views: reads through yuqing.monitoring.selectors, writes through the services (triage,
sources, ingestion, tokens, warnings, sentiment models), which check roles again. Every object page
looks its object up in the request's tenant first, so another tenant's object is a 404 whatever
the method.
"""
