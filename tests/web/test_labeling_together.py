"""The labeling page's parts together, in Chromium on a real server: an upload that ends
while the annotator is open leaves it (its shapes, its lock, the grid's filter) alone and
says how it went above it; the admin's list of locked files follows the live lock table
(files not in the grid, a lock passing between people, a release of her own once the
server has it); one status line, said again in the other language; after a forced unlock
the member locks the file again and keeps her shapes (and chooses when someone saved
meanwhile); Close puts the focus back somewhere when the file is not in the grid; an
admin in a project without labels is taken to the label set."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.web.test_labeling_annotator import (
    _accessible_everywhere,
    _at,
    _drag,
    _open,
    _shapes,
    _signed_in,
    _team,
    png,
    pytestmark,  # noqa: F401  (the same skip when the libraries are missing)
    server,  # noqa: F401  (the module's server fixture)
)


def _focused(selector: str) -> str:
    return f"() => document.activeElement === document.querySelector({selector!r})"


async def _draw_a_cat(page: Any) -> None:
    await page.click("#annotator [data-tool=rect]")
    await _drag(page, await _at(page, 50, 40), await _at(page, 150, 120))
    await page.locator("#shape-list .shape-item").first.wait_for()


def _save(team: Any, name: str, email: str, shapes: list[Any]) -> None:
    lock = team.post("/v1/labeling/lock", {"project_id": team.project, "file_name": name}, email)
    path = f"/v1/labeling/projects/{team.project}/annotations/{name}"
    team.post(path, {"token": lock["token"], "shapes": shapes}, email, method="PUT")
    team.post("/v1/labeling/unlock", {"project_id": team.project, "file_name": name}, email)


async def test_an_upload_ending_while_annotating_keeps_the_annotator_and_its_lock(
    server: str,  # noqa: F811
    browser: Any,
    tmp_path: Path,
) -> None:
    team = _team(server, images=("a.png", "b.png"))
    grace = await _signed_in(browser, server, team.member)
    await grace.click("#states button[data-state=new]")
    await grace.wait_for_function(
        "() => document.querySelector('#states [data-state=new]').ariaPressed === 'true'"
    )

    # An upload on its way (held back at the network) while Grace opens a file.
    go = asyncio.Event()

    async def held(route: Any) -> None:
        await go.wait()
        await route.continue_()

    await grace.route("**/files/upload", held)
    image = tmp_path / "c.png"
    image.write_bytes(png())
    await grace.set_input_files("#upload-files", str(image))
    await grace.click("#upload button[type=submit]")
    await grace.locator("#upload-status", has_text="Uploading 1 images").wait_for()
    await _open(grace, "a.png")
    await _draw_a_cat(grace)
    brief = grace.locator("#upload-brief-text")
    await brief.filter(has_text="Uploading images: 0 of 1 done").wait_for()
    assert await grace.is_visible("#upload-brief-cancel")

    go.set()  # the upload lands: the grid reads its files again
    await brief.filter(has_text="All 1 images uploaded.").wait_for()
    assert await grace.is_hidden("#upload-brief-cancel")
    await _accessible_everywhere(grace, "the annotator with an upload's outcome above it")
    await grace.locator("li.file[data-file='c.png']").wait_for(state="attached")
    assert await grace.is_visible("#annotator")
    assert len(await _shapes(grace)) == 1
    assert await grace.inner_text("#annotator-version") == "Unsaved changes"
    assert team.locks() == {"a.png": "Grace"}
    assert await grace.get_attribute("#states [data-state=new]", "aria-pressed") == "true"
    await grace.locator("#states button", has_text="All · 3").wait_for(state="attached")

    # Close still asks, then releases; the compact line goes with the annotator.
    await grace.click("#close")
    await grace.click("#unsaved button[value=discard]")
    await grace.wait_for_selector("#annotator", state="hidden")
    # a.png, being labeled when the grid was read again, is not in the "New" grid
    await grace.wait_for_function(_focused("#files li.file button"))
    assert team.locks() == {}
    assert await grace.is_hidden("#upload-brief")
    assert grace.errors == []
    await grace.context.close()


async def test_the_admins_locked_files_follow_the_live_lock_table(
    server: str,  # noqa: F811
    browser: Any,
) -> None:
    team = _team(server, images=("a.png", "b.png"))
    ada = await _signed_in(browser, server, team.admin)
    await ada.wait_for_selector("#admin:not([hidden])")
    await ada.click("#states button[data-state=labeled]")  # a.png is not in the grid
    await ada.wait_for_selector("#no-match:not([hidden])")
    chooser = "#force-unlock select[name=file] option"

    lock = {"project_id": team.project, "file_name": "a.png"}
    team.post("/v1/labeling/lock", lock, team.member)
    await ada.locator(chooser, has_text="a.png, locked by Grace").wait_for(state="attached")
    team.post("/v1/labeling/unlock", {**lock, "force": True, "reason": "Gone"})
    team.post("/v1/labeling/lock", lock)  # the lock passes to Ada
    await ada.locator(chooser, has_text="a.png, locked by Ada").wait_for(state="attached")
    assert await ada.locator(chooser).count() == 1
    team.post("/v1/labeling/unlock", lock)
    await ada.wait_for_selector("#no-locks:not([hidden])")

    # Her own file closed: read once the server has released it, however slow.
    await ada.click("#states button:not([data-state])")
    await _open(ada, "b.png")
    await ada.locator(chooser, has_text="b.png, locked by Ada").wait_for(state="attached")

    async def slow(route: Any) -> None:
        await asyncio.sleep(1.2)
        await route.continue_()

    await ada.route("**/v1/labeling/unlock", slow)
    await ada.click("#close")
    await ada.wait_for_selector("#annotator", state="hidden")
    await ada.wait_for_selector("#no-locks:not([hidden])", timeout=5000)
    await asyncio.sleep(0.5)  # nothing puts it back afterwards
    assert await ada.is_visible("#no-locks")
    assert team.locks() == {}
    assert ada.errors == []
    await ada.context.close()


async def test_one_status_line_said_again_in_the_other_language(
    server: str,  # noqa: F811
    browser: Any,
) -> None:
    team = _team(server, images=("a.png",))
    team.post("/v1/labeling/lock", {"project_id": team.project, "file_name": "a.png"})
    grace = await _signed_in(browser, server, team.member)
    await grace.click("li.file[data-file='a.png'] button")  # Ada holds it: said
    await grace.locator("#message", has_text="a.png is locked by Ada").wait_for()
    await grace.fill("#add-file input[name=name]", "d.jpg")
    await grace.click("#add-file button[type=submit]")
    await grace.locator("#message", has_text="d.jpg registered.").wait_for()
    await grace.evaluate("i18n.setLang('ko')")
    assert await grace.text_content("#message") == "d.jpg 파일을 등록했습니다."
    await grace.evaluate("i18n.setLang('en')")
    assert await grace.text_content("#message") == "d.jpg registered."
    assert grace.errors == []
    await grace.context.close()


async def test_after_a_forced_unlock_the_member_locks_the_file_again_and_keeps_her_shapes(
    server: str,  # noqa: F811
    browser: Any,
) -> None:
    team = _team(server, images=("a.png",))
    lock = {"project_id": team.project, "file_name": "a.png"}
    forced = {**lock, "force": True, "reason": "Checking"}
    grace = await _signed_in(browser, server, team.member)
    await _open(grace, "a.png")
    await _draw_a_cat(grace)
    team.post("/v1/labeling/unlock", forced)
    await grace.locator("#annotator-lock", has_text="Your lock has ended").wait_for()
    relock = grace.locator("#relock")
    await relock.wait_for()
    await grace.keyboard.press("s")  # refused, and the sentence points at Lock it again
    await grace.locator("#message", has_text="Choose Lock it again to keep your shapes").wait_for()
    await grace.evaluate("i18n.setLang('ko')")
    assert "'다시 잠그기'를 고르면" in await grace.text_content("#message")
    assert await relock.inner_text() == "다시 잠그기"
    await grace.evaluate("i18n.setLang('en')")

    # Close asks: Lock it again (no Save, which would be refused) keeps her work.
    await grace.click("#close")
    dialog = grace.locator("#unsaved")
    await dialog.locator("#unsaved-text", has_text="your lock has ended").wait_for()
    assert await dialog.locator("button[value=save]").is_hidden()
    await dialog.locator("button[value=relock]").click()
    await grace.locator("#message", has_text="locked to you again").wait_for()
    await grace.locator("#annotator-lock", has_text="Yours").wait_for()
    assert await relock.is_hidden()
    assert team.locks() == {"a.png": "Grace"}
    await grace.keyboard.press("s")
    await grace.locator("#message", has_text="Saved (version 1).").wait_for()

    # Ended again, and Ada saves meanwhile: Grace chooses to keep hers, saved over it.
    await _draw_a_cat(grace)
    team.post("/v1/labeling/unlock", forced)
    await relock.wait_for()
    _save(team, "a.png", team.admin, [])
    await relock.click()
    await grace.locator("#moved-text", has_text="Ada saved it meanwhile (version 2)").wait_for()
    await grace.wait_for_function(_focused("#moved-theirs"))
    await _accessible_everywhere(grace, "the annotator, saved meanwhile by someone else")
    await grace.click("#moved-mine")
    assert await grace.is_hidden("#annotator-moved")
    assert await grace.inner_text("#annotator-version") == "Unsaved changes"
    await grace.keyboard.press("s")
    await grace.locator("#message", has_text="Saved (version 3).").wait_for()
    latest = team.versions("a.png")["items"][0]
    assert (latest["version"], latest["author"]["name"], len(latest["shapes"])) == (3, "Grace", 2)

    # Once more, and this time hers are set aside for Ada's.
    team.post("/v1/labeling/unlock", forced)
    await relock.wait_for()
    _save(team, "a.png", team.admin, [])
    await relock.click()
    await grace.click("#moved-theirs")
    await grace.locator("#message", has_text="Version 4 is loaded").wait_for()
    assert await _shapes(grace) == []
    assert await grace.inner_text("#annotator-version") == "Saved (version 4)"
    assert grace.errors == []
    await grace.context.close()


async def test_close_puts_the_focus_on_the_first_tile_when_the_file_is_not_listed(
    server: str,  # noqa: F811
    browser: Any,
) -> None:
    team = _team(server, images=("a.png", "b.png"))
    _save(team, "a.png", team.admin, [])
    grace = await _signed_in(browser, server, team.member)
    await grace.click("#states button[data-state=labeled]")
    await grace.wait_for_function("() => document.querySelectorAll('#files li.file').length === 1")
    await _open(grace, "a.png")
    await grace.keyboard.press("n")  # b.png: not in this grid
    await grace.locator("#annotator-title", has_text="b.png").wait_for()
    await grace.click("#close")
    await grace.wait_for_selector("#annotator", state="hidden")
    await grace.wait_for_function(_focused("li.file[data-file='a.png'] button"))
    assert grace.errors == []
    await grace.context.close()


async def test_an_admin_in_a_project_without_labels_is_taken_to_the_label_set(
    server: str,  # noqa: F811
    browser: Any,
) -> None:
    team = _team(server, images=("a.png",))
    team.post(f"/v1/labeling/projects/{team.project}/labels", {"labels": []}, method="PUT")
    grace = await _signed_in(browser, server, team.member)
    await grace.click("li.file[data-file='a.png'] button")
    await grace.locator("#annotator-note", has_text="Ask an admin of your company").wait_for()
    assert await grace.is_hidden("#edit-labels")
    await grace.click("#close")
    await grace.wait_for_selector("#annotator", state="hidden")
    await grace.context.close()

    ada = await _signed_in(browser, server, team.admin)
    await ada.click("li.file[data-file='a.png'] button")
    await ada.locator(
        "#annotator-note", has_text="you add them in the project's label set"
    ).wait_for()
    await ada.click("#edit-labels")
    await ada.wait_for_selector("#annotator", state="hidden")
    await ada.wait_for_function(_focused("#add-label"))
    assert team.locks() == {}
    assert ada.errors == []
    await ada.context.close()
