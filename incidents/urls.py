from django.urls import path

from incidents.views import handling, incidents, tasks

app_name = "incidents"

urlpatterns = [
    path("", incidents.incident_list, name="incident-list"),
    path("board/", incidents.incident_board, name="incident-board"),
    path("new/", incidents.incident_create, name="incident-create"),
    path("<int:pk>/", incidents.incident_detail, name="incident-detail"),
    path("<int:pk>/sla/", incidents.incident_sla, name="incident-sla"),
    path("<int:pk>/edit/", incidents.incident_edit, name="incident-edit"),
    path("<int:pk>/advance/", handling.incident_advance, name="incident-advance"),
    path("<int:pk>/save-phase/", handling.incident_save_phase, name="incident-save-phase"),
    path("<int:pk>/move-back/", handling.incident_move_back, name="incident-move-back"),
    path("<int:pk>/pause/", handling.incident_pause, name="incident-pause"),
    path("<int:pk>/resume/", handling.incident_resume, name="incident-resume"),
    path("<int:pk>/notes/", handling.incident_note, name="incident-note"),
    path("<int:pk>/plans/launch/", handling.incident_plan_launch, name="incident-plan-launch"),
    path("<int:pk>/review/", handling.incident_review, name="incident-review"),
    path("<int:pk>/evidence/", handling.evidence_add, name="evidence-add"),
    path("<int:pk>/tasks/", tasks.task_create, name="task-create"),
    path("evidence/<int:pk>/download/", handling.evidence_download, name="evidence-download"),
    path("actions/<int:pk>/complete/", handling.improvement_action_complete, name="improvement-action-complete"),
    path("tasks/", tasks.task_queue, name="task-queue"),
    path("tasks/mine/", tasks.my_tasks, name="my-tasks"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task-detail"),
    path("tasks/<int:pk>/status/", tasks.task_status, name="task-status"),
    path("tasks/<int:pk>/comments/", tasks.task_comment, name="task-comment"),
]
