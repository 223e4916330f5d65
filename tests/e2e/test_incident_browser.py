"""An incident handled end to end in a real browser: a real server on a throwaway SQLite database
seeded with seed_demo, driven by Debian's Chromium (the same set-up as test_portal_browser.py).

Wang Min (manager at demo-a) opens an incident, gives the legal department a task, fills what each
phase needs and moves it on, finishes the task when 复盘 asks for it, records the review and closes
the case. Screenshots of the list, the board and the detail pages land in tests/e2e/artifacts/.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_portal_browser import (  # noqa: F401 -- the fixtures are used by name
    PASSWORD,
    Portal,
    Visit,
    _assert_stayed_on_the_test_server,
    _shoot,
    _sign_in,
    browser,
    portal,
    visit,
)

pytestmark = [pytest.mark.e2e]

TITLE = "网传我司为某城投平台违规展期"


def _submit(page: object, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _message(page: object) -> str:
    return page.inner_text(".messages")


def _open_disclosure(page: object, summary_of: str) -> None:
    details = page.locator(f"details#{summary_of}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def test_the_lists_and_a_demo_incident_render(portal: Portal, visit: Visit) -> None:  # noqa: F811
    page = visit.page
    _sign_in(page, portal, "wangmin", PASSWORD)
    page.goto(f"{portal.url}/incidents/")
    assert page.locator("table[data-table=incidents] tbody tr[data-incident]").count() >= 8
    assert page.locator("[data-sla=breached]").count() >= 1
    _shoot(page, "incident-list")

    # The filters swap the rows in place (htmx), and the address follows.
    page.select_option("#id_sla", "breached")
    page.wait_for_url(re.compile(r"sla=breached"))
    page.wait_for_function(
        "() => [...document.querySelectorAll('tr[data-incident] [data-sla]')]"
        ".every(badge => badge.dataset.sla === 'breached')"
    )

    page.goto(f"{portal.url}/incidents/board/")
    assert page.locator("[data-column]").count() == 5
    _shoot(page, "incident-board")

    page.goto(f"{portal.url}/incidents/")
    with page.expect_navigation():
        page.click("tr[data-incident] a:has-text('在建项目停工')")
    countdown = page.locator("[data-countdown]").first
    first = countdown.inner_text()
    page.wait_for_timeout(1500)
    assert countdown.inner_text() != first, "the countdown does not tick"
    assert page.locator("#plans").count() == 1  # severity I: the emergency-plan panel
    _shoot(page, "incident-detail-demo")

    assert page.locator("#notification-bell").count() == 1
    _assert_stayed_on_the_test_server(visit, portal)


def test_an_incident_goes_from_response_to_closed(portal: Portal, visit: Visit) -> None:  # noqa: F811
    page = visit.page
    _sign_in(page, portal, "wangmin", PASSWORD)

    # Open it.
    page.goto(f"{portal.url}/incidents/")
    _submit(page, "[data-action=create]")
    page.fill("#id_title", TITLE)
    page.select_option("#id_severity", "2")
    page.fill("#id_summary", "自媒体称我司为城投平台违规展期并掩盖逾期，转发 1,200 次。")
    _submit(page, "form[data-form=incident-create] button[type=submit]")
    assert TITLE in page.inner_text("main h1")
    assert "已创建事件" in _message(page)
    code = re.search(r"YQ-\d{4}-\d{4}", page.inner_text("main h1")).group(0)

    # A task for the legal department.
    _open_disclosure(page, "task")
    page.fill("#id_task-title", "评估帖文是否构成商业诋毁")
    page.select_option("#id_task-department", label="法务部")
    page.fill("#id_task-due_at", "2030-01-01T18:00")
    _submit(page, "[data-action=add-task]")
    assert "已向法务部分派任务" in _message(page)
    assert page.locator("table[data-table=tasks] tr[data-task]").count() == 1

    # 响应与信息收集 → 分析研判: first an empty move, refused in Chinese.
    _submit(page, "[data-action=advance]")
    assert "进入下一阶段前请填写“涉及主体（谁）”。" in page.inner_text("#phase")
    page.fill("#id_facts_who", "财经自媒体“城投观察员”")
    page.fill("#id_facts_what", "发帖称我司为某城投平台违规展期")
    page.fill("#id_facts_when", "昨晚 22:40 首发")
    _submit(page, "[data-action=advance]")
    assert "事件已进入“分析研判”阶段。" in _message(page)

    # 分析研判 → 制定方案.
    page.select_option("#id_nature", label="谣言")
    page.select_option("#id_media_level", "self_media")
    page.fill("#id_analysis", "展期为正常合同安排，帖文系误读，传播集中在自媒体。")
    _submit(page, "[data-action=advance]")
    assert "事件已进入“制定方案”阶段。" in _message(page)

    # 制定方案 → 实施与反馈.
    page.fill("#id_plan", "发布澄清说明；法务评估追责。")
    page.fill("#id_responsibilities", "公关部：澄清；法务部：评估。")
    _submit(page, "[data-action=advance]")
    assert "事件已进入“实施与反馈”阶段。" in _message(page)

    # 实施与反馈 → 复盘: the open task stops the move until it is done.
    page.fill("#id_actions_taken", "已发布澄清说明，原帖已删除。")
    _submit(page, "[data-action=advance]")
    assert "还有 1 项协同任务未完成" in page.inner_text("#phase")
    with page.expect_navigation():
        page.click("table[data-table=tasks] tr[data-task] a")
    page.select_option("#id_status", "done")
    _submit(page, "[data-action=set-status]")
    assert "任务状态已改为“已完成”。" in _message(page)
    with page.expect_navigation():
        page.click(f"a.mono:has-text('{code}')")
    page.fill("#id_actions_taken", "已发布澄清说明，原帖已删除。")
    _submit(page, "[data-action=advance]")
    assert "事件已进入“复盘总结”阶段。" in _message(page)

    # 复盘: the review with one improvement action, then close.
    page.fill("#id_root_cause", "自媒体误读展期安排；我司未及时公开说明。")
    page.fill("#id_what_worked", "2 小时内完成核实并发布澄清。")
    page.select_option("#id_actions-0-kind", "training_need")
    page.fill("#id_actions-0-title", "城投业务信息披露口径培训")
    page.select_option("#id_actions-0-owner", label="陈静 · 公关部")
    page.fill("#id_actions-0-due_date", "2030-02-01")
    _submit(page, "[data-action=review]")
    assert "已记录复盘" in _message(page)
    _submit(page, "[data-action=close]")
    assert "事件已进入“已关闭”阶段。" in _message(page)
    assert page.locator("[data-note=closed]").count() == 1
    assert "城投业务信息披露口径培训" in page.inner_text("#review")
    assert page.locator("[data-list=timeline] li[data-kind=phase]").count() >= 6
    _shoot(page, "incident-detail")

    _assert_stayed_on_the_test_server(visit, portal)
