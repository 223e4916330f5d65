"""The training app's services, one module per area, behind `@tenant_service`; course services re-exported."""

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
