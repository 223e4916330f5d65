"""URLs of customer pages (names join the customers: namespace)."""

urlpatterns: list = []
