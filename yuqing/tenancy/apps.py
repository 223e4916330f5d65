from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "yuqing.tenancy"
    label = "tenancy"
    verbose_name = _("租户与成员")

    def ready(self) -> None:
        # The platform's system checks (CJK font for PDFs) register themselves on import.
        from yuqing import checks  # noqa: F401
