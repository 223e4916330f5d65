"""Complaint time-limit templates: the regulatory rules, each with its legal basis, as plain data.

The customers app stores the `code` of the policy a tenant chose (opt-in: these rules protect
individual consumers, and corporate borrowers may be outside them) and the extension stage a
complaint has reached; the due time comes from `due_at()` on the tenant's calendar.

A rule's stages are cumulative limits counted from the receipt: stage 0 is the ordinary limit,
each later stage an extension with the conditions the firm must meet to use it. There is no stage
past the last one, so "never beyond 60 days" is a property of the data, not of the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yuqing.workcalendar.deadlines import Calendar, ClockKind, Deadline, Span, deadline_info

CIVIL_CODE_COUNTING = _(
    "期间计算依《中华人民共和国民法典》第二百零一条（开始的当日不计入，自下一日开始计算）、"
    "第二百零三条（期间的最后一日是法定休假日的，以法定休假日结束的次日为最后一日；最后一日的截止时间为二十四时）。"
)


@dataclass(frozen=True)
class LimitStage:
    days: int  # the total limit at this stage, counted from the receipt
    label: str | Promise
    conditions: tuple[str | Promise, ...] = ()


@dataclass(frozen=True)
class ComplaintTimeLimit:
    code: str
    name: str | Promise
    clock: ClockKind
    stages: tuple[LimitStage, ...]
    legal_basis: str | Promise
    scope: str | Promise = ""
    is_confirmed: bool = True
    caveat: str | Promise = ""

    def __post_init__(self) -> None:
        if not self.clock.counts_days:
            raise ValueError("Complaint time limits are counted in days.")
        totals = [stage.days for stage in self.stages]
        if not totals or totals != sorted(set(totals)):
            raise ValueError("Stages must be a non-empty list of growing totals.")

    @property
    def counting_basis(self) -> str | Promise:
        return CIVIL_CODE_COUNTING

    @property
    def base_days(self) -> int:
        return self.stages[0].days

    @property
    def max_days(self) -> int:
        return self.stages[-1].days

    @property
    def last_stage(self) -> int:
        return len(self.stages) - 1

    def days_for(self, stage: int) -> int:
        if not 0 <= stage <= self.last_stage:
            raise ValueError(
                f"{self.code} has stages 0–{self.last_stage}; stage {stage} would pass the {self.max_days}-day limit."
            )
        return self.stages[stage].days

    def due_at(
        self, cal: Calendar, received_at: dt.datetime, *, stage: int = 0, pauses: Iterable[Span] = ()
    ) -> Deadline:
        return deadline_info(cal, self.clock, received_at, self.days_for(stage), pauses)


CBIRC_2020 = ComplaintTimeLimit(
    code="cbirc_2020_3",
    name=_("银行业保险业消费投诉处理管理办法（15 日）"),
    clock=ClockKind.CALENDAR_DAYS,
    stages=(
        LimitStage(15, _("自收到投诉之日起 15 日内作出处理决定并告知投诉人")),
        LimitStage(30, _("情况复杂的，延长至 30 日"), (_("记录延长理由"), _("告知投诉人"))),
        LimitStage(
            60,
            _("情况特别复杂或有其他特殊原因的，再延长 30 日，累计不超过 60 日"),
            (_("经上级机构或总行、总公司高级管理人员审批"), _("告知投诉人")),
        ),
    ),
    legal_basis=_("《银行业保险业消费投诉处理管理办法》（中国银保监会令 2020 年第 3 号）关于消费投诉处理时限的规定。"),
    scope=_("银行保险机构处理消费者因购买产品或接受服务提出的消费投诉。"),
)

CBRC_2012 = ComplaintTimeLimit(
    code="cbrc_2012",
    name=_("银监会 2012 年客户投诉处理通知（15 个工作日）"),
    clock=ClockKind.WORKING_DAYS,
    stages=(
        LimitStage(15, _("15 个工作日内处理完毕"), (_("受理时告知客户处理时限"),)),
        LimitStage(60, _("特殊情况延长，最长不超过 60 个工作日"), (_("记录延长理由"), _("告知客户"))),
    ),
    legal_basis=_(
        "《中国银监会关于完善银行业金融机构客户投诉处理机制切实做好金融消费者保护工作的通知》（2012 年），"
        "为 2020 年《银行业保险业消费投诉处理管理办法》的前身规定。"
    ),
    scope=_("沿用 2012 年通知口径的内部制度。"),
)

CONSUMER_LAW_46 = ComplaintTimeLimit(
    code="consumer_law_46",
    name=_("消费者权益保护法第四十六条（7 个工作日）"),
    clock=ClockKind.WORKING_DAYS,
    stages=(LimitStage(7, _("自收到投诉之日起 7 个工作日内予以处理并告知消费者")),),
    legal_basis=_(
        "《中华人民共和国消费者权益保护法》第四十六条：消费者向有关行政部门投诉的，"
        "该部门应当自收到投诉之日起七个工作日内，予以处理并告知消费者。"
    ),
    scope=_("约束的是受理投诉的行政部门；金融机构可作为从严的内部时限选用。"),
)

PBOC_2020 = ComplaintTimeLimit(
    code="pboc_2020",
    name=_("中国人民银行金融消费者权益保护实施办法（2020，时限待核实）"),
    clock=ClockKind.CALENDAR_DAYS,
    stages=(LimitStage(15, _("按 15 日处理（常见概括，未经核实）")),),
    legal_basis=_("《中国人民银行金融消费者权益保护实施办法》（2020 年）。"),
    scope=_("人民银行监管的金融机构（如支付机构）处理金融消费者投诉。"),
    is_confirmed=False,
    caveat=_("该办法规定的处理时限尚未核实，15 日为常见概括；启用前请对照原文确认，必要时改用其他模板。"),
)

COMPLAINT_TIME_LIMITS: dict[str, ComplaintTimeLimit] = {
    rule.code: rule for rule in (CBIRC_2020, CBRC_2012, CONSUMER_LAW_46, PBOC_2020)
}
# What a tenant gets when it turns the complaint clock on without choosing (DESIGN: 15 days).
DEFAULT_CODE = CBIRC_2020.code


def complaint_time_limit(code: str) -> ComplaintTimeLimit:
    try:
        return COMPLAINT_TIME_LIMITS[code]
    except KeyError:
        raise ValueError(f"Unknown complaint time limit {code!r}.") from None


def complaint_time_limit_choices() -> list[tuple[str, str | Promise]]:
    """For a model field's `choices` in the app that stores the tenant's chosen policy."""
    return [(rule.code, rule.name) for rule in COMPLAINT_TIME_LIMITS.values()]
