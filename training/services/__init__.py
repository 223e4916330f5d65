"""Services of the training app: every write and rule, behind `@tenant_service`."""

from training.services.courses import (
    AttendanceEntry,
    Audience,
    CourseData,
    RemindersResult,
    add_months,
    attendance_record,
    course_create,
    course_update,
    plan_item_add,
    required_audiences,
    session_schedule,
    training_reminders_send,
)

__all__ = [
    "AttendanceEntry",
    "Audience",
    "CourseData",
    "RemindersResult",
    "add_months",
    "attendance_record",
    "course_create",
    "course_update",
    "plan_item_add",
    "required_audiences",
    "session_schedule",
    "training_reminders_send",
]
