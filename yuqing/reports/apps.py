from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "yuqing.reports"
    label = "reports"
    verbose_name = _("透明度报告")
