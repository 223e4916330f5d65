"""URLs of the customer and feedback pages (names in the customers: namespace)."""

from django.urls import path

from customers.views import customer_imports as imports
from customers.views import customers as views
from customers.views import feedback

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer-list"),
    path("export.csv", views.customer_export, name="customer-export"),
    path("new/", views.customer_create, name="customer-create"),
    path("import/", imports.customer_import, name="customer-import"),
    path("import/<str:token>/", imports.customer_import_preview, name="customer-import-preview"),
    path("import/<str:token>/confirm/", imports.customer_import_confirm, name="customer-import-confirm"),
    path("import/template.csv", imports.customer_import_template, name="customer-import-template"),
    path("<int:pk>/", views.customer_detail, name="customer-detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path("<int:pk>/reveal/", views.customer_reveal, name="customer-reveal"),
    path("<int:pk>/tier/", views.customer_tier_override, name="customer-tier-override"),
    path("<int:pk>/contacts/new/", views.contact_add, name="customer-contact-add"),
    path("<int:pk>/contacts/<int:contact_pk>/", views.contact_edit, name="customer-contact-edit"),
    path("<int:pk>/contacts/<int:contact_pk>/reveal/", views.contact_reveal, name="customer-contact-reveal"),
    path("<int:pk>/guarantees/new/", views.guarantee_add, name="customer-guarantee-add"),
    path("<int:pk>/guarantees/<int:guarantee_pk>/remove/", views.guarantee_remove, name="customer-guarantee-remove"),
    path("feedback/", feedback.feedback_list, name="feedback-list"),
    path("feedback/new/", feedback.feedback_create, name="feedback-create"),
    path("feedback/<int:pk>/", feedback.feedback_detail, name="feedback-detail"),
    path("feedback/<int:pk>/transition/", feedback.feedback_transition, name="feedback-transition"),
    path("feedback/<int:pk>/extend/", feedback.feedback_extend, name="feedback-extend"),
    path("feedback/<int:pk>/assign/", feedback.feedback_assign, name="feedback-assign"),
    path("feedback/<int:pk>/escalate/", feedback.feedback_escalate, name="feedback-escalate"),
]
