"""Reads of the incidents app, each taking the tenant; nothing here writes.

- incidents: the list (through the list's filters), the board, one incident, tasks, the timeline,
  open improvement actions
- sla: the SLA state of an incident as query conditions, and the clocks as the detail page shows them
- choices: the tenant's active natures, departments, members and customers for forms and filters
"""

from incidents.selectors.choices import customer_choices, department_choices, member_choices, nature_choices
from incidents.selectors.incidents import (
    BOARD_CARDS,
    BOARD_PHASES,
    BoardColumn,
    improvement_actions_open,
    incident_board,
    incident_get,
    incident_list,
    my_tasks,
    task_queue,
    timeline,
)
from incidents.selectors.sla import (
    AT_RISK,
    BREACHED,
    ON_TRACK,
    PAUSED,
    SLA_STATE_CHOICES,
    ClockView,
    sla_clock_views,
    sla_state_annotation,
    sla_state_q,
)

__all__ = [
    "AT_RISK",
    "BOARD_CARDS",
    "BOARD_PHASES",
    "BREACHED",
    "ON_TRACK",
    "PAUSED",
    "SLA_STATE_CHOICES",
    "BoardColumn",
    "ClockView",
    "customer_choices",
    "department_choices",
    "improvement_actions_open",
    "incident_board",
    "incident_get",
    "incident_list",
    "member_choices",
    "my_tasks",
    "nature_choices",
    "sla_clock_views",
    "sla_state_annotation",
    "sla_state_q",
    "task_queue",
    "timeline",
]
