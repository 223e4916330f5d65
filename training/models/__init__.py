"""Models of the training app, one module per concern; this package re-exports them."""

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

__all__ = [
    "Attendance",
    "Certification",
    "Course",
    "CourseDepartment",
    "CourseRole",
    "Topic",
    "TrainingPlanItem",
    "TrainingReminder",
    "TrainingSession",
]
