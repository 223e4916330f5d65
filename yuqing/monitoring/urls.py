"""URLs of the monitoring portal (names join the monitoring: namespace), and of the JSON ingestion
API (token-authenticated, no session), which yuqing/urls.py mounts at /api/v1/ (names join api:)."""

from django.urls import path

from yuqing.monitoring.views import (
    api,
    channels,
    dashboard,
    intake,
    mentions,
    sentiment,
    settings,
    tokens,
    warnings_board,
)

app_name = "monitoring"

urlpatterns = [
    path("", mentions.mention_list, name="mention-list"),
    path("live/", mentions.mention_live, name="mention-live"),
    path("customer-options/", mentions.customer_options, name="customer-options"),
    path("new/", intake.mention_create, name="mention-create"),
    path("upload/", intake.crawler_upload, name="crawler-upload"),
    path("<int:pk>/", mentions.mention_detail, name="mention-detail"),
    path("<int:pk>/triage/", mentions.mention_triage, name="mention-triage"),
    path("<int:pk>/escalate/", mentions.mention_escalate, name="mention-escalate"),
    path("<int:pk>/reveal/", mentions.mention_reveal, name="mention-reveal"),
    path("warnings/", warnings_board.warning_board, name="warning-board"),
    path("warnings/<int:pk>/", warnings_board.warning_detail, name="warning-detail"),
    path("warnings/<int:pk>/acknowledge/", warnings_board.warning_acknowledge_view, name="warning-acknowledge"),
    path("warnings/<int:pk>/close/", warnings_board.warning_close_view, name="warning-close"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("settings/sources/", settings.source_list, name="source-list"),
    path("settings/sources/new/", settings.source_create, name="source-create"),
    path("settings/sources/<int:pk>/", settings.source_edit, name="source-edit"),
    path("settings/sources/<int:pk>/pause/", settings.source_pause, name="source-pause"),
    path("settings/rules/", settings.rule_list, name="rule-list"),
    path("settings/rules/new/", settings.rule_create, name="rule-create"),
    path("settings/rules/seed/", settings.rule_seed, name="rule-seed"),
    path("settings/rules/<int:pk>/", settings.rule_edit, name="rule-edit"),
    path("settings/rules/<int:pk>/toggle/", settings.rule_toggle, name="rule-toggle"),
    path("settings/policy/", settings.policy_edit, name="policy-edit"),
    path("settings/channels/", channels.channel_list, name="channel-list"),
    path("settings/channels/new/", channels.channel_create_view, name="channel-create"),
    path("settings/channels/<int:pk>/", channels.channel_detail, name="channel-detail"),
    path("settings/channels/<int:pk>/edit/", channels.channel_edit, name="channel-edit"),
    path("settings/channels/<int:pk>/test/", channels.channel_test, name="channel-test"),
    path("settings/deliveries/<int:pk>/retry/", channels.delivery_retry, name="delivery-retry"),
    path("settings/routes/", channels.route_list, name="route-list"),
    path("settings/routes/new/", channels.route_create, name="route-create"),
    path("settings/routes/<int:pk>/", channels.route_edit, name="route-edit"),
    path("settings/routes/<int:pk>/toggle/", channels.route_toggle, name="route-toggle"),
    path("settings/tokens/", tokens.token_list, name="token-list"),
    path("settings/tokens/<int:pk>/rotate/", tokens.token_rotate, name="token-rotate"),
    path("settings/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
    path("settings/models/", sentiment.model_list, name="model-list"),
    path("settings/models/train/", sentiment.model_train, name="model-train"),
    path("settings/models/default/", sentiment.model_default, name="model-default"),
    path("settings/models/<int:pk>/activate/", sentiment.model_activate, name="model-activate"),
]

api_urlpatterns = (
    [
        path("mentions", api.mentions_create, name="mentions"),
        path("openapi.json", api.openapi, name="openapi"),
    ],
    "api",
)
