"""Words for the demo mentions: sources, post templates by tone, and the stories that escalate.

Invented posts in the voice of each platform, built from templates and the tenant's own customers
(names, short names), so scoring links them, groups the bursts into stories and raises warnings the
way real traffic would. Nothing here is copied from a real post.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class DemoSource:
    name: str
    kind: str  # a Source.Kind value
    weight: Decimal
    reach: tuple[int, int]  # typical followers range of an author there
    feed_url: str = ""


DEMO_SOURCES = (
    DemoSource("财新网", "news", Decimal("2.5"), (200_000, 3_000_000)),
    DemoSource("新浪财经", "news", Decimal("2.0"), (100_000, 2_000_000)),
    DemoSource("地方都市报", "news", Decimal("1.5"), (20_000, 300_000)),
    DemoSource("东方财富股吧", "forum", Decimal("1.0"), (100, 20_000)),
    DemoSource("微博", "weibo", Decimal("1.2"), (50, 500_000)),
    DemoSource("小红书", "xiaohongshu", Decimal("0.8"), (50, 80_000)),
    DemoSource("抖音", "douyin", Decimal("1.0"), (100, 1_000_000)),
    DemoSource("百度贴吧", "tieba", Decimal("0.7"), (10, 5_000)),
    DemoSource("知乎", "zhihu", Decimal("0.9"), (100, 100_000)),
    DemoSource("微信公众号", "wechat", Decimal("1.3"), (1_000, 300_000)),
    DemoSource("客户服务群", "community", Decimal("0.6"), (0, 0)),
    # An intranet mirror of a news feed: paused, since the demo machine may have no network.
    DemoSource("金融时报 RSS", "feed", Decimal("1.8"), (0, 0), "https://www.financialnews.com.cn/rss/jg.xml"),
    DemoSource("数据服务商推送", "api", Decimal("1.0"), (100, 50_000)),
)

CITIES = ("成都", "武汉", "西安", "长沙", "合肥", "贵阳", "昆明", "郑州", "南京", "杭州", "重庆", "天津")
PROJECTS = ("产业园", "城市更新项目", "光伏电站", "物流园", "安置房项目", "高速公路", "污水处理厂", "商业综合体")

# {name}: a customer's name or short name; {city}, {project}: from the lists above.
NEGATIVE = (
    "{name}旗下{city}{project}已经停工两个多月了，工人工资到现在没结，有没有人知道怎么回事？",
    "听说{name}的贷款逾期了，{city}那边的供应商都在催款，真假不知道，大家注意风险。",
    "{name}{city}{project}烂尾了？业主们准备集体维权，今天在售楼部拉横幅。",
    "求助：{name}的催收电话一天打十几个，还打到我单位同事那里，这算暴力催收吧？",
    "{name}被立案调查的消息是真的吗？股吧里都在传，公司一直没有回应。",
    "曝光一下{name}，合同里的砍头息太离谱了，借100万到手只有92万。",
    "{name}的理财产品到期兑付困难，客户经理失联，电话打不通。",
    "{city}{project}的承建方{name}欠款不还，分包商已经起诉，法院冻结了部分账户。",
    "{name}又收到监管罚单了，这已经是今年第二次处罚。",
    "{name}资金链断裂的传闻越来越多，{city}几个项目都停了，会不会暴雷？",
)
NEUTRAL = (
    "{name}发布公告，{city}{project}完成第二期工程验收。",
    "{name}召开年度股东大会，审议通过了董事会工作报告。",
    "有人了解{name}在{city}的{project}进展吗？想问问什么时候通车。",
    "{name}今天在{city}举办供应商大会，现场人挺多。",
    "{name}{city}分公司更换了负责人，新任总经理此前在集团财务部任职。",
    "{city}住建局公示了{name}{project}的规划许可。",
)
POSITIVE = (
    "{name}获得银团贷款支持，{city}{project}顺利开工，点赞！",
    "{name}主体信用评级上调至AA+，融资成本有望下降。",
    "{city}{project}提前交付，{name}的工程质量真的不错，业主都很满意。",
    "{name}积极履行社会责任，向{city}捐建了一所乡村小学。",
    "刚参观了{name}的{project}，管理很规范，安全措施到位，好评。",
)
NOISE = (
    "{city}周末去哪儿玩？推荐几个小众景点。",
    "今天的基金又绿了，什么时候能回本啊。",
    "{city}招聘：项目融资岗，3年以上银行经验，待遇面议。",
    "分享一个记账小技巧，月底再也不月光了。",
)


@dataclass(frozen=True)
class DemoStory:
    """A burst about one customer that should escalate: `count` posts over `hours`, ending `ago` hours back."""

    vip_rank: int  # which VIP customer (0 = the first)
    texts: tuple[str, ...]
    count: int
    hours: int
    ago: int
    reach_boost: int


STORIES = (
    DemoStory(
        0,
        (
            "{name}{city}{project}全面停工，数百名农民工聚集讨薪，现场已经拉横幅维权。",
            "紧急扩散：{name}{city}{project}烂尾，业主集体维权，要求{name}给说法！",
            "{name}项目停工、工资拖欠，有网友称公司已资金链断裂，或将暴雷。",
            "转发：{name}{city}{project}工人聚集讨薪事件持续发酵，当地已介入。",
        ),
        count=36,
        hours=8,
        ago=20,
        reach_boost=40,
    ),
    DemoStory(
        1,
        (
            "{name}疑似债务违约，多只债券展期，投资者担心兑付困难。",
            "{name}被曝逾期，评级机构将其列入观察名单。",
            "{name}展期方案未获通过，债权人开会讨论下一步诉讼。",
        ),
        count=22,
        hours=12,
        ago=60,
        reach_boost=15,
    ),
    DemoStory(
        2,
        (
            "{name}的客户反映遭遇暴力催收，还被爆通讯录，已向监管投诉。",
            "又一位借款人投诉{name}暴力催收，网友呼吁监管部门立案调查。",
        ),
        count=14,
        hours=24,
        ago=200,
        reach_boost=4,
    ),
)
