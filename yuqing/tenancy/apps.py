from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "yuqing.tenancy"
    label = "tenancy"
    verbose_name = _("租户与成员")

    def ready(self) -> None:
        # The platform's system checks (CJK font for PDFs) register themselves on import.
        from yuqing import checks  # noqa: F401

        # PostgreSQL: the app role's grants and every tenant table's row-level security, after migrate.
        from yuqing.postgres.rls import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="yuqing_postgres_rls")
