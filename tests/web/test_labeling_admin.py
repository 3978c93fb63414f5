"""The labeling page's admin screens in Chromium on a real server: an admin creates a
project, edits its label set, uploads many images at once (a few at a time, each with
its progress; the refused ones said in sentences), renames and deletes a project (asked
first, in a dialog); releases a member's lock with a reason, which the audit trail shows
and the member's page follows. Upload and release work by keyboard alone; members see
no admin controls; axe at 1280 and 375 px in English and Korean; no page errors and no
request to another host."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.web.axe import AXE, assert_accessible

pytestmark = pytest.mark.skipif(
    not (VENDOR["socket.io.min.js"].is_file() and AXE.is_file()),
    reason="browser tests: the npm libraries are missing (run make)",
)
MAX_IMAGE_BYTES = 20_000  # "at most 20 KB"
CAT = (Path(__file__).resolve().parents[2] / "http" / "files" / "cat.png").read_bytes()

# Counts the uploads in flight at once (the page promises a few at a time).
COUNT_UPLOADS = """
(() => {
  window.__uploads = { now: 0, most: 0, total: 0 };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (body) {
    const seen = window.__uploads;
    seen.now += 1;
    seen.total += 1;
    seen.most = Math.max(seen.most, seen.now);
    // Done when readyState is 4: before "load", whose listener may start the next upload.
    this.addEventListener("readystatechange", () => this.readyState === 4 && (seen.now -= 1));
    return send.call(this, body);
  };
})();
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_LABELING_MAX_IMAGE_BYTES": str(MAX_IMAGE_BYTES),
        "BACKLOT_LABELING_MAX_LABELS": "3",
    }
    with running_server(tmp_path_factory.mktemp("labeling-admin"), env) as base:
        yield base


class Team:
    """A company with an admin (Ada) and a member (Grace), and the API as each of them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.admin, self.member = unique_email("ladmin"), unique_email("lmember")
        with httpx.Client(base_url=base) as http:
            http.post(
                "/v1/auth/register",
                json={
                    "email": self.admin,
                    "password": PASSWORD,
                    "display_name": "Ada",
                    "corporation_name": self.admin,
                },
            ).raise_for_status()
            http.post(
                "/v1/users",
                json={"email": self.member, "password": PASSWORD, "display_name": "Grace"},
                headers=self.headers(self.admin),
            ).raise_for_status()

    def headers(self, email: str) -> dict[str, str]:
        with httpx.Client(base_url=self.base) as http:
            tokens = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        return {"Authorization": f"Bearer {tokens.json()['access_token']}"}

    def call(self, method: str, path: str, email: str | None = None, **kwargs: Any) -> Any:
        with httpx.Client(base_url=self.base) as http:
            return http.request(method, path, headers=self.headers(email or self.admin), **kwargs)

    def project(self, name: str, *files: str) -> int:
        project = int(self.call("POST", "/v1/labeling/projects", json={"name": name}).json()["id"])
        for file in files:
            path = f"/v1/labeling/projects/{project}/files"
            self.call("POST", path, json={"name": file}).raise_for_status()
        return project

    def projects(self) -> dict[str, int]:
        items = self.call("GET", "/v1/labeling/projects").json()["items"]
        return {p["name"]: p["id"] for p in items}

    def file_names(self, project: int) -> list[str]:
        files = self.call("GET", f"/v1/labeling/projects/{project}/files").json()
        return sorted(f["name"] for f in files["items"])


class Watched:
    """A signed-in page that may reach 127.0.0.1 only; keeps page errors and what else
    it tried to reach."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.elsewhere: list[str] = []

    async def open(self, browser: Any, base: str, email: str, locale: str = "en-US") -> Any:
        context = await browser.new_context(locale=locale)
        await context.add_init_script(COUNT_UPLOADS)
        await context.route("**/*", self._route)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        await page.goto(f"{base}/app/labeling")
        await page.fill("input[name=email]", email)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("#login button[type=submit]")
        await page.wait_for_selector("#who:not([hidden])")
        return page

    async def _route(self, route: Any) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in ("blob", "data") or url.hostname == "127.0.0.1":
            await route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            await route.abort()

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.elsewhere == []


def _images(folder: Path) -> list[Path]:
    """Four images, a text file and an image larger than the server accepts."""
    paths = []
    for name in ("sign-1.png", "sign-2.png", "sign-3.png", "sign-4.png"):
        paths.append(folder / name)
        paths[-1].write_bytes(CAT)
    paths.append(folder / "notes.txt")
    paths[-1].write_text("not an image\n")
    paths.append(folder / "huge.png")
    paths[-1].write_bytes(CAT + b"\0" * (40 * 1024 - len(CAT)))  # 40 KB
    return paths


async def _accessible_everywhere(page: Any, what: str) -> None:
    """axe in both languages at desktop and phone width, and no sideways scroll."""
    for lang in ("en", "ko"):
        await page.select_option("#lang", lang)
        for width in (1280, 375):
            await page.set_viewport_size({"width": width, "height": 800})
            await assert_accessible(page, f"{what}, {lang}, {width} px")
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{what} at {width} px scrolls sideways by {overflow} px"
    await page.select_option("#lang", "en")
    await page.set_viewport_size({"width": 1280, "height": 800})


async def _tab_to(page: Any, selector: str) -> None:
    """Presses Tab until the element has the focus, as a keyboard user would."""
    for _ in range(80):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


async def _focused(page: Any, selector: str) -> bool:
    return bool(
        await page.evaluate(f"document.activeElement === document.querySelector({selector!r})")
    )


async def test_an_admin_creates_labels_uploads_renames_and_deletes(
    server: str, browser: Any, tmp_path: Path
) -> None:
    team = Team(server)
    team.project("Street signs")
    watched = Watched()
    page = await watched.open(browser, server, team.admin)
    await page.wait_for_selector("#admin:not([hidden])")
    assert await page.text_content("#admin-title") == "Manage projects"
    assert await page.text_content("#upload-title") == "Upload images"
    assert await page.input_value("#rename-project input[name=name]") == "Street signs"

    # A new project, opened at once.
    await page.fill("#new-project input[name=name]", "Traffic lights")
    await page.click("#new-project button[type=submit]")
    await page.locator("#project-message", has_text="Project Traffic lights created").wait_for()
    project = team.projects()["Traffic lights"]
    await page.wait_for_function(f"() => document.querySelector('#project').value === '{project}'")
    await page.wait_for_selector("#connection.online")
    assert await page.input_value("#rename-project input[name=name]") == "Traffic lights"

    # The label set: two labels with their colours; a duplicate is refused in words.
    assert await page.is_visible("#no-labels")
    await page.click("#add-label")
    await page.keyboard.type("red light")  # the new label's name has the focus
    await page.click("#add-label")
    await page.keyboard.type("red light")
    await page.click("#labels-form button[type=submit]")
    await page.locator(
        "#labels-message", has_text="Two labels are called red light: each name may be used once."
    ).wait_for()
    assert team.call("GET", f"/v1/labeling/projects/{project}/labels").json()["labels"] == []
    second = page.locator("#labels li").nth(1)
    await second.locator("input[name=label-name]").fill("green light")
    await second.locator("input[type=color]").fill("#00aa44")
    await page.click("#labels-form button[type=submit]")
    await page.locator("#labels-message", has_text="Label set saved: 2 labels.").wait_for()
    labels = team.call("GET", f"/v1/labeling/projects/{project}/labels").json()["labels"]
    assert [label["name"] for label in labels] == ["red light", "green light"]
    assert labels[1]["color"] == "#00aa44"
    await page.click("#labels li:first-child button")  # remove "red light"
    await page.click("#labels-form button[type=submit]")
    await page.locator("#labels-message", has_text="Label set saved: 1 labels.").wait_for()
    labels = team.call("GET", f"/v1/labeling/projects/{project}/labels").json()["labels"]
    assert labels == [{"name": "green light", "color": "#00aa44"}]
    for name in ("amber", "flashing", "off"):  # one more than this server allows
        await page.click("#add-label")
        await page.keyboard.type(name)
    await page.click("#labels-form button[type=submit]")
    await page.locator(
        "#labels-message", has_text="A label set may have at most 3 labels."
    ).wait_for()
    labels = team.call("GET", f"/v1/labeling/projects/{project}/labels").json()["labels"]
    assert [label["name"] for label in labels] == ["green light"]

    # Six files at once: four land, two are refused, each said in a sentence.
    await page.set_input_files("#upload-files", [str(p) for p in _images(tmp_path)])
    await page.click("#upload button[type=submit]")
    await page.locator(
        "#upload-status", has_text="4 of 6 images uploaded; 2 could not be, see why below."
    ).wait_for()
    rows = page.locator("#upload-list li")
    assert await rows.count() == 6
    for name in ("sign-1.png", "sign-2.png", "sign-3.png", "sign-4.png"):
        row = page.locator(f"#upload-list li[data-state=done]:has-text('{name}')")
        assert await row.locator("progress").get_attribute("value") == "100"
        assert await row.locator("progress").get_attribute("aria-label") == f"Upload of {name}"
        assert await row.locator(".state").inner_text() == "Uploaded"
    refused = page.locator("#upload-list li[data-state=failed] .state")
    assert sorted(await refused.all_inner_texts()) == [
        "huge.png is too large (40 KB): this server takes only smaller images.",
        "notes.txt is not an image Backlot accepts (JPEG, PNG, GIF, WebP, BMP or TIFF).",
    ]
    uploads = await page.evaluate("window.__uploads")
    assert uploads["total"] == 6 and 1 < uploads["most"] <= 3, uploads
    for name in ("sign-1.png", "sign-4.png"):
        await page.wait_for_selector(f"li.file[data-file='{name}'] img")  # in the grid
    assert team.file_names(project) == ["sign-1.png", "sign-2.png", "sign-3.png", "sign-4.png"]
    await _accessible_everywhere(page, "labeling admin after an upload")
    await page.select_option("#lang", "ko")  # the refusals follow the language
    await page.locator(
        "#upload-list li[data-state=failed] .state", has_text="notes.txt 파일은 받을 수 있는"
    ).wait_for()
    await page.select_option("#lang", "en")

    # Renamed, then deleted: asked first, in the page; Escape keeps it.
    await page.fill("#rename-project input[name=name]", "Signals")
    await page.click("#rename-project button[type=submit]")
    await page.locator("#project-message", has_text="The project is now called Signals.").wait_for()
    assert await page.eval_on_selector("#project", "(s) => s.selectedOptions[0].text") == "Signals"
    assert "Signals" in team.projects()
    await page.click("#delete-project")
    dialog = page.locator("#delete-dialog")
    await dialog.wait_for()
    assert await page.text_content("#delete-title") == "Delete the project Signals?"
    text = await page.text_content("#delete-text") or ""
    assert "its 4 files and their images" in text and "cannot be undone" in text
    assert await _focused(page, "#delete-dialog button[value=keep]")  # the safe choice first
    await assert_accessible(page, "the delete dialog")
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="hidden")
    assert await _focused(page, "#delete-project")  # back where the question came from
    assert "Signals" in team.projects()
    await page.click("#delete-project")
    await page.click("#delete-dialog button[value=delete]")
    await page.locator(
        "#project-message", has_text="Project Signals deleted, with its files"
    ).wait_for()
    assert team.projects() == {"Street signs": team.projects()["Street signs"]}
    assert await page.eval_on_selector("#project", "(s) => [...s.options].map((o) => o.text)") == [
        "Street signs"
    ]
    assert await page.input_value("#rename-project input[name=name]") == "Street signs"
    watched.assert_clean()
    await page.context.close()


async def test_an_admin_releases_a_members_lock_with_a_reason_by_keyboard(
    server: str, browser: Any
) -> None:
    team = Team(server)
    project = team.project("Signs", "a.jpg", "b.jpg")
    watched = Watched()
    grace = await watched.open(browser, server, team.member)
    await grace.wait_for_selector("#connection.online")
    await grace.click("li.file[data-file='a.jpg']")  # locked, and open in her annotator
    await grace.locator("#annotator-lock", has_text="Yours").wait_for()

    ada = await watched.open(browser, server, team.admin)
    await ada.wait_for_selector("#connection.online")
    await ada.wait_for_selector("#admin:not([hidden])")
    chooser = "#force-unlock select[name=file]"
    await ada.locator(f"{chooser} option", has_text="a.jpg, locked by Grace").wait_for(
        state="attached"
    )
    await _tab_to(ada, chooser)
    await ada.keyboard.press("Tab")
    assert await _focused(ada, "#force-unlock input[name=reason]")
    await ada.keyboard.press("Enter")  # no reason yet: said, and nothing released
    await ada.locator("#unlock-message", has_text="Say why you release this lock").wait_for()
    assert await _focused(ada, "#force-unlock input[name=reason]")
    status = team.call("GET", f"/v1/labeling/status/{project}").json()
    assert [lock["file"] for lock in status["locks"]] == ["a.jpg"]
    await ada.keyboard.type("Left for the day")
    await ada.keyboard.press("Enter")
    await ada.locator(
        "#unlock-message", has_text="a.jpg is free again: Grace's lock was released"
    ).wait_for()

    # Grace's annotator follows at once; the server agrees.
    await grace.locator("#annotator-lock", has_text="Your lock has ended").wait_for(timeout=5000)
    assert team.call("GET", f"/v1/labeling/status/{project}").json()["locks"] == []
    assert await ada.is_visible("#no-locks")

    # The audit trail says it in words, newest first; the API keeps the reason.
    rows = ada.locator("#audit-rows tr")
    await rows.first.locator("td[data-column=what]", has_text="Released by an admin").wait_for()
    assert (await rows.nth(0).locator("td").all_inner_texts())[1:] == [
        "a.jpg",
        "Released by an admin",
        "Grace",
        "Ada",
        "Left for the day",
    ]
    assert (await rows.nth(1).locator("td").all_inner_texts())[1:] == [
        "a.jpg",
        "Locked",
        "Grace",
        "Grace",
        "—",
    ]
    assert await ada.text_content("#audit-count") == "Events 1 to 2 of 2"
    events = team.call("GET", f"/v1/labeling/projects/{project}/lock-events").json()["items"]
    assert (events[0]["reason"], events[0]["note"]) == ("forced", "Left for the day")
    await _accessible_everywhere(ada, "labeling admin, a lock released")
    await ada.select_option("#lang", "ko")
    assert await rows.nth(0).locator("td[data-column=what]").inner_text() == "관리자가 해제"
    assert await ada.text_content("#unlock-title") == "다른 사람의 잠금 풀기"
    await _accessible_everywhere(grace, "labeling, a member's page")
    watched.assert_clean()
    await ada.context.close()
    await grace.context.close()


async def test_the_audit_trail_is_paged(server: str, browser: Any) -> None:
    team = Team(server)
    project = team.project("Signs", "a.jpg")
    body = {"project_id": project, "file_name": "a.jpg"}
    for _ in range(13):  # 26 events: a page of 20, then 6
        team.call("POST", "/v1/labeling/lock", json=body).raise_for_status()
        team.call("POST", "/v1/labeling/unlock", json=body).raise_for_status()
    watched = Watched()
    page = await watched.open(browser, server, team.admin)
    await page.wait_for_selector("#audit-rows tr")
    assert await page.text_content("#audit-count") == "Events 1 to 20 of 26"
    assert await page.is_disabled("#audit-newer")
    await _tab_to(page, "#audit-older")
    await page.keyboard.press("Enter")
    await page.locator("#audit-count", has_text="Events 21 to 26 of 26").wait_for()
    assert await page.locator("#audit-rows tr").count() == 6
    assert await _focused(page, "#audit-newer")  # the pressed button went off: not lost
    whats = await page.locator("#audit-rows td[data-column=what]").all_inner_texts()
    assert set(whats) == {"Locked", "Released"}
    await page.keyboard.press("Enter")
    await page.locator("#audit-count", has_text="Events 1 to 20 of 26").wait_for()
    watched.assert_clean()
    await page.context.close()


async def test_a_member_uploads_by_keyboard_drops_images_and_cancels(
    server: str, browser: Any, tmp_path: Path
) -> None:
    team = Team(server)
    project = team.project("Signs", "taken.png")
    watched = Watched()
    page = await watched.open(browser, server, team.member)
    await page.wait_for_selector("#connection.online")
    # No admin controls for members; the API refuses them anyway.
    assert await page.is_hidden("#admin")
    labels = {"labels": [{"name": "cat", "color": "#112233"}]}
    refused = team.call("PUT", f"/v1/labeling/projects/{project}/labels", team.member, json=labels)
    assert refused.status_code == 403
    assert team.call("DELETE", f"/v1/labeling/projects/{project}", team.member).status_code == 403

    # By keyboard: the file input opens the chooser, Tab leads on to the upload.
    images = []
    for name in ("one.png", "two.png"):
        images.append(tmp_path / name)
        images[-1].write_bytes(CAT)
    await _tab_to(page, "#upload-files")
    async with page.expect_file_chooser() as chosen:
        await page.keyboard.press("Space")
    await (await chosen.value).set_files([str(path) for path in images])
    await page.keyboard.press("Tab")
    assert await _focused(page, "#upload button[type=submit]")
    await page.keyboard.press("Enter")
    await page.locator("#upload-status", has_text="All 2 images uploaded.").wait_for()
    await page.wait_for_selector("li.file[data-file='two.png'] img")

    # Dropped on the zone: one lands, one's name is taken.
    dropped = await page.evaluate_handle(
        """(bytes) => {
            const data = new DataTransfer();
            for (const name of ["three.png", "taken.png"]) {
              data.items.add(new File([new Uint8Array(bytes)], name, { type: "image/png" }));
            }
            return data;
        }""",
        list(CAT),
    )
    await page.dispatch_event("#drop", "dragover", {"dataTransfer": dropped})
    assert "over" in (await page.get_attribute("#drop", "class") or "")
    await page.dispatch_event("#drop", "drop", {"dataTransfer": dropped})
    await page.locator(
        "#upload-status", has_text="1 of 2 images uploaded; 1 could not be, see why below."
    ).wait_for()
    refused_now = page.locator("#upload-list li[data-state=failed] .state")
    said = await refused_now.all_inner_texts()
    assert said == ["taken.png: a file with this name is already in the project."]
    assert team.file_names(project) == ["one.png", "taken.png", "three.png", "two.png"]
    await _accessible_everywhere(page, "labeling, a member's upload")

    # Cancelled while the images are on their way: none lands, each says so.
    async def held_back(route: Any) -> None:
        await asyncio.sleep(30)
        with contextlib.suppress(Exception):
            await route.continue_()

    await page.route("**/files/upload", held_back)
    late = []
    for name in ("late-1.png", "late-2.png", "late-3.png", "late-4.png"):
        late.append(tmp_path / name)
        late[-1].write_bytes(CAT)
    await page.set_input_files("#upload-files", [str(path) for path in late])
    await page.click("#upload button[type=submit]")
    await page.wait_for_selector("#upload-cancel:not([hidden])")
    await page.wait_for_function("() => window.__uploads.now === 3")  # three at a time
    await page.click("#upload-cancel")
    await page.locator(
        "#upload-status", has_text="Upload cancelled: 0 of 4 images uploaded."
    ).wait_for()
    states = await page.locator("#upload-list li .state").all_inner_texts()
    assert states == [f"{p.name} was not uploaded: the upload was cancelled." for p in late]
    assert await page.is_hidden("#upload-cancel")
    assert await _focused(page, "#upload button[type=submit]")  # the focus stayed near
    assert team.file_names(project) == ["one.png", "taken.png", "three.png", "two.png"]
    watched.assert_clean()
    await page.context.close()
