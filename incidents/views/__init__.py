"""The incident pages: list, board, detail and the actions on one incident, tasks, evidence.

Thin views: reads through incidents.selectors, writes through incidents.services, which check
roles and rules again. Every object page looks its object up in the request's tenant first, so
another tenant's object is a 404 whatever the method (POST-only actions too: views.common.post_to).
"""
