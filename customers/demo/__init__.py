"""Demo data of the customers app: customers with their groups and tiers, then feedback and complaints."""

from customers.demo.customers import (
    DEMO_STEPS,
    make_credit_code,
    make_id_number,
    make_mobile,
    seed_customers,
    seed_customers_and_feedback,
)
from customers.demo.feedback import DEMO_ITEMS, receipt_due_by, seed_feedback

__all__ = [
    "DEMO_ITEMS",
    "DEMO_STEPS",
    "make_credit_code",
    "make_id_number",
    "make_mobile",
    "receipt_due_by",
    "seed_customers",
    "seed_customers_and_feedback",
    "seed_feedback",
]
