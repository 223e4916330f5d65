from customers.admin import customer_admin, feedback_admin  # noqa: F401
