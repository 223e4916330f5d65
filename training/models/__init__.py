"""The training app's models, one module per area; the names are re-exported here."""

from training.models.courses import (
    Attendance,
    Certification,
    Course,
    CourseDepartment,
    CourseRole,
    Topic,
    TrainingPlanItem,
    TrainingReminder,
    TrainingSession,
)
from training.models.plans import (
    TARGET_MINUTES_MAX,
    EmergencyPlan,
    PlanStep,
    PlanVersion,
    Scenario,
    validate_clean_text,
)

__all__ = [
    "TARGET_MINUTES_MAX",
    "Attendance",
    "Certification",
    "Course",
    "CourseDepartment",
    "CourseRole",
    "EmergencyPlan",
    "PlanStep",
    "PlanVersion",
    "Scenario",
    "Topic",
    "TrainingPlanItem",
    "TrainingReminder",
    "TrainingSession",
    "validate_clean_text",
]
