"""Scoring: explanations, terms, exclusion, customer linking, VIP, reach, velocity, levels, tenant
dictionaries, batches in a fixed number of queries, the sweep, and tenant isolation."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Tier
from tests.customers.factories import CustomerAliasFactory, CustomerFactory
from tests.monitoring.scoring_support import make_mention, make_source, score_and_warn
from yuqing.monitoring import jobs
from yuqing.monitoring.models import DictionaryWord, KeywordRule, Level, Mention, MentionCustomer, Polarity
from yuqing.monitoring.services.lexicon import SEED_LEXICON, keyword_rules_seed
from yuqing.monitoring.services.scoring import NEGATIVE_BELOW, POSITIVE_ABOVE, mentions_score, polarity_for, policy_for
from yuqing.monitoring.services.scoring import service as scoring_service
from yuqing.monitoring.services.scoring.engine import FACTOR_KEYS, Reach, reach_points
from yuqing.monitoring.services.scoring.tenant import caches_clear, engine_for

CONTRACT_KEYS = {
    "score",
    "level",
    "factors",
    "terms",
    "customers",
    "sentiment",
    "model",
    "velocity_per_hour",
    "reach",
    "excluded",
}
SEED_COUNT = sum(len(seeds) for seeds in SEED_LEXICON.values())


@pytest.fixture(autouse=True)
def _fresh_caches():
    caches_clear()
    yield
    caches_clear()


@pytest.fixture(autouse=True)
def warned(monkeypatch) -> list[list[Mention]]:
    """What scoring hands to the warnings step (tested there); recorded here, not queued."""
    calls: list[list[Mention]] = []

    def record(*, tenant, mentions):
        calls.append(list(mentions))

    monkeypatch.setattr(scoring_service, "_warnings_enqueue", record)
    return calls


def score(tenant, *mentions: Mention) -> list[Mention]:
    mentions_score(tenant=tenant, mention_ids=[m.pk for m in mentions])
    return [Mention.objects.for_tenant(tenant).get(pk=m.pk) for m in mentions]


def test_the_explanation_has_the_contract_shape_and_shares_sum_to_one(tenant_a, warned):
    customer = CustomerFactory(tenant=tenant_a, name="华信建设集团有限公司", short_name="华信建设")
    mention = make_mention(
        tenant_a,
        title="华信建设暴雷？",
        body="华信建设旗下项目全面停工，工人聚集讨薪，有人说老板已经跑路了，太气人了。",
        likes=300,
        comments=40,
        shares=25,
        views=20000,
        followers=50000,
    )
    [scored] = score(tenant_a, mention)

    explanation = scored.explanation
    assert set(explanation) == CONTRACT_KEYS
    assert scored.status == Mention.Status.SCORED and scored.scored_at is not None
    assert explanation["score"] == scored.score > 0
    assert explanation["level"] == scored.level == policy_for(tenant_a).level_for(scored.score)
    assert [f["key"] for f in explanation["factors"]] == list(FACTOR_KEYS)
    assert {tuple(sorted(f)) for f in explanation["factors"]} == {("key", "label", "points", "share")}
    assert sum(f["share"] for f in explanation["factors"]) == pytest.approx(1.0, abs=1e-6)
    assert sum(f["points"] for f in explanation["factors"]) == pytest.approx(scored.score, abs=0.6)
    assert {t["term"] for t in explanation["terms"]} >= {"暴雷", "停工", "跑路", "讨薪", "聚集"}
    assert all(set(t) == {"term", "kind", "category", "weight", "where"} for t in explanation["terms"])
    assert explanation["customers"] == [
        {"id": customer.pk, "name": "华信建设集团有限公司", "tier": "standard", "matched": "华信建设"}
    ]
    assert explanation["model"] == "default"
    assert explanation["sentiment"] == pytest.approx(scored.sentiment, abs=1e-4)
    assert explanation["reach"] == {"interactions": 300 + 40 * 5 + 25 * 10 + 2000, "followers": 50000}
    assert explanation["excluded"] is False
    assert warned == [[scored]]


def test_terms_are_matched_in_title_or_body_as_each_rule_says(tenant_a):
    keyword_rules_seed(tenant=tenant_a)
    KeywordRule.objects.for_tenant(tenant_a).filter(term="处罚").update(field=KeywordRule.Field.TITLE)
    mention = make_mention(tenant_a, title="某公司贷款逾期", body="据说还被监管处罚，又涉嫌非法集资。")
    [scored] = score(tenant_a, mention)

    where = {t["term"]: t["where"] for t in scored.explanation["terms"]}
    assert where == {"逾期": "title", "非法集资": "body"}  # 处罚 is a title-only rule now
    categories = {t["term"]: t["category"] for t in scored.explanation["terms"]}
    assert categories == {"逾期": "违约", "非法集资": "非法金融"}


def test_a_term_in_the_title_weighs_more_than_in_the_body(tenant_a):
    in_title = make_mention(tenant_a, title="逾期", body="最近的情况大家都知道了。")
    in_body = make_mention(
        tenant_a, body="逾期 最近的情况大家都知道了。", published_at=timezone.now() - dt.timedelta(hours=5)
    )
    first, second = score(tenant_a, in_title, in_body)
    points = {m.pk: {f["key"]: f["points"] for f in m.explanation["factors"]}["keywords"] for m in (first, second)}
    assert points[in_title.pk] > points[in_body.pk] > 0


def test_an_exclude_term_scores_zero(tenant_a):
    CustomerFactory(tenant=tenant_a, name="华信建设集团有限公司", short_name="华信建设")
    mention = make_mention(tenant_a, body="华信建设招聘项目经理，逾期不候，待遇从优。")
    [scored] = score(tenant_a, mention)

    assert scored.score == 0 and scored.level is None
    assert scored.explanation["excluded"] is True
    assert scored.explanation["factors"] == []
    assert {"term": "招聘", "kind": "exclude"}.items() <= scored.explanation["terms"][-1].items() or any(
        t["term"] == "招聘" and t["kind"] == "exclude" for t in scored.explanation["terms"]
    )
    assert not MentionCustomer.objects.for_tenant(tenant_a).exists()


def test_a_customer_is_linked_by_alias_and_one_character_aliases_are_ignored(tenant_a):
    customer = CustomerFactory(tenant=tenant_a, name="星河城市发展股份有限公司", short_name="")
    CustomerAliasFactory(tenant=tenant_a, customer=customer, alias="星河城发")
    CustomerAliasFactory(tenant=tenant_a, customer=customer, alias="星")
    linked = make_mention(tenant_a, body="星河城发的项目又停工了？")
    star_only = make_mention(
        tenant_a, body="今晚的星空真美，满天的星。", published_at=timezone.now() - dt.timedelta(hours=3)
    )
    score(tenant_a, linked, star_only)

    links = list(MentionCustomer.objects.for_tenant(tenant_a).values_list("mention_id", "customer_id", "matched"))
    assert links == [(linked.pk, customer.pk, "星河城发")]


def test_a_name_inside_another_customers_longer_name_links_only_the_longer(tenant_a):
    short = CustomerFactory(tenant=tenant_a, name="华夏", short_name="")
    longer = CustomerFactory(tenant=tenant_a, name="华夏幸福", short_name="")
    both = make_mention(tenant_a, body="华夏幸福的债券展期了。")
    only_short = make_mention(tenant_a, body="华夏这次逾期了。", published_at=timezone.now() - dt.timedelta(hours=3))
    first, second = score(tenant_a, both, only_short)

    assert [c["id"] for c in first.explanation["customers"]] == [longer.pk]
    assert [c["id"] for c in second.explanation["customers"]] == [short.pk]


def test_a_vip_customer_raises_the_score(tenant_a):
    vip = CustomerFactory(tenant=tenant_a, name="金石控股集团", short_name="金石控股", tier=Tier.VIP)
    standard = CustomerFactory(tenant=tenant_a, name="银川实业集团", short_name="银川实业")
    text = "{name}的贷款逾期了，供应商都在催款，大家注意风险。"
    about_vip = make_mention(tenant_a, body=text.format(name="金石控股"))
    about_standard = make_mention(
        tenant_a, body=text.format(name="银川实业"), published_at=timezone.now() - dt.timedelta(hours=4)
    )
    vip_scored, standard_scored = score(tenant_a, about_vip, about_standard)

    assert vip_scored.explanation["customers"][0]["tier"] == "vip"
    customer_points = {
        m.pk: {f["key"]: f["points"] for f in m.explanation["factors"]}["customer"]
        for m in (vip_scored, standard_scored)
    }
    # 5 × risk weight (VIP 1.5, standard 1.0) + the policy's VIP boost (5 by default)
    assert customer_points == {about_vip.pk: 12.5, about_standard.pk: 5.0}
    assert vip_scored.score > standard_scored.score
    assert standard.pk in MentionCustomer.objects.for_tenant(tenant_a).values_list("customer_id", flat=True)

    policy = policy_for(tenant_a)
    policy.vip_boost = 30
    policy.save()
    [rescored] = score(tenant_a, about_vip)
    assert {f["key"]: f["points"] for f in rescored.explanation["factors"]}["customer"] == 37.5
    assert vip.pk in MentionCustomer.objects.for_tenant(tenant_a).values_list("customer_id", flat=True)


def test_reach_is_log_scaled_and_grows_with_interactions_and_followers():
    quiet = reach_points(Reach())
    assert quiet == 0
    by_likes = [reach_points(Reach(likes=n)) for n in (10, 100, 1_000, 10_000, 100_000, 1_000_000)]
    assert by_likes == sorted(by_likes) and len(set(by_likes)) == len(by_likes)
    by_followers = [reach_points(Reach(followers=n)) for n in (10, 1_000, 100_000, 10_000_000)]
    assert by_followers == sorted(by_followers) and len(set(by_followers)) == len(by_followers)
    # log-scaled: ten times the likes adds less each time, and it never passes the factor's cap
    steps = [b - a for a, b in itertools.pairwise(by_likes)]
    assert steps == sorted(steps, reverse=True)
    assert max(by_likes) < 15
    # a comment weighs 5 likes, a share 10, a view a tenth
    assert reach_points(Reach(comments=10)) == reach_points(Reach(likes=50))
    assert reach_points(Reach(shares=10)) == reach_points(Reach(likes=100))
    assert reach_points(Reach(views=1000)) == reach_points(Reach(likes=100))


def test_velocity_counts_related_mentions_in_the_hour_before(tenant_a):
    CustomerFactory(tenant=tenant_a, name="远航物流股份有限公司", short_name="远航物流")
    now = timezone.now()
    earlier = [
        make_mention(
            tenant_a, body=f"远航物流{n}号仓库的工资还没发。", published_at=now - dt.timedelta(minutes=minutes)
        )
        for n, minutes in enumerate((10, 20, 30, 150))
    ]
    by_term = make_mention(tenant_a, body="另一家公司也被曝资金链断裂。", published_at=now - dt.timedelta(minutes=5))
    also_term = make_mention(tenant_a, body="听说好几家都资金链断裂了", published_at=now - dt.timedelta(minutes=15))
    unrelated = make_mention(tenant_a, body="今天的天气真不错。", published_at=now - dt.timedelta(minutes=1))
    score(tenant_a, *earlier, also_term, unrelated)
    first = Mention.objects.for_tenant(tenant_a).get(pk=earlier[0].pk)
    assert first.explanation["velocity_per_hour"] == 2  # 20 and 30 minutes before it; not the one 150 before

    latest = make_mention(tenant_a, body="远航物流资金链断裂，仓库停工了。", published_at=now, repost_count=4)
    [scored] = score(tenant_a, latest)
    # customer: the three within the hour; its top term 资金链断裂: also_term and by_term (still
    # pending: the text is what counts); plus the mention's own 4 reposts
    assert scored.explanation["velocity_per_hour"] == 3 + 2 + 4
    [term_only] = score(tenant_a, by_term)
    assert term_only.explanation["velocity_per_hour"] == 1  # also_term; latest came after it


def test_the_level_follows_the_tenant_thresholds(tenant_a):
    CustomerFactory(tenant=tenant_a, name="华信建设集团有限公司", short_name="华信建设", tier=Tier.VIP)
    mention = make_mention(
        tenant_a,
        body="华信建设暴雷跑路，非法集资，投资人集体维权拉横幅，太可怕了！",
        source=make_source(tenant_a, name="财新网", kind="news", weight="2.5"),
        repost_count=40,
        likes=5000,
        comments=800,
        shares=900,
        views=200000,
        followers=300000,
    )
    [scored] = score(tenant_a, mention)
    policy = policy_for(tenant_a)
    assert scored.score >= policy.red_at and scored.level == Level.RED

    policy.blue_at, policy.yellow_at, policy.orange_at, policy.red_at = 10, 20, scored.score, scored.score + 1
    policy.save()
    [rescored] = score(tenant_a, mention)
    assert rescored.score == scored.score and rescored.level == Level.ORANGE

    policy.blue_at = policy.yellow_at = policy.orange_at = policy.red_at = 101  # out of reach
    policy.save()
    [rescored] = score(tenant_a, mention)
    assert rescored.level is None


def test_an_unrelated_mention_scores_low(tenant_a):
    mention = make_mention(
        tenant_a, body="周末去公园散步，天气太差了，心情很糟糕。", likes=9000, comments=900, followers=1_000_000
    )
    [scored] = score(tenant_a, mention)
    assert scored.score < policy_for(tenant_a).blue_at / 2
    assert scored.level is None


def test_sentiment_and_polarity(tenant_a):
    negative = make_mention(tenant_a, body="服务太差了，骗子公司，坑人，再也不会相信了，非常失望。")
    positive = make_mention(tenant_a, body="非常满意，服务很好，效率高，值得推荐，点赞！")
    neg, pos = score(tenant_a, negative, positive)
    assert neg.sentiment < NEGATIVE_BELOW and neg.polarity == Polarity.NEGATIVE
    assert pos.sentiment > POSITIVE_ABOVE and pos.polarity == Polarity.POSITIVE
    assert polarity_for(0.5) == Polarity.NEUTRAL
    assert pos.score < neg.score


def test_a_new_dictionary_word_takes_effect_without_a_restart(tenant_a):
    assert "金穗宝" not in engine_for(tenant_a).words("", "我买了金穗宝理财")
    DictionaryWord.objects.create(tenant=tenant_a, word="金穗宝", kind=DictionaryWord.Kind.PRODUCT)
    assert "金穗宝" in engine_for(tenant_a).words("", "我买了金穗宝理财")


def test_a_changed_keyword_rule_takes_effect_without_a_restart(tenant_a):
    keyword_rules_seed(tenant=tenant_a)
    first = make_mention(tenant_a, body="客户反映合同里有霸王条款。")
    [scored] = score(tenant_a, first)
    assert scored.explanation["terms"] == []

    KeywordRule.objects.create(tenant=tenant_a, term="霸王条款", category="合同", weight=30)
    [rescored] = score(tenant_a, first)
    assert [t["term"] for t in rescored.explanation["terms"]] == ["霸王条款"]
    assert rescored.score > scored.score

    KeywordRule.objects.for_tenant(tenant_a).filter(term="霸王条款").update(is_active=False)
    [again] = score(tenant_a, first)
    assert again.explanation["terms"] == []


def test_a_new_alias_links_without_a_restart(tenant_a):
    customer = CustomerFactory(tenant=tenant_a, name="东方明珠置业有限公司", short_name="")
    mention = make_mention(tenant_a, body="明珠置业的楼盘烂尾了。")
    [scored] = score(tenant_a, mention)
    assert scored.explanation["customers"] == []

    CustomerAliasFactory(tenant=tenant_a, customer=customer, alias="明珠置业")
    [rescored] = score(tenant_a, mention)
    assert [c["matched"] for c in rescored.explanation["customers"]] == ["明珠置业"]


def test_rescoring_recomputes_and_replaces_the_customer_links(tenant_a):
    customer = CustomerFactory(tenant=tenant_a, name="东方明珠置业有限公司", short_name="明珠置业")
    mention = make_mention(tenant_a, body="明珠置业的楼盘烂尾了。")
    score(tenant_a, mention)
    score(tenant_a, mention)
    assert list(MentionCustomer.objects.for_tenant(tenant_a).values_list("customer_id", flat=True)) == [customer.pk]

    customer.short_name = "东方置业"
    customer.save()
    [rescored] = score(tenant_a, mention)
    assert rescored.explanation["customers"] == []
    assert not MentionCustomer.objects.for_tenant(tenant_a).exists()


def test_another_tenants_customers_are_never_linked(tenant_a, tenant_b):
    other = CustomerFactory(tenant=tenant_b, name="龙腾建设集团有限公司", short_name="龙腾建设")
    CustomerAliasFactory(tenant=tenant_b, customer=other, alias="龙腾集团")
    mention = make_mention(tenant_a, body="龙腾建设暴雷了吗？龙腾集团的工地都停了。")
    [scored] = score(tenant_a, mention)
    assert scored.explanation["customers"] == []
    assert not MentionCustomer.objects.for_tenant(tenant_a).exists()
    assert not MentionCustomer.objects.for_tenant(tenant_b).exists()

    own = CustomerFactory(tenant=tenant_a, name="龙腾建设集团有限公司", short_name="龙腾建设")
    [rescored] = score(tenant_a, mention)
    assert [c["id"] for c in rescored.explanation["customers"]] == [own.pk]
    # tenant B's words never enter tenant A's engine, and the other way round
    assert engine_for(tenant_b).customer_names == {other.pk: "龙腾建设集团有限公司"}


def test_another_tenants_mention_ids_are_ignored(tenant_a, tenant_b):
    theirs = make_mention(tenant_b, body="逾期了")
    assert mentions_score(tenant=tenant_a, mention_ids=[theirs.pk]) == []
    assert Mention.objects.for_tenant(tenant_b).get(pk=theirs.pk).status == Mention.Status.PENDING


def test_the_seed_lexicon_is_created_for_a_tenant_without_rules(tenant_a):
    assert not KeywordRule.objects.for_tenant(tenant_a).exists()
    score(tenant_a, make_mention(tenant_a, body="逾期"))
    assert KeywordRule.objects.for_tenant(tenant_a).count() == SEED_COUNT
    assert KeywordRule.objects.for_tenant(tenant_a).get(term="挤兑").weight > (
        KeywordRule.objects.for_tenant(tenant_a).get(term="曝光").weight
    )

    KeywordRule.objects.for_tenant(tenant_a).filter(term="曝光").update(weight=50)
    assert keyword_rules_seed(tenant=tenant_a) == 0
    assert KeywordRule.objects.for_tenant(tenant_a).get(term="曝光").weight == 50
    assert set(KeywordRule.objects.for_tenant(tenant_a).filter(kind="exclude").values_list("term", flat=True)) >= {
        "招聘",
        "广告",
    }


def test_a_batch_takes_the_same_number_of_queries_whatever_its_size(tenant_a):
    customers = [
        CustomerFactory(
            tenant=tenant_a, name=f"第{n}建设集团", short_name=f"第{n}建设", tier=Tier.VIP if n % 2 else "standard"
        )
        for n in range(10)
    ]
    source = make_source(tenant_a)
    texts = ["{name}项目停工，工人讨薪。", "{name}贷款逾期了吗？", "{name}被立案调查。", "今天天气很好。"]

    def batch(size: int) -> list[Mention]:
        return [
            make_mention(tenant_a, source=source, body=texts[n % 4].format(name=customers[n % 10].short_name) + str(n))
            for n in range(size)
        ]

    score(tenant_a, *batch(2))  # builds and caches the engine
    small, large = batch(3), batch(40)
    with CaptureQueriesContext(connection) as small_queries:
        mentions_score(tenant=tenant_a, mention_ids=[m.pk for m in small])
    with CaptureQueriesContext(connection) as large_queries:
        mentions_score(tenant=tenant_a, mention_ids=[m.pk for m in large])
    assert len(large_queries) == len(small_queries) <= 16
    assert Mention.objects.for_tenant(tenant_a).filter(status=Mention.Status.PENDING).count() == 0


def test_the_job_scores_by_tenant_id(tenant_a):
    mention = make_mention(tenant_a, body="逾期了")
    assert jobs.mentions_score_job(tenant_a.pk, [mention.pk]) == 1
    assert Mention.objects.for_tenant(tenant_a).get(pk=mention.pk).status == Mention.Status.SCORED


def test_the_sweep_requeues_mentions_left_pending_once(tenant_a, tenant_b, rq_queues):
    import django_rq
    from rq import SimpleWorker

    stale = [make_mention(tenant_a, body=f"逾期了{n}") for n in range(3)]
    fresh = make_mention(tenant_a, body="刚刚收到的")
    other = make_mention(tenant_b, body="乙方的逾期")
    scored = make_mention(tenant_a, body="已经评过分")
    score(tenant_a, scored)
    old = timezone.now() - dt.timedelta(minutes=5)
    Mention.objects.for_tenant(tenant_a).filter(pk__in=[m.pk for m in stale] + [scored.pk]).update(received_at=old)
    Mention.objects.for_tenant(tenant_b).filter(pk=other.pk).update(received_at=old)

    assert jobs.mentions_score_sweep() == 2  # one batch per tenant
    queue = django_rq.get_queue("scoring")
    queued = {tuple(job.args): job.kwargs["mention_ids"] for job in queue.get_jobs()}
    assert queued == {(tenant_a.pk,): [m.pk for m in stale], (tenant_b.pk,): [other.pk]}
    assert fresh.pk not in queued[(tenant_a.pk,)]

    assert jobs.mentions_score_sweep() == 0  # still waiting in the queue: not queued twice
    assert queue.count == 2

    # SimpleWorker runs the jobs in this process, so they see this test's uncommitted rows.
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert Mention.objects.for_tenant(tenant_a).filter(pk__in=[m.pk for m in stale], status="scored").count() == 3
    assert Mention.objects.for_tenant(tenant_b).get(pk=other.pk).status == Mention.Status.SCORED
    assert jobs.mentions_score_sweep() == 0


def test_a_red_mention_reaches_the_warnings_module_for_real(tenant_a, monkeypatch):
    from yuqing.monitoring.models import RiskWarning

    monkeypatch.undo()  # the real warnings module this time
    CustomerFactory(tenant=tenant_a, name="华信建设集团有限公司", short_name="华信建设", tier=Tier.VIP)
    mention = make_mention(
        tenant_a,
        body="华信建设暴雷跑路，非法集资，投资人集体维权拉横幅，太可怕了！",
        source=make_source(tenant_a, name="财新网", kind="news", weight="2.5"),
        repost_count=40,
        likes=5000,
        comments=800,
        shares=900,
        followers=300000,
    )
    [scored] = score_and_warn(tenant_a, mention)
    assert scored.level == Level.RED
    warning = RiskWarning.objects.for_tenant(tenant_a).get()
    assert warning.level == Level.RED and warning.trigger_id == mention.pk
