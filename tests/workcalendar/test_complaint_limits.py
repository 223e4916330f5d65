"""The complaint time-limit templates: their numbers, their legal basis, and their due times."""

from __future__ import annotations

import pytest

from tests.workcalendar.test_deadlines_golden import CAL, at
from yuqing.workcalendar.complaint_limits import (
    CBIRC_2020,
    CBRC_2012,
    COMPLAINT_TIME_LIMITS,
    CONSUMER_LAW_46,
    DEFAULT_CODE,
    PBOC_2020,
    ComplaintTimeLimit,
    LimitStage,
    complaint_time_limit,
    complaint_time_limit_choices,
)
from yuqing.workcalendar.deadlines import ClockKind


def test_the_cbirc_rule_is_15_then_30_then_60_calendar_days_and_no_more():
    assert CBIRC_2020.clock is ClockKind.CALENDAR_DAYS
    assert [CBIRC_2020.days_for(stage) for stage in range(3)] == [15, 30, 60]
    assert CBIRC_2020.max_days == 60
    with pytest.raises(ValueError):
        CBIRC_2020.days_for(3)
    assert any("审批" in str(condition) for condition in CBIRC_2020.stages[2].conditions)
    assert any("告知投诉人" in str(condition) for condition in CBIRC_2020.stages[1].conditions)


def test_the_other_rules_carry_their_numbers():
    assert (CBRC_2012.clock, CBRC_2012.base_days, CBRC_2012.max_days) == (ClockKind.WORKING_DAYS, 15, 60)
    assert (CONSUMER_LAW_46.clock, CONSUMER_LAW_46.base_days, CONSUMER_LAW_46.max_days) == (
        ClockKind.WORKING_DAYS,
        7,
        7,
    )
    assert PBOC_2020.base_days == 15


def test_every_rule_states_its_legal_basis_and_only_pboc_is_unconfirmed():
    for rule in COMPLAINT_TIME_LIMITS.values():
        assert str(rule.legal_basis).startswith("《")
        assert "第二百零三条" in str(rule.counting_basis)
    assert "第四十六条" in str(CONSUMER_LAW_46.legal_basis)
    assert "2020 年第 3 号" in str(CBIRC_2020.legal_basis)
    assert [rule.code for rule in COMPLAINT_TIME_LIMITS.values() if not rule.is_confirmed] == ["pboc_2020"]
    assert "核实" in str(PBOC_2020.caveat)


def test_the_default_is_the_cbirc_rule_and_codes_are_stable():
    assert complaint_time_limit(DEFAULT_CODE) is CBIRC_2020
    assert [code for code, _ in complaint_time_limit_choices()] == [
        "cbirc_2020_3",
        "cbrc_2012",
        "consumer_law_46",
        "pboc_2020",
    ]
    with pytest.raises(ValueError):
        complaint_time_limit("made_up")


def test_a_complaint_received_before_national_day_is_due_after_it():
    # Received 2025-09-20: day 15 is Sun 10-05 inside the break, so it is due at the end of 10-09;
    # extended to 30 days it ends on Mon 10-20; to 60, on Wed 11-19.
    received = at("2025-09-20 10:00")
    assert CBIRC_2020.due_at(CAL, received).at == at("2025-10-10 00:00")
    assert CBIRC_2020.due_at(CAL, received, stage=1).at == at("2025-10-21 00:00")
    assert CBIRC_2020.due_at(CAL, received, stage=2).at == at("2025-11-20 00:00")


def test_working_day_rules_skip_the_spring_festival():
    received = at("2026-02-13 10:00")
    # 02-14 (make-up Sat), then 02-24..02-27, 02-28 (make-up Sat), 03-02: seven working days.
    assert CONSUMER_LAW_46.due_at(CAL, received).at == at("2026-03-03 00:00")


def test_a_template_cannot_be_built_with_shrinking_stages_or_an_hour_clock():
    with pytest.raises(ValueError):
        ComplaintTimeLimit(
            code="x",
            name="x",
            clock=ClockKind.CALENDAR_DAYS,
            stages=(LimitStage(30, "a"), LimitStage(15, "b")),
            legal_basis="《x》",
        )
    with pytest.raises(ValueError):
        ComplaintTimeLimit(
            code="x", name="x", clock=ClockKind.BUSINESS_HOURS, stages=(LimitStage(15, "a"),), legal_basis="《x》"
        )
