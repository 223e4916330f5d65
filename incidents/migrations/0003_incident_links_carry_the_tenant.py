"""Incident.departments / customers / feedback and TaskComment.mentions: their link tables become
tenant-owned through models. The rows stay; each gets its incident's (comment's) tenant."""

from django.db import migrations

from yuqing.tenancy.migration_ops import m2m_to_tenant_through


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_slaclock_calendar_basis"),
        ("customers", "0006_customer_links_carry_the_tenant"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        *m2m_to_tenant_through(
            app_label="incidents",
            owner="incident",
            field="departments",
            through="IncidentDepartment",
            db_table="incidents_incident_departments",
            source=("incident", "incidents.incident"),
            target=("department", "tenancy.department"),
            field_kwargs={"blank": True, "related_name": "incidents", "verbose_name": "参与部门"},
            constraint="incident_department_once",
            verbose_name="事件部门",
        ),
        *m2m_to_tenant_through(
            app_label="incidents",
            owner="incident",
            field="customers",
            through="IncidentCustomer",
            db_table="incidents_incident_customers",
            source=("incident", "incidents.incident"),
            target=("customer", "customers.customer"),
            field_kwargs={"blank": True, "related_name": "incidents", "verbose_name": "涉及客户"},
            constraint="incident_customer_once",
            verbose_name="事件客户",
        ),
        *m2m_to_tenant_through(
            app_label="incidents",
            owner="incident",
            field="feedback",
            through="IncidentFeedback",
            db_table="incidents_incident_feedback",
            source=("incident", "incidents.incident"),
            target=("feedback", "customers.feedback"),
            field_kwargs={"blank": True, "related_name": "incidents", "verbose_name": "关联反馈"},
            constraint="incident_feedback_once",
            verbose_name="事件反馈",
        ),
        *m2m_to_tenant_through(
            app_label="incidents",
            owner="taskcomment",
            field="mentions",
            through="TaskCommentMention",
            db_table="incidents_taskcomment_mentions",
            source=("taskcomment", "incidents.taskcomment"),
            target=("membership", "tenancy.membership"),
            field_kwargs={"blank": True, "related_name": "+"},
            constraint="task_comment_mention_once",
            verbose_name="评论提及",
        ),
    ]
