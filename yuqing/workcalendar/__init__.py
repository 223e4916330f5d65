"""The tenant business calendar and deadline arithmetic, shared by complaints and SLA timers.

How other apps use it:

    from yuqing.workcalendar.deadlines import ClockKind, deadline_info, elapsed_share
    from yuqing.workcalendar.selectors import calendar_for_tenant

    cal = calendar_for_tenant(tenant=tenant)  # two queries; build once per request or job
    due = deadline_info(cal, ClockKind.BUSINESS_HOURS, received_at, timedelta(hours=8), pauses)
    due.at                # aware, in the tenant's time zone
    due.fallback_years    # non-empty: some working days were guessed (Mon–Fri); show a warning
    due.computed_years    # non-empty: statutory holidays computed from the rules (no 调休 known)
    due.basis             # "" / "computed" / "fallback": store it beside the deadline
                          # (models.deadline_basis_field) and show templates/workcalendar/_deadline_basis.html

Complaint policies (CBIRC 2020 No. 3 and others) are plain data in `complaint_limits`; the
customers app stores the chosen code and calls `complaint_time_limit(code).due_at(...)`.
Holiday schedules are loaded per tenant in the portal (节假日安排: an admin pastes or uploads the
State Council's yearly notice, previews what was read, confirms; `services/notice.py` parses it), with
`manage.py load_holidays --tenant SLUG FILE.csv`, or edited in the admin. Years with none of these
and no chinese-calendar data get their statutory days from `statutory.py` (2025 rules).
The rules themselves are written down in `deadlines.py`'s docstring.
"""
