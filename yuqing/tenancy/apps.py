from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "yuqing.tenancy"
    label = "tenancy"
    verbose_name = _("租户与成员")
