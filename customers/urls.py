from django.urls import include, path

app_name = "customers"

urlpatterns = [
    path("", include("customers.views.customer_urls")),
    path("feedback/", include("customers.views.feedback_urls")),
]
