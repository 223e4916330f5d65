"""URLs of feedback and complaint pages (names join the customers: namespace)."""

urlpatterns: list = []
