from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    label = "incidents"
    verbose_name = _("舆情事件")

    def ready(self) -> None:
        # The customers app (a lower layer) escalates feedback through whatever opener is registered.
        from customers.services.feedback import incident_opener_register
        from incidents.services.incidents import open_incident_for_escalated_feedback

        incident_opener_register(open_incident_for_escalated_feedback)
