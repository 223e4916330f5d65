"""URLs of feedback and complaint pages (names join the customers: namespace)."""

from django.urls import path

from customers.views import feedback as views

urlpatterns = [
    path("", views.feedback_list, name="feedback-list"),
    path("new/", views.feedback_create, name="feedback-create"),
    path("<int:pk>/", views.feedback_detail, name="feedback-detail"),
    path("<int:pk>/transition/", views.feedback_transition, name="feedback-transition"),
    path("<int:pk>/extend/", views.feedback_extend, name="feedback-extend"),
    path("<int:pk>/assign/", views.feedback_assign, name="feedback-assign"),
    path("<int:pk>/escalate/", views.feedback_escalate, name="feedback-escalate"),
]
