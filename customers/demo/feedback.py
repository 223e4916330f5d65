"""Demo feedback and complaints for a lending firm, in every status, through the real services.

`seed_feedback` is idempotent: an item is looked up by its subject and created only when missing.
Receipt times are set relative to now, so a fresh seed always has items overdue, items due soon,
items extended once and twice, escalated ones and ones from people who are not customers.

The items meant to be overdue or due soon are placed by their due time, not by a fixed age: the
due time is counted on the tenant's calendar (CBIRC 2020: 15 calendar days, rolled past a holiday
that ends the period), so "received 13 days ago" may be due tomorrow in June and in a week over
Spring Festival. `due_in_days` asks for the latest receipt whose due time is at most that far from
now. Over a long holiday no due time can fall within the next three days (they all land at the
end of a working day), so the demo then has nothing "due soon": the calendar leaves no such item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from customers.models import ComplaintPolicy, Customer, Feedback
from customers.services import feedback as services
from customers.services.policies import complaint_policies_ensure, complaint_policy_default, policy_deadline
from yuqing.tenancy.models import Department, Membership, Tenant, User
from yuqing.tenancy.roles import Permission, has_permission
from yuqing.workcalendar.deadlines import Calendar
from yuqing.workcalendar.selectors import calendar_for_tenant

K, C, Cat, S = Feedback.Kind, Feedback.Channel, Feedback.Category, Feedback.Status


@dataclass(frozen=True)
class DemoItem:
    subject: str
    content: str
    kind: str
    channel: str
    category: str
    days_ago: float  # received this long before the seed runs, unless due_in_days places it
    status: str
    extensions: tuple[float, ...] = ()  # for each extension: days after receipt the customer was told
    unknown: tuple[str, str] | None = None  # (name, mobile) of a reporter who is not a customer
    resolution: str = ""
    satisfaction: int | None = None
    due_in_days: float | None = None  # received so that it is due this many days from now (negative: overdue)


DEMO_ITEMS: tuple[DemoItem, ...] = (
    DemoItem(
        "放款进度慢，项目工期受影响",
        "我司项目贷款审批已于上月通过，但至今未放款，客户经理只说在走流程。施工方已催要进度款，"
        "请明确放款时间并说明卡在哪个环节。",
        K.COMPLAINT,
        C.PHONE,
        Cat.RULES,
        13.2,
        S.ACKNOWLEDGED,
        due_in_days=2.9,
    ),
    DemoItem(
        "提前还款违约金计算有异议",
        "申请提前结清融资租赁款，贵司按剩余本金 3% 收取违约金。合同第十二条写的是按剩余租金 2%，"
        "请按合同重新核算并书面答复。",
        K.COMPLAINT,
        C.EMAIL,
        Cat.CONTRACT,
        20.0,
        S.IN_PROGRESS,
        due_in_days=-5.0,
    ),
    DemoItem(
        "催收电话骚扰家人和同事",
        "本人仅逾期 5 天，催收人员一天内给我父母、同事打了十几个电话，言语威胁。要求立即停止联系"
        "第三方并道歉，否则向监管部门投诉并在网上曝光。",
        K.COMPLAINT,
        C.SOCIAL_MEDIA,
        Cat.COLLECTION,
        2.4,
        S.ESCALATED,
    ),
    DemoItem(
        "实际执行利率与合同约定不一致",
        "合同约定年化利率 4.35%，近三期扣款折算约 5.1%。客服解释为“服务费”，但合同未列明该项费用，"
        "请退还多收部分并提供费用明细。",
        K.COMPLAINT,
        C.BRANCH,
        Cat.PRICING,
        18.0,
        S.IN_PROGRESS,
        extensions=(9.0,),
    ),
    DemoItem(
        "征信报送逾期记录有误",
        "2025 年 6 月的还款已按时到账（有银行回单），征信报告却显示当月逾期，影响我申请房贷。"
        "请核查更正并向征信中心报送异议处理结果。",
        K.COMPLAINT,
        C.REGULATOR,
        Cat.INFO_SECURITY,
        40.0,
        S.IN_PROGRESS,
        extensions=(10.0, 28.0),
    ),
    DemoItem(
        "担心个人信息被泄露",
        "最近频繁接到自称贵司合作方的贷款推销电话，对方能准确说出我的借款金额和还款日。"
        "怀疑贵司或合作机构泄露了我的个人信息，请调查并告知处理结果。",
        K.COMPLAINT,
        C.APP,
        Cat.INFO_SECURITY,
        16.5,
        S.RECEIVED,
        due_in_days=-1.5,
    ),
    DemoItem(
        "银团贷款提款通知回复不及时",
        "我司作为借款人已于上周提交提款通知书及先决条件文件，代理行至今未确认，请代理行尽快确认提款安排。",
        K.COMPLAINT,
        C.EMAIL,
        Cat.SERVICE,
        0.5,
        S.RECEIVED,
    ),
    DemoItem(
        "还款日扣款失败未提前通知",
        "绑定账户余额充足，但本月扣款失败，贵司未短信提醒，次日即产生罚息。请核实原因并减免罚息。",
        K.COMPLAINT,
        C.PHONE,
        Cat.FUNDS_SAFETY,
        14.0,
        S.IN_PROGRESS,
        due_in_days=1.0,
    ),
    DemoItem(
        "租赁物保险费用重复收取",
        "设备已由我司自行投保并提交保单，贵司仍在租金中加收保险费，请退还重复收取的费用。",
        K.COMPLAINT,
        C.LETTER,
        Cat.PRICING,
        9.0,
        S.RESOLVED,
        resolution="经核实，客户已自行投保且保单在有效期内，重复收取的保险费 3,860 元已于本周退回原账户，"
        "已电话告知客户并发送书面说明。",
    ),
    DemoItem(
        "客户经理服务态度差",
        "多次电话联系客户经理均未接听，回电时态度敷衍，对展期申请的问题答复前后不一。",
        K.COMPLAINT,
        C.PHONE,
        Cat.SERVICE,
        12.0,
        S.CLOSED,
        resolution="已更换客户经理，由客服主管向客户当面致歉，并于三个工作日内答复展期申请。",
        satisfaction=4,
    ),
    DemoItem(
        "贷款结清证明开具太慢",
        "贷款已于月初结清，申请结清证明两周仍未拿到，影响抵押登记注销。",
        K.COMPLAINT,
        C.BRANCH,
        Cat.RULES,
        11.0,
        S.CLOSED,
        resolution="结清证明已开具并快递寄出，同步办理抵押注销所需材料。",
        satisfaction=2,
    ),
    DemoItem(
        "营销短信过于频繁",
        "每天收到两三条贷款营销短信，回复退订后仍在发送。",
        K.COMPLAINT,
        C.APP,
        Cat.MARKETING,
        7.0,
        S.ACKNOWLEDGED,
        unknown=("刘女士", "13912345678"),
    ),
    DemoItem(
        "自称借款人家属反映被冒名借款",
        "来电人称其父亲名下出现一笔贵司消费贷款，但父亲从未申请，怀疑身份证被冒用。",
        K.COMPLAINT,
        C.PHONE,
        Cat.FUNDS_SAFETY,
        3.0,
        S.IN_PROGRESS,
        unknown=("王先生", "13788889999"),
    ),
    DemoItem(
        "微信群里传言公司资金链断裂",
        "客户群里有人转发“公司资金链断裂、即将停止放款”的截图，询问是否属实，多位客户表示担忧。",
        K.INQUIRY,
        C.WECHAT_GROUP,
        Cat.DISCLOSURE,
        1.0,
        S.RECEIVED,
        unknown=("群成员“阳光”", ""),
    ),
    DemoItem(
        "建议开通线上提前还款申请",
        "目前提前还款必须到网点办理，建议在 App 上开通线上申请和违约金试算。",
        K.FEEDBACK,
        C.APP,
        Cat.RULES,
        5.0,
        S.RESOLVED,
        resolution="已将建议转产品部门，计划下季度上线提前还款试算功能，已回复客户。",
    ),
    DemoItem(
        "咨询展期政策及所需材料",
        "受项目回款延迟影响，想了解流动资金贷款展期的条件、所需材料和审批时间。",
        K.INQUIRY,
        C.PHONE,
        Cat.OTHER,
        2.0,
        S.CLOSED,
        resolution="已告知展期条件与材料清单，并预约客户经理上门沟通。",
        satisfaction=5,
    ),
    DemoItem(
        "监管转办：贷款合同未提供副本",
        "经地方金融监管局转办：借款人反映签约时未获得合同副本，多次索要未果。",
        K.COMPLAINT,
        C.REGULATOR,
        Cat.DISCLOSURE,
        21.0,
        S.ACKNOWLEDGED,
        due_in_days=-6.0,
    ),
    DemoItem(
        "抵押物评估价格明显偏低",
        "贵司委托的评估机构对我司厂房评估价比市场价低约三成，导致授信额度不足，请复核。",
        K.COMPLAINT,
        C.EMAIL,
        Cat.RULES,
        25.0,
        S.RESOLVED,
        extensions=(12.0,),
        resolution="已另行委托第二家评估机构复评，结果上调 18%，授信额度相应调整，已书面告知客户。",
    ),
)


EXTENSION_REASONS = ("案情复杂，需调取放款审批及扣款流水核实", "需外部机构出具核查意见，经分管副总审批")


def _handlers(members: Sequence[Membership]) -> list[Membership]:
    """Writers of the customer-service department handle complaints; anyone who may write otherwise."""
    writers = [m for m in members if m.is_active and has_permission(m, Permission.WRITE)]
    service = [m for m in writers if m.department is not None and m.department.kind == Department.Kind.CUSTOMER_SERVICE]
    return service or writers


@transaction.atomic
def seed_feedback(*, tenant: Tenant, customers: Sequence[Customer], members: Sequence[Membership]) -> int:
    """Create the demo items the tenant lacks; returns how many were created."""
    complaint_policies_ensure(tenant=tenant)
    handlers = _handlers(members)
    approvers = [m for m in handlers if has_permission(m, Permission.APPROVE)] or [
        m for m in members if m.is_active and has_permission(m, Permission.APPROVE)
    ]
    if not handlers or not approvers:
        raise ValueError("The demo feedback needs members who may write and a manager who may approve.")
    existing = set(Feedback.objects.for_tenant(tenant).values_list("subject", flat=True))
    now = timezone.now()
    # The policy feedback_register applies to an item given none: the tenant's default.
    policy = complaint_policy_default(tenant=tenant)
    if policy is None:
        raise ValueError("The demo feedback needs the tenant's default complaint policy.")
    calendar = calendar_for_tenant(tenant=tenant)
    created = 0
    for index, item in enumerate(DEMO_ITEMS):
        if item.subject in existing:
            continue
        handler = handlers[index % len(handlers)]
        actor = handler.user
        if item.due_in_days is None:
            received_at = (now - dt.timedelta(days=item.days_ago)).replace(second=0, microsecond=0)
        else:
            received_at = receipt_due_by(policy, calendar, now, now + dt.timedelta(days=item.due_in_days))
        customer = None if item.unknown or not customers else customers[(index * 7) % len(customers)]
        name, mobile = item.unknown or ("", "")
        feedback = services.feedback_register(
            tenant=tenant,
            actor=actor,
            customer=customer,
            reporter_name=name or ("" if customer else "匿名来电"),
            reporter_mobile=mobile,
            kind=item.kind,
            channel=item.channel,
            category=item.category,
            subject=item.subject,
            content=item.content,
            received_at=received_at,
            handler=None if item.status == S.RECEIVED else handler,
        )
        _advance(tenant, feedback, item, actor=actor, approver=approvers[index % len(approvers)].user)
        created += 1
    return created


# Received in office hours: complaint limits count whole days, so only the receipt's date matters.
RECEIVED_AT = dt.time(10, 0)


def receipt_due_by(policy: ComplaintPolicy, calendar: Calendar, now: dt.datetime, due_by: dt.datetime) -> dt.datetime:
    """The latest receipt (10:00 of its day, or now if that is earlier today) due at or before `due_by`.

    The due time (stage 0) only moves later with the receipt date, so this bisects on days back.
    """
    now = now.replace(second=0, microsecond=0)
    today = now.astimezone(calendar.time_zone).date()

    def received(days_back: int) -> dt.datetime:
        moment = dt.datetime.combine(today - dt.timedelta(days=days_back), RECEIVED_AT, tzinfo=calendar.time_zone)
        return min(moment, now)

    def is_due_by(days_back: int) -> bool:
        return policy_deadline(policy=policy, calendar=calendar, received_at=received(days_back)).at <= due_by

    if is_due_by(0):
        return received(0)
    late, early = 0, 32  # days back: `late` is due after `due_by`, `early` is pushed until due by it
    while not is_due_by(early):
        late, early = early, early * 2
    while early - late > 1:
        middle = (late + early) // 2
        if is_due_by(middle):
            early = middle
        else:
            late = middle
    return received(early)


def _advance(tenant: Tenant, feedback: Feedback, item: DemoItem, *, actor: User, approver: User) -> None:
    for number, told_after in enumerate(item.extensions, start=1):
        feedback = services.feedback_extend(
            tenant=tenant,
            actor=approver if number >= 2 else actor,
            feedback=feedback,
            reason=EXTENSION_REASONS[min(number, 2) - 1],
            customer_notified_at=feedback.received_at + dt.timedelta(days=told_after),
        )
    if item.status == S.RECEIVED:
        return
    if item.status == S.ESCALATED:
        services.feedback_escalate(tenant=tenant, actor=actor, feedback=feedback)
        return
    feedback = services.feedback_acknowledge(tenant=tenant, actor=actor, feedback=feedback)
    if item.status == S.ACKNOWLEDGED:
        return
    feedback = services.feedback_start(tenant=tenant, actor=actor, feedback=feedback)
    if item.status == S.IN_PROGRESS:
        return
    feedback = services.feedback_resolve(tenant=tenant, actor=actor, feedback=feedback, resolution=item.resolution)
    if item.status == S.CLOSED:
        services.feedback_close(tenant=tenant, actor=actor, feedback=feedback, satisfaction=item.satisfaction)
