"""The demo incidents' words: realistic 舆情 cases of a leasing company and a project-finance bank.

Plain data, kept apart from the seeder (incidents/demo/__init__.py, which drives the services) so
either reads on its own.

Times are relative to the incident's own SLA clock, not to the wall clock: `placed` says how much of
which clock the incident has used when the seed runs (a share of 0.875 of a 4-hour first response
was found 3.5 hours ago; a share of 0.4 of a 3-working-day resolution was found before the last
working day or two, whatever day of the week it is). So each incident shows its `sla_state` at any
hour, on weekends and over Spring Festival alike. The states follow from the phases: an incident
past 响应与信息收集 gave its first response when the seed ran, so one found longer ago than its
first-response target shows breached; the closed ones were found within it and show met.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from incidents.models import ImprovementAction, MediaLevel, Phase, Severity, SlaClock
from incidents.selectors.sla import AT_RISK, BREACHED, ON_TRACK, PAUSED
from yuqing.tenancy.models import Department

K = Department.Kind
A = ImprovementAction.Kind
FIRST, RESOLUTION = SlaClock.Kind.FIRST_RESPONSE, SlaClock.Kind.RESOLUTION
MET = ""  # what sla_state_annotation gives a closed incident whose clocks were all met


@dataclass(frozen=True)
class Placement:
    """When the incident was found: when its `clock` would have used `share` of its time by now.

    On a day clock (working days) the share used moves only on working days, in steps of whole
    days, so the incident is placed as far back as the share allows: the earliest discovery time
    at which the clock has used at most `share` (see incidents.demo.placement_start).
    """

    clock: str  # SlaClock.Kind
    share: float


@dataclass(frozen=True)
class DemoTask:
    department: str  # a Department.Kind
    title: str
    assignee: str | None  # username
    due_in_hours: float  # from now; negative: already overdue
    status: str = "open"


@dataclass(frozen=True)
class DemoComment:
    task: int  # index into the incident's tasks
    author: str
    body: str  # may @mention colleagues by username


@dataclass(frozen=True)
class DemoReview:
    root_cause: str
    what_worked: str
    what_did_not: str
    actions: tuple[tuple[str, str, str, int], ...]  # (kind, title, owner username, due in days)


@dataclass(frozen=True)
class DemoIncident:
    title: str
    severity: int
    nature: str
    summary: str
    placed: Placement
    sla_state: str  # what the incident shows once seeded (incidents.selectors.sla), MET for closed in time
    phase: str  # the phase the seed leaves it in
    owner: str
    departments: tuple[str, ...]
    facts: dict[str, object]  # every phase field the incident has reached, by model field name
    tasks: tuple[DemoTask, ...] = ()
    notes: tuple[tuple[str, str, str], ...] = ()  # (kind, author, body)
    comments: tuple[DemoComment, ...] = ()
    pause_reason: str = ""
    review: DemoReview | None = None
    vip_customer: bool = False
    feedback_subject: str = ""  # a demo feedback item of the customers app to link, when present
    extra: dict[str, object] = field(default_factory=dict)


RESPONSE_FACTS_CT = {
    "facts_who": "某市城投平台（我司融资租赁客户，存量余额 6.8 亿元）；发帖人为匿名财经博主“城投观察员”。",
    "facts_what": "微博及雪球出现“某城投平台非标债务逾期、华信租赁踩雷”帖文，附一张疑似内部催款函截图，"
    "截至目前转发约 2,300 次，两家财经自媒体跟进。",
    "facts_when": "帖文首发于发现前一晚 22:40，次日早 8 点起转发量明显上升。",
    "background": "该平台 2025 年以来确有一笔信托计划展期，我司租金按期回收，最近一期已于上月 25 日足额到账。",
    "legal_questions": "截图中的催款函格式与我司不符，疑似伪造；需评估是否构成商业诋毁并保全证据。",
}

DEMO_A: tuple[DemoIncident, ...] = (
    DemoIncident(
        title="网传某城投平台债务逾期、我司“踩雷”",
        severity=Severity.II,
        nature="谣言",
        summary="财经博主发帖称我司融资租赁客户某城投平台非标债务逾期，我司资产“踩雷”，附疑似伪造的催款函。",
        placed=Placement(RESOLUTION, 0.4),
        sla_state=BREACHED,
        phase=Phase.ANALYSIS,
        owner="chenjing",
        departments=(K.PR, K.LEGAL, K.RISK),
        facts={**RESPONSE_FACTS_CT},
        tasks=(
            DemoTask(K.RISK, "核实该平台全部在租项目的租金回收情况", "linfeng", 4),
            DemoTask(K.LEGAL, "对截图及原帖进行公证保全", "hejia", -2, "in_progress"),
            DemoTask(K.PR, "持续监测转发量与跟进账号，每 2 小时报送一次", "liuyang", 20, "in_progress"),
        ),
        notes=(
            ("communication_in", "linfeng", "风险管理部确认：该平台在我司三笔租赁合同均正常履约，无逾期。"),
            ("note", "chenjing", "已建议暂不公开回应，先完成证据保全，视传播态势再定。"),
        ),
        comments=(
            DemoComment(1, "zhengyu", "@hejia 公证处已预约今天下午，请带上原帖链接和截屏时间记录。"),
            DemoComment(2, "liuyang", "两家自媒体已跟进，其中一家粉丝 40 万。@chenjing 是否需要联系平台方核实后删帖？"),
        ),
        extra={"estimated_reach": 120000, "media_level": MediaLevel.SELF_MEDIA, "regions": "华东"},
    ),
    DemoIncident(
        title="小红书笔记吐槽客户经理服务态度",
        severity=Severity.IV,
        nature="个体言论",
        summary="小红书笔记称我司客户经理回复慢、态度敷衍，获赞 60。",
        placed=Placement(FIRST, 0.125),
        sla_state=ON_TRACK,
        phase=Phase.RESPONSE,
        owner="wuhao",
        departments=(K.CUSTOMER_SERVICE,),
        facts={"facts_who": "小红书用户，自称我司设备租赁客户。"},
        notes=(("note", "wuhao", "已私信博主了解具体情况，等待回复。"),),
    ),
    DemoIncident(
        title="在建项目停工，业主聚集维权并指向我司",
        severity=Severity.I,
        nature="对产品或服务的质疑",
        summary="我司租赁客户承建的住宅项目停工，数十名业主在售楼处聚集，横幅写有“华信租赁抽贷致停工”，"
        "抖音直播在线 3 千人。",
        placed=Placement(RESOLUTION, 2.2),
        sla_state=BREACHED,
        phase=Phase.IMPLEMENTATION,
        owner="xuming",
        departments=(K.PR, K.LEGAL, K.CUSTOMER_SERVICE, K.MANAGEMENT, K.RISK),
        vip_customer=True,
        facts={
            "facts_who": "承租人为某建工集团下属项目公司（VIP 客户）；聚集业主约 60 人；抖音账号“楼盘维权记”直播。",
            "facts_what": "项目自上月起停工，业主认为系我司“抽贷”所致。实际为设备融资租赁，租金正常，并未提前收回。",
            "facts_when": "聚集自发现当日上午 9 点开始，持续约 5 小时。",
            "background": "项目公司总包方与分包方存在工程款纠纷，停工主因系分包撤场。",
            "legal_questions": "横幅及直播内容涉及对我司的不实指控；同时需注意业主合法诉求，避免激化。",
            "analysis": "舆情性质为对我司服务的误解叠加民生诉求，已出现线下聚集，属 I 级特别重大。"
            "若处置不当可能引发属地主流媒体报道及监管问询。",
            "estimated_reach": 450000,
            "media_level": MediaLevel.CITY,
            "regions": "江苏省某市",
            "plan": "一、当日发布情况说明，澄清未提前收回租赁物、未抽贷；二、会同项目公司与属地住建部门共同接待业主；"
            "三、法务评估对不实指控的应对；四、客服开通专线答复业主和客户询问。",
            "responsibilities": "公关部：情况说明与媒体沟通；法务部：证据保全与法律评估；客服部：专线答复；"
            "风控部：项目风险再评估；管理层：对接属地政府。",
            "actions_taken": "已发布情况说明（官网、官微）；副总经理带队参加住建局协调会；客服专线接听业主来电 37 个。",
        },
        tasks=(
            DemoTask(K.PR, "发布情况说明并准备媒体问答口径", "chenjing", -20, "done"),
            DemoTask(K.CUSTOMER_SERVICE, "开通业主咨询专线并每日汇总来电", "zhouting", 30, "in_progress"),
            DemoTask(K.LEGAL, "评估横幅及直播内容的法律风险", "zhengyu", -6),
            DemoTask(K.RISK, "项目公司及担保方风险再评估", "linfeng", 48),
            DemoTask(K.MANAGEMENT, "对接属地住建局与街道，参加协调会", "xuming", -26, "done"),
        ),
        notes=(
            ("communication_out", "chenjing", "官微发布《关于某项目停工相关情况的说明》，阅读 1.2 万。"),
            ("communication_in", "zhouting", "业主代表来电，要求我司书面承诺不收回塔吊等设备。已转风控部评估。"),
            ("note", "xuming", "住建局协调会确定：总包方三日内提交复工方案，我司配合出具设备租赁情况说明。"),
        ),
        comments=(
            DemoComment(1, "sunli", "今天上午又接到 12 个来电，主要问是否会收回塔吊。@zhouting 口径是否需要更新？"),
            DemoComment(2, "zhengyu", "@hejia 请把直播录屏整理成证据清单，注明时间点。"),
        ),
    ),
    DemoIncident(
        title="客户投诉暴力催收，被自媒体转载扩散",
        severity=Severity.II,
        nature="对产品或服务的质疑",
        summary="个人客户在黑猫投诉发帖称遭催收人员电话轰炸、骚扰家人同事，被“消费维权观察”等账号转载。",
        placed=Placement(FIRST, 0.3),
        sla_state=PAUSED,
        phase=Phase.PLANNING,
        owner="zhouting",
        departments=(K.CUSTOMER_SERVICE, K.LEGAL, K.PR),
        feedback_subject="催收电话骚扰家人和同事",
        facts={
            "facts_who": "个人客户刘某（逾期 5 天）；外包催收公司某信息咨询有限公司；转载账号 3 个。",
            "facts_what": "客户称一天内其父母、同事接到十余个催收电话，言语威胁。投诉帖附通话录音片段。",
            "facts_when": "投诉发生于三天前，帖文昨晚发布，今晨被转载。",
            "background": "该客户此前已登记投诉，客服部已受理。外包催收合同约定禁止联系无关第三方。",
            "legal_questions": "可能违反《个人信息保护法》及监管关于催收行为的规定，存在被监管处罚风险。",
            "analysis": "客户诉求基本属实的可能性较大，属于我司管理责任。需尽快整改并与客户和解，防止监管投诉。",
            "estimated_reach": 35000,
            "media_level": MediaLevel.SELF_MEDIA,
            "regions": "广东省",
        },
        tasks=(
            DemoTask(K.CUSTOMER_SERVICE, "联系客户致歉并了解诉求", "sunli", -3, "done"),
            DemoTask(K.LEGAL, "调取外包催收通话记录，核查是否违规", "hejia", 18, "in_progress"),
            DemoTask(K.RISK, "暂停该外包机构新案件分配", "linfeng", 8),
        ),
        notes=(("communication_out", "sunli", "已电话联系客户致歉，客户要求书面道歉并删除其亲属联系方式。"),),
        comments=(DemoComment(1, "hejia", "录音调取需要外包公司配合，@zhengyu 是否以函件形式发出？"),),
        pause_reason="等待客户提供完整通话录音",
    ),
    DemoIncident(
        title="网传我司被监管约谈",
        severity=Severity.III,
        nature="监管关注",
        summary="某行业群流传截图称我司因“变相放贷”被地方金融管理局约谈。",
        placed=Placement(FIRST, 0.875),
        sla_state=AT_RISK,
        phase=Phase.RESPONSE,
        owner="liuyang",
        departments=(K.PR, K.MANAGEMENT),
        facts={},
        tasks=(DemoTask(K.MANAGEMENT, "向合规条线核实近期监管沟通情况", "xuming", 3),),
        notes=(("note", "liuyang", "截图来源为某行业微信群，暂未见公开平台传播。"),),
    ),
    DemoIncident(
        title="疑似客户信息在境外论坛出售",
        severity=Severity.I,
        nature="数据泄露",
        summary="安全厂商通报：境外论坛出现标题含我司名称的“客户数据”出售帖，样例含姓名、手机号和租赁物信息。",
        placed=Placement(RESOLUTION, 5.0),
        sla_state=BREACHED,
        phase=Phase.REVIEW,
        owner="maojun",
        departments=(K.TECH_SUPPORT, K.LEGAL, K.PR, K.MANAGEMENT),
        facts={
            "facts_who": "境外论坛卖家；样例涉及约 50 名客户；安全厂商某某科技。",
            "facts_what": "出售帖称有 3 万条客户数据，样例字段与我司 2023 年前旧版 CRM 导出格式一致。",
            "facts_when": "帖子发布于发现前两天，安全厂商于发现当日通报。",
            "background": "旧版 CRM 已于 2024 年下线，数据迁移期间曾由外包商在测试环境处理。",
            "legal_questions": "需按《个人信息保护法》《数据安全法》评估报告义务，并考虑向公安机关报案。",
            "analysis": "样例数据真实，来源指向旧版 CRM 测试环境备份，外泄时间早于 2024 年。属个人信息安全事件。",
            "estimated_reach": 5000,
            "media_level": MediaLevel.FOREIGN,
            "regions": "境外",
            "plan": "封堵泄露源；评估影响范围并通知受影响客户；依法报告监管及报案；准备对外口径。",
            "responsibilities": "技术支持部：溯源与封堵；法务部：报告与报案；公关部：口径；客服部：客户通知。",
            "actions_taken": "已删除外包商测试环境全部备份并吊销其访问权限；已向公安机关报案；已向监管报告。",
            "communications": "向受影响客户发送短信告知及防诈骗提醒，设立咨询专线。",
            "customer_feedback_summary": "咨询来电 83 个，多数关注是否会被诈骗；无客户提出赔偿诉讼。",
        },
        tasks=(
            DemoTask(K.TECH_SUPPORT, "溯源泄露数据版本与外泄路径", "maojun", -90, "done"),
            DemoTask(K.LEGAL, "向公安机关报案并向监管报告", "zhengyu", -80, "done"),
            DemoTask(K.CUSTOMER_SERVICE, "通知受影响客户并设立咨询专线", "wuhao", -70, "done"),
        ),
        notes=(("communication_out", "zhengyu", "已向地方金融管理局书面报告事件情况及处置措施。"),),
        comments=(DemoComment(0, "maojun", "样例字段与 2023 年 CRM 导出模板一致，@linfeng 请协助确认外包合同期限。"),),
    ),
    DemoIncident(
        title="论坛热帖质疑融资租赁“售后回租”是变相高利贷",
        severity=Severity.IV,
        nature="对商业模式的质疑",
        summary="知乎问答“售后回租是不是变相高利贷”中有回答点名我司，获赞 800。",
        placed=Placement(FIRST, 0.5),
        sla_state=MET,
        phase=Phase.CLOSED,
        owner="liuyang",
        departments=(K.PR,),
        facts={
            "facts_who": "知乎用户（非我司客户）；回答获赞约 800。",
            "facts_what": "回答以我司某产品为例，称综合成本超过 24%，属变相高利贷。",
            "facts_when": "回答发布于两周前。",
            "analysis": "属于对行业商业模式的一般性质疑，计算口径有误（将保证金计入成本），传播有限。",
            "estimated_reach": 20000,
            "media_level": MediaLevel.SELF_MEDIA,
            "regions": "全国",
            "plan": "以官方账号发布科普回答，说明售后回租业务模式和综合成本计算口径。",
            "responsibilities": "公关部撰写，法务部审核。",
            "actions_taken": "已发布官方科普回答并获知乎官方推荐。",
            "communications": "与原答主私信沟通，对方已补充说明。",
            "customer_feedback_summary": "无客户因此来电。",
        },
        tasks=(DemoTask(K.PR, "撰写并发布售后回租科普回答", "liuyang", -300, "done"),),
        review=DemoReview(
            root_cause="公众对融资租赁业务模式及综合成本计算口径缺乏了解，我司官网产品说明不够直观。",
            what_worked="及时以科普方式回应，避免与答主正面冲突；法务审核口径准确。",
            what_did_not="首次发现距回答发布已逾 10 天，知乎平台未纳入日常监测范围。",
            actions=(
                (A.ACTION, "将知乎、小红书纳入日常监测关键词范围", "liuyang", 14),
                (A.TRAINING_NEED, "客户经理业务模式及综合成本话术培训", "chenjing", 30),
            ),
        ),
    ),
    DemoIncident(
        title="网传分公司负责人被带走调查",
        severity=Severity.III,
        nature="谣言",
        summary="本地生活号发布“华信租赁某分公司负责人被带走”消息，当日阅读 3 万。",
        placed=Placement(FIRST, 0.6),
        sla_state=MET,
        phase=Phase.CLOSED,
        owner="chenjing",
        departments=(K.PR, K.LEGAL, K.MANAGEMENT),
        facts={
            "facts_who": "本地生活号“城事速递”；涉及我司某分公司负责人。",
            "facts_what": "文章称负责人因违规放贷被带走，配图为其他单位的办公楼。",
            "facts_when": "文章发布于当天上午。",
            "analysis": "经核实为谣言，该负责人正常在岗。",
            "estimated_reach": 30000,
            "media_level": MediaLevel.CITY,
            "regions": "浙江省某市",
            "plan": "联系发布方删除并致歉；必要时发律师函。",
            "responsibilities": "公关部联系平台；法务部准备律师函。",
            "actions_taken": "发布方已删除文章并发布致歉声明。",
            "communications": "负责人当日照常出席公开活动，内部向员工通报情况。",
            "customer_feedback_summary": "两家客户来电询问，已说明情况。",
        },
        tasks=(
            DemoTask(K.PR, "联系发布方删除不实文章", "chenjing", -690, "done"),
            DemoTask(K.LEGAL, "起草律师函备用", "hejia", -680, "cancelled"),
        ),
        review=DemoReview(
            root_cause="本地自媒体为博流量发布未经核实的消息。",
            what_worked="2 小时内完成核实并联系删帖，负责人公开露面有效止谣。",
            what_did_not="分公司未第一时间向总部报告，总部通过监测才发现。",
            actions=((A.PLAN_REVISION, "修订分支机构舆情报告流程，明确 30 分钟内上报", "xuming", 21),),
        ),
    ),
    DemoIncident(
        title="短视频称融资租赁“套路贷”，点名我司合作车商",
        severity=Severity.III,
        nature="对产品或服务的质疑",
        summary="抖音短视频称在合作车商处办理汽车融资租赁被“套路”，视频点赞 1.1 万。",
        placed=Placement(RESOLUTION, 0.5),
        sla_state=BREACHED,
        phase=Phase.RESPONSE,
        owner="wuhao",
        departments=(K.CUSTOMER_SERVICE, K.PR),
        facts={"facts_who": "抖音用户“小王说车”；合作车商某汽车销售服务有限公司。"},
        tasks=(DemoTask(K.CUSTOMER_SERVICE, "核实视频中客户是否为我司客户", "wuhao", -30),),
    ),
)

DEMO_B: tuple[DemoIncident, ...] = (
    DemoIncident(
        title="网传我行全面收紧房地产开发贷",
        severity=Severity.III,
        nature="谣言",
        summary="多个地产群流传“江东银行即日起暂停一切房地产开发贷审批”的消息截图。",
        placed=Placement(FIRST, 0.75),
        sla_state=ON_TRACK,
        phase=Phase.ANALYSIS,
        owner="xiaoyu",
        departments=(K.PR, K.RISK),
        facts={
            "facts_who": "地产行业微信群；截图来源不明。",
            "facts_what": "截图为一份所谓“内部通知”，称即日起暂停一切房地产开发贷审批。",
            "facts_when": "截图自昨晚起在多个群流传。",
            "background": "我行近期仅对个别项目调整了授信条件，并无暂停审批的政策。",
            "legal_questions": "通知格式与我行公文不符，疑似伪造。",
        },
        tasks=(DemoTask(K.RISK, "出具现行房地产授信政策说明", "xiechen", 6, "in_progress"),),
        comments=(DemoComment(0, "xiaoyu", "@yangfan 群里已有客户经理在转发，是否先发内部提醒？"),),
    ),
    DemoIncident(
        title="某县域水务项目贷款被指利益输送",
        severity=Severity.II,
        nature="监管关注",
        summary="某网站发文称我行向某县水务 PPP 项目发放贷款存在利益输送，并@地方纪委。",
        placed=Placement(RESOLUTION, 0.5),
        sla_state=BREACHED,
        phase=Phase.PLANNING,
        owner="yangfan",
        departments=(K.PR, K.LEGAL, K.RISK, K.MANAGEMENT),
        vip_customer=True,
        facts={
            "facts_who": "某县水务投资公司（VIP 客户）；发文网站“民生直通车”。",
            "facts_what": "文章称贷款利率明显低于市场水平，审批人与项目方存在亲属关系。",
            "facts_when": "文章发布于昨日下午。",
            "background": "该笔贷款为银团贷款，我行为参贷行，利率按银团统一定价。",
            "legal_questions": "涉及员工廉洁问题的指控，需内审核查；对不实部分保留追责权利。",
            "analysis": "指控涉及监管关注领域，但利率定价有银团协议支撑；亲属关系一说需内审核实。",
            "estimated_reach": 60000,
            "media_level": MediaLevel.PROVINCIAL,
            "regions": "江西省某县",
        },
        tasks=(
            DemoTask(K.RISK, "调取银团定价材料与审批记录", "xiechen", -4),
            DemoTask(K.LEGAL, "评估文章不实部分的法律应对", "fengqian", 20),
        ),
        notes=(("communication_in", "luyi", "省分局电话了解情况，已口头说明为银团统一定价，承诺书面报告。"),),
        pause_reason="等待监管部门书面问询函",
    ),
    DemoIncident(
        title="储户聚集网点要求提前支取理财",
        severity=Severity.I,
        nature="谣言",
        summary="受“江东银行要暴雷”谣言影响，某支行门口聚集约百名客户要求提前支取，视频在本地群传播。",
        placed=Placement(RESOLUTION, 1.7),
        sla_state=BREACHED,
        phase=Phase.IMPLEMENTATION,
        owner="luyi",
        departments=(K.PR, K.CUSTOMER_SERVICE, K.MANAGEMENT, K.LEGAL),
        facts={
            "facts_who": "某支行储户及理财客户约百人；谣言源头为短视频账号。",
            "facts_what": "网传我行“资金链断裂要暴雷”，客户聚集要求提前支取理财和定期存款。",
            "facts_when": "发现当日上午 10 点起聚集，午后逐步散去。",
            "background": "我行各项监管指标正常，流动性充足。",
            "legal_questions": "编造传播金融谣言涉嫌违法，已固定证据拟报案。",
            "analysis": "典型的金融谣言引发挤兑风险，属 I 级特别重大，需快速澄清并稳定客户情绪。",
            "estimated_reach": 800000,
            "media_level": MediaLevel.PROVINCIAL,
            "regions": "江东省",
            "plan": "行领导现场坐镇；延长营业时间正常办理支取；发布经营情况说明；报案并联系平台删除谣言。",
            "responsibilities": "管理层：现场指挥；客服：现场疏导与业务办理；公关：声明与媒体；法务：报案。",
            "actions_taken": "延长营业时间至 20 点，正常办理支取 320 笔；发布声明；已向公安报案。",
        },
        tasks=(
            DemoTask(K.CUSTOMER_SERVICE, "现场疏导与延时营业安排", "hanxue", -30, "done"),
            DemoTask(K.PR, "发布经营情况说明，联系平台处置谣言视频", "yangfan", -28, "done"),
            DemoTask(K.LEGAL, "固定谣言证据并报案", "fengqian", -10, "in_progress"),
            DemoTask(K.CUSTOMER_SERVICE, "回访提前支取的客户", "tangjie", 30),
        ),
        notes=(
            ("communication_out", "yangfan", "官方微信公众号发布《关于近期网络不实信息的声明》。"),
            ("note", "luyi", "人民银行分行已了解情况，对我行处置表示认可。"),
        ),
        comments=(DemoComment(3, "hanxue", "@tangjie 回访名单已导出，优先回访大额支取客户。"),),
    ),
    DemoIncident(
        title="客服通话录音被剪辑上传社交平台",
        severity=Severity.IV,
        nature="个体言论",
        summary="客户将与客服的通话录音剪辑后上传小红书，称客服“态度恶劣”。",
        placed=Placement(FIRST, 0.25),
        sla_state=PAUSED,
        phase=Phase.RESPONSE,
        owner="tangjie",
        departments=(K.CUSTOMER_SERVICE,),
        facts={"facts_who": "小红书用户“江东打工人”，自称我行贷款客户。"},
        tasks=(DemoTask(K.CUSTOMER_SERVICE, "调取原始通话录音并复核服务过程", "tangjie", 6, "in_progress"),),
        pause_reason="等待客户确认身份并提供完整录音",
    ),
    DemoIncident(
        title="网传我行高管被限制出境",
        severity=Severity.III,
        nature="谣言",
        summary="财经论坛帖子称我行一名副行长被限制出境，配图为机场照片，跟帖 200 余条。",
        placed=Placement(FIRST, 0.875),
        sla_state=AT_RISK,
        phase=Phase.RESPONSE,
        owner="xiaoyu",
        departments=(K.PR, K.MANAGEMENT),
        facts={"facts_who": "财经论坛匿名用户；涉及我行副行长。"},
        tasks=(DemoTask(K.MANAGEMENT, "核实相关高管近期行程与在岗情况", "luyi", 1),),
        notes=(("note", "xiaoyu", "帖子配图经反向搜索为 2019 年网络旧图。"),),
    ),
    DemoIncident(
        title="系统升级导致还款扣款失败引发集中投诉",
        severity=Severity.III,
        nature="对产品或服务的质疑",
        summary="核心系统升级后部分贷款客户还款日扣款失败并被计罚息，客户在黑猫投诉集中发帖。",
        placed=Placement(FIRST, 0.5),
        sla_state=MET,
        phase=Phase.CLOSED,
        owner="caolei",
        departments=(K.TECH_SUPPORT, K.CUSTOMER_SERVICE, K.PR),
        facts={
            "facts_who": "受影响贷款客户 1,200 余户；黑猫投诉帖 40 余条。",
            "facts_what": "系统升级后批量扣款任务未执行，次日系统自动计收罚息。",
            "facts_when": "升级当晚至次日上午。",
            "analysis": "系统问题导致的服务质量事件，责任在我行，需退还罚息并致歉。",
            "estimated_reach": 15000,
            "media_level": MediaLevel.SELF_MEDIA,
            "regions": "全国",
            "plan": "退还全部罚息并修复征信；短信致歉；修复批量任务调度缺陷。",
            "responsibilities": "信息科技部修复；客服致歉与答复；公关统一口径。",
            "actions_taken": "罚息已全部冲回，征信报送已更正，缺陷已修复。",
            "communications": "向受影响客户发送致歉短信，在黑猫投诉逐条回复。",
            "customer_feedback_summary": "投诉帖已全部标记为已解决，满意度回访 4.6 分。",
        },
        tasks=(
            DemoTask(K.TECH_SUPPORT, "修复批量扣款调度缺陷", "caolei", -480, "done"),
            DemoTask(K.CUSTOMER_SERVICE, "冲回罚息并逐条回复投诉", "tangjie", -460, "done"),
        ),
        review=DemoReview(
            root_cause="升级方案未覆盖批量任务调度的回归测试，上线后缺少对扣款结果的核对。",
            what_worked="发现后 6 小时内完成罚息冲回和征信更正，客户满意度恢复较快。",
            what_did_not="升级窗口选在还款日前夜，未提前告知客户；投诉首发 8 小时后才被发现。",
            actions=(
                (A.ACTION, "上线检查清单增加批量任务执行核对", "caolei", 10),
                (A.PLAN_REVISION, "修订系统变更舆情应急预案，增加客户预告环节", "yangfan", 30),
            ),
        ),
    ),
    DemoIncident(
        title="疑似贷款合同扫描件在二手平台出售",
        severity=Severity.II,
        nature="数据泄露",
        summary="闲鱼出现“江东银行贷款合同模板及案例”出售，预览图含客户签名页。",
        placed=Placement(RESOLUTION, 1.6),
        sla_state=BREACHED,
        phase=Phase.REVIEW,
        owner="caolei",
        departments=(K.TECH_SUPPORT, K.LEGAL, K.RISK),
        facts={
            "facts_who": "闲鱼卖家；预览图涉及 2 名企业客户。",
            "facts_what": "卖家出售合同模板，附带的案例扫描件未打码，含客户签名页。",
            "facts_when": "商品上架约一周，发现时已售出 3 份。",
            "analysis": "扫描件来自某支行离职员工个人电脑，属内部人员违规外传。",
            "estimated_reach": 800,
            "media_level": MediaLevel.NONE,
            "regions": "江东省",
            "plan": "要求平台下架；追查离职员工；通知受影响客户；排查终端数据防泄漏。",
            "responsibilities": "法务：平台投诉与追责；科技：终端排查；风控：客户沟通。",
            "actions_taken": "商品已下架；离职员工已承认并删除存档；已通知两家客户。",
            "communications": "向两家客户当面说明情况并致歉。",
            "customer_feedback_summary": "两家客户表示理解，要求书面说明整改措施。",
        },
        tasks=(
            DemoTask(K.LEGAL, "向平台投诉下架并保全证据", "fengqian", -120, "done"),
            DemoTask(K.TECH_SUPPORT, "全行终端敏感文件排查", "caolei", -24, "done"),
        ),
    ),
)

DEMO_INCIDENTS: dict[str, tuple[DemoIncident, ...]] = {"demo-a": DEMO_A, "demo-b": DEMO_B}
