from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    label = "training"
    verbose_name = _("培训与演练")

    def ready(self) -> None:
        # The emergency plans an incident of severity I/II may launch (incidents.services.plans).
        from training.services.launch import provider_register

        provider_register()
