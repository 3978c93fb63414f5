"""The annotator in Chromium on a real server, two browser contexts as two annotators:
shapes drawn with the mouse and the keyboard are saved under the file's lock (checked
through the API and a COCO export read by pycocotools); a save after the lock passed to
someone else is refused in a sentence and writes nothing; undo and redo; Next file
switches locks in one step; the grid counts, filters and pages through many files and
follows the others live; after a server restart the page is live again with no stale
message. Every page is checked by axe in English and Korean at 1280 and 375 px, with no
page error and no request leaving the machine."""

from __future__ import annotations

import json
import re
import struct
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, free_port, running_process, running_server, unique_email
from tests.web.axe import AXE, assert_accessible

pytestmark = pytest.mark.skipif(
    not (VENDOR["socket.io.min.js"].is_file() and AXE.is_file()),
    reason="browser tests: the npm libraries are missing (run make)",
)
ENV = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
WIDTH, HEIGHT = 400, 300
LABELS = [{"name": "cat", "color": "#e4572e"}, {"name": "dog", "color": "#2e86ab"}]
NEW_FILES = re.compile(r"/files\?state=new")
STALE = "Someone else took this file after your lock ended; your changes were not saved."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("annotator"), ENV) as base:
        yield base


def png(width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """A plain PNG of this size (no imaging library needed)."""
    row = b"\x00" + bytes((90, 140, 200)) * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@dataclass
class Team:
    base: str
    project: int
    admin: str  # Ada, the company's admin
    member: str  # Grace

    def headers(self, email: str) -> dict[str, str]:
        with httpx.Client(base_url=self.base) as http:
            answer = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def get(self, path: str, email: str | None = None) -> Any:
        with httpx.Client(base_url=self.base) as http:
            answer = http.get(path, headers=self.headers(email or self.admin))
        answer.raise_for_status()
        return answer.json() if "json" in answer.headers["content-type"] else answer.content

    def post(self, path: str, body: Any, email: str | None = None, method: str = "POST") -> Any:
        with httpx.Client(base_url=self.base) as http:
            answer = http.request(
                method, path, json=body, headers=self.headers(email or self.admin)
            )
        answer.raise_for_status()
        return None if answer.status_code == 204 else answer.json()

    def locks(self) -> dict[str, str]:
        status = self.get(f"/v1/labeling/status/{self.project}")
        return {lock["file"]: lock["user"] for lock in status["locks"]}

    def versions(self, name: str) -> dict[str, Any]:
        path = f"/v1/labeling/projects/{self.project}/annotations/{name}/versions"
        return dict(self.get(path))


def _team(base: str, images: tuple[str, ...] = ("a.png",), names: tuple[str, ...] = ()) -> Team:
    """Ada (admin) and Grace (member) of one company; a project with the labels cat and
    dog, uploaded images of 400 x 300 pixels and files registered by name."""
    admin, member = unique_email("annotator-admin"), unique_email("annotator-member")
    with httpx.Client(base_url=base) as http:
        account = {"email": admin, "password": PASSWORD, "display_name": "Ada"}
        http.post("/v1/auth/register", json={**account, "corporation_name": admin})
        token = http.post("/v1/auth/login", json={"email": admin, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        http.post(
            "/v1/users",
            json={"email": member, "password": PASSWORD, "display_name": "Grace"},
            headers=headers,
        ).raise_for_status()
        project = http.post("/v1/labeling/projects", json={"name": "Signs"}, headers=headers)
        project_id = project.json()["id"]
        files = f"/v1/labeling/projects/{project_id}/files"
        http.put(
            f"/v1/labeling/projects/{project_id}/labels", json={"labels": LABELS}, headers=headers
        ).raise_for_status()
        for name in images:
            upload = http.post(f"{files}/upload", files={"file": (name, png())}, headers=headers)
            upload.raise_for_status()
        for name in names:
            http.post(files, json={"name": name}, headers=headers).raise_for_status()
    return Team(base, project_id, admin, member)


async def _signed_in(browser: Any, base: str, email: str, locale: str = "en-US") -> Any:
    """The labeling page, signed in and live; `page.errors` gathers page errors and
    requests to any other host."""
    context = await browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(f"pageerror: {error}"))

    def request(request: Any) -> None:
        if not request.url.startswith((base, "data:", "blob:")):
            page.errors.append(f"external request: {request.url}")

    page.on("request", request)
    await page.goto(f"{base}/app/labeling")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#connection.online")
    await page.wait_for_selector("#files li.file")
    return page


async def _open(page: Any, name: str) -> None:
    await page.click(f"li.file[data-file='{name}'] button")
    await _opened(page, name)


async def _opened(page: Any, name: str) -> None:
    await page.wait_for_selector("#annotator:not([hidden])")
    await page.locator("#annotator-title", has_text=name).wait_for()
    await page.wait_for_function(
        "() => document.querySelector('#stage svg').getAttribute('width') > 0"
    )
    await page.locator("#annotator-version", has_text="a").wait_for()  # drawn once loaded
    await page.wait_for_function("() => document.querySelector('#message').textContent === ''")


async def _at(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where the image's pixel (x, y) is on the screen now (zoom and scroll included)."""
    box = await page.locator("#stage svg").bounding_box()
    width = await page.evaluate("document.querySelector('#stage svg').viewBox.baseVal.width")
    zoom = box["width"] / width
    return box["x"] + x * zoom, box["y"] + y * zoom


async def _drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    await page.mouse.move(*start)
    await page.mouse.down()
    await page.mouse.move(*end, steps=6)
    await page.mouse.up()


async def _shapes(page: Any) -> list[str]:
    texts = await page.locator("#shape-list .shape-item").all_inner_texts()
    return [text.strip() for text in texts]


async def _tab_to(page: Any, selector: str, key: str = "Tab") -> None:
    for _ in range(60):
        await page.keyboard.press(key)
        if await page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
            return
    raise AssertionError(f"{selector} is not reachable with {key}")


async def _accessible_everywhere(page: Any, what: str) -> None:
    for lang in ("en", "ko"):
        await page.evaluate("(lang) => i18n.setLang(lang)", lang)
        for width in (1280, 375):
            await page.set_viewport_size({"width": width, "height": 800})
            await assert_accessible(page, f"{what}, {lang}, {width} px")
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{what} at {width} px scrolls sideways by {overflow} px"
    await page.evaluate("i18n.setLang('en')")
    await page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")  # its numpy 2 notice
async def test_two_annotators_and_a_save_after_the_lock_passed_is_refused(
    server: str, browser: Any, tmp_path: Path
) -> None:
    from pycocotools.coco import COCO

    team = _team(server, images=("a.png", "b.png"))
    ada = await _signed_in(browser, server, team.admin)
    grace = await _signed_in(browser, server, team.member)
    await _open(ada, "a.png")
    assert "Yours" in await ada.inner_text("#annotator-lock")
    assert await ada.text_content("#annotator-version") == "Not saved yet"
    tile = grace.locator("li.file[data-file='a.png']")
    await tile.filter(has_text="Being labeled by Ada").wait_for()
    await grace.locator("#states button", has_text="Being labeled · 1").wait_for()

    # Zoomed in with the wheel, the shapes are still drawn in image pixels.
    level = await ada.text_content("#zoom-level")
    await ada.mouse.move(*await _at(ada, 160, 130))
    await ada.mouse.wheel(0, -100)
    await ada.wait_for_function(
        f"() => document.querySelector('#zoom-level').textContent !== {level!r}"
    )
    await ada.click("#annotator-labels label:has-text('cat')")
    await ada.click("[data-tool=rect]")
    await _drag(ada, await _at(ada, 50, 40), await _at(ada, 150, 120))
    await ada.click("#annotator-labels label:has-text('dog')")
    await ada.keyboard.press("p")
    for x, y in ((200, 50), (300, 60), (320, 200)):
        await ada.mouse.click(*await _at(ada, x, y))
    await ada.mouse.dblclick(*await _at(ada, 220, 220))
    assert await _shapes(ada) == ["Rectangle 1 · cat", "Polygon 2 · dog, 4 points"]
    assert await ada.text_content("#annotator-version") == "Unsaved changes"
    await ada.keyboard.press("s")
    await ada.locator("#message", has_text="Saved (version 1).").wait_for()
    assert await ada.text_content("#annotator-version") == "Saved (version 1)"

    saved = team.versions("a.png")
    assert saved["total"] == 1
    rect, polygon = saved["items"][0]["shapes"]
    assert (rect["type"], rect["label"], polygon["type"], polygon["label"]) == (
        "rect",
        "cat",
        "polygon",
        "dog",
    )
    assert [rect["x"], rect["y"], rect["w"], rect["h"]] == pytest.approx([50, 40, 100, 80], abs=1)
    expected = [[200, 50], [300, 60], [320, 200], [220, 220]]
    assert [c for p in polygon["points"] for c in p] == pytest.approx(
        [c for p in expected for c in p], abs=1
    )

    # The lock passes: an admin forces it open. Grace sees the file labeled; Ada's
    # annotator says her lock has ended.
    team.post(
        "/v1/labeling/unlock", {"project_id": team.project, "file_name": "a.png", "force": True}
    )
    await tile.filter(has_text="Labeled · version 1").wait_for()
    await ada.locator("#annotator-lock", has_text="Your lock has ended").wait_for()

    # Grace opens it (Ada's shapes are there), moves the rectangle by keyboard, saves.
    await _open(grace, "a.png")
    assert await _shapes(grace) == ["Rectangle 1 · cat", "Polygon 2 · dog, 4 points"]
    await grace.focus("#shape-list li[data-index='0'] .shape-item")
    for _ in range(3):
        await grace.keyboard.press("ArrowRight")
    await grace.keyboard.press("s")
    await grace.locator("#message", has_text="Saved (version 2).").wait_for()
    await ada.locator("#annotator-lock", has_text="Grace holds this file now").wait_for()

    # Ada's next save is refused in a sentence, and nothing is written.
    await ada.keyboard.press("Delete")  # the polygon, still selected: a change to save
    await ada.keyboard.press("s")
    await ada.locator("#message", has_text=STALE).wait_for()
    assert await ada.get_attribute("#message", "data-tone") == "error"
    after = team.versions("a.png")
    assert after["total"] == 2
    assert after["items"][0]["author"]["name"] == "Grace"
    assert len(after["items"][0]["shapes"]) == 2
    await ada.evaluate("i18n.setLang('ko')")
    assert "변경 내용은 저장되지 않았습니다" in await ada.text_content("#message")
    await ada.evaluate("i18n.setLang('en')")

    # The export, read by pycocotools: Grace's version, in image pixels.
    export = tmp_path / "coco.json"
    export.write_bytes(
        json.dumps(team.get(f"/v1/labeling/projects/{team.project}/export?format=coco")).encode()
    )
    coco = COCO(str(export))
    (image,) = coco.loadImgs(coco.getImgIds())
    assert (image["file_name"], image["width"], image["height"]) == ("a.png", WIDTH, HEIGHT)
    names = {category["id"]: category["name"] for category in coco.loadCats(coco.getCatIds())}
    assert sorted(names.values()) == ["cat", "dog"]
    shapes = {names[a["category_id"]]: a for a in coco.loadAnns(coco.getAnnIds([image["id"]]))}
    assert shapes["cat"]["bbox"] == pytest.approx([53, 40, 100, 80], abs=1)
    assert shapes["dog"]["segmentation"][0] == pytest.approx(
        [c for p in expected for c in p], abs=1
    )
    mask = coco.annToMask(shapes["dog"])
    assert mask.shape == (HEIGHT, WIDTH)
    assert abs(int(mask.sum()) - shapes["dog"]["area"]) < 0.1 * shapes["dog"]["area"]

    assert ada.errors == [] and grace.errors == []
    await ada.context.close()
    await grace.context.close()


async def test_keyboard_drawing_undo_redo_and_next_file_in_one_switch(
    server: str, browser: Any
) -> None:
    team = _team(server, images=("a.png", "b.png", "c.png", "d.png"))
    ada = await _signed_in(browser, server, team.admin)
    saves: list[str] = []
    ada.on(
        "request", lambda r: r.method == "PUT" and "/annotations/" in r.url and saves.append(r.url)
    )

    # Keyboard only: the tile, then the drawing area's crosshair (from the middle, 3 px a
    # step, 30 with Shift) for a rectangle and a polygon.
    await _tab_to(ada, "li.file[data-file='a.png'] button")
    await ada.keyboard.press("Enter")
    await _opened(ada, "a.png")
    assert await ada.evaluate("document.activeElement.id") == "stage"
    await ada.keyboard.press("r")
    await ada.keyboard.press("Space")  # a corner at (200, 150)
    await ada.keyboard.press("Shift+ArrowRight")
    await ada.keyboard.press("Shift+ArrowRight")
    await ada.keyboard.press("Shift+ArrowDown")
    await ada.keyboard.press("Space")  # the other at (260, 180)
    await ada.keyboard.press("2")  # dog
    await ada.keyboard.press("p")
    await ada.keyboard.press("Space")
    await ada.keyboard.press("Shift+ArrowUp")
    await ada.keyboard.press("Space")
    await ada.keyboard.press("Shift+ArrowLeft")
    await ada.keyboard.press("Space")
    await ada.keyboard.press("Enter")
    both = ["Rectangle 1 · cat", "Polygon 2 · dog, 3 points"]
    assert await _shapes(ada) == both
    await ada.keyboard.press("Space")  # a point of another polygon, then Escape: gone
    await ada.keyboard.press("Escape")
    await ada.keyboard.press("Enter")
    assert await ada.locator("#stage .draft circle").count() == 1  # a new one begins
    await ada.keyboard.press("Escape")
    assert await ada.locator("#stage .draft *").count() == 0
    assert await _shapes(ada) == both

    # Undo and redo, by keys and by buttons.
    await ada.keyboard.press("Control+z")
    assert await _shapes(ada) == both[:1]
    await ada.keyboard.press("Control+Shift+z")
    assert await _shapes(ada) == both
    await ada.keyboard.press("Control+z")
    await ada.keyboard.press("Control+y")
    assert await _shapes(ada) == both
    await ada.click("#undo")
    assert await _shapes(ada) == both[:1]
    await ada.click("#redo")
    assert await _shapes(ada) == both
    assert await ada.is_disabled("#redo")

    # The list is tabbed through; the selected shape moves, grows and goes by keyboard.
    await _tab_to(ada, "#shape-list li[data-index='0'] .shape-item")
    await ada.keyboard.press("ArrowLeft")
    await ada.keyboard.press("ArrowLeft")
    await ada.keyboard.press("Shift+ArrowDown")
    await ada.keyboard.press("Control+ArrowRight")
    live = "Rectangle 1 · cat: x 198, y 160, 61 \u00d7 30 pixels."
    assert await ada.text_content("#annotator-live") == live
    await _tab_to(ada, "#shape-list li[data-index='1'] .shape-item")
    await ada.keyboard.press("Delete")
    assert await _shapes(ada) == both[:1]
    assert await ada.evaluate("document.activeElement.classList.contains('shape-item')")

    # The mouse moves the rectangle (drag it) and resizes it (drag its corner's handle).
    await ada.keyboard.press("v")
    await _drag(ada, await _at(ada, 228, 175), await _at(ada, 238, 185))
    await _drag(ada, await _at(ada, 269, 200), await _at(ada, 289, 210))
    assert await _shapes(ada) == both[:1]

    # No shortcut fires while typing or choosing in a field.
    await ada.focus("#shape-label")
    await ada.keyboard.press("s")
    await ada.keyboard.press("n")
    assert saves == [] and await ada.is_hidden("#unsaved")
    await ada.focus("#stage")
    await ada.keyboard.press("s")
    await ada.locator("#message", has_text="Saved (version 1).").wait_for()
    (rect,) = team.versions("a.png")["items"][0]["shapes"]
    assert [rect["x"], rect["y"], rect["w"], rect["h"]] == pytest.approx([208, 170, 81, 40], abs=1)

    # Next with unsaved changes asks first (and saves nothing); discarding goes on.
    await ada.keyboard.press("v")
    await ada.keyboard.press("ArrowRight")  # the rectangle, still selected, moves
    await ada.keyboard.press("n")
    await ada.wait_for_selector("#unsaved[open]")
    assert "a.png has changes you have not saved" in await ada.inner_text("#unsaved")
    await _accessible_everywhere(ada, "the annotator asking about unsaved changes")
    await ada.keyboard.press("Escape")
    await ada.wait_for_function("() => !document.querySelector('#unsaved').open")
    assert await ada.text_content("#annotator-title") == "a.png"
    await ada.keyboard.press("n")
    await ada.click("#unsaved button[value=discard]")
    await _opened(ada, "b.png")
    assert team.locks() == {"b.png": "Ada"}  # a.png released and b.png taken, in one step
    assert team.versions("a.png")["total"] == 1
    assert len(saves) == 1

    # A file listed as free but taken meanwhile (409) is passed over for the next one.
    team.post("/v1/labeling/lock", {"project_id": team.project, "file_name": "c.png"}, team.member)

    async def stale_listing(route: Any) -> None:
        response = await route.fetch()
        page = await response.json()
        if not any(item["name"] == "c.png" for item in page["items"]):
            listed = team.get(f"/v1/labeling/projects/{team.project}/files?limit=100")
            page["items"].insert(0, next(i for i in listed["items"] if i["name"] == "c.png"))
        await route.fulfill(response=response, json=page)

    await ada.route(NEW_FILES, stale_listing)
    await ada.click("#next")
    await _opened(ada, "d.png")
    assert team.locks() == {"c.png": "Grace", "d.png": "Ada"}
    await ada.unroute(NEW_FILES)

    # Grace labels b.png (free again since Ada moved on) and goes back to c.png: no file
    # is new any more, and Next says so and keeps Ada where she is.
    def lock_as_grace(name: str) -> int:
        body = {"project_id": team.project, "file_name": name, "switch": True}
        return int(team.post("/v1/labeling/lock", body, team.member)["token"])

    team.post(
        f"/v1/labeling/projects/{team.project}/annotations/b.png",
        {"token": lock_as_grace("b.png"), "shapes": []},
        team.member,
        method="PUT",
    )
    lock_as_grace("c.png")
    await ada.click("#next")
    await ada.locator("#message", has_text="No other file is free to label").wait_for()
    assert team.locks() == {"c.png": "Grace", "d.png": "Ada"}
    await _accessible_everywhere(ada, "the annotator")

    # Close releases the lock and goes back to the tile.
    await ada.click("#close")
    await ada.wait_for_selector("#annotator", state="hidden")
    await ada.wait_for_function(
        "() => document.activeElement.closest('li')?.dataset.file === 'd.png'"
    )
    await ada.locator("li.file[data-file='d.png']", has_text="New").wait_for()
    assert team.locks() == {"c.png": "Grace"}
    assert ada.errors == []
    await ada.context.close()


async def test_the_grid_counts_filters_and_pages_through_many_files(
    server: str, browser: Any
) -> None:
    names = tuple(f"img-{i:03}.jpg" for i in range(120))
    team = _team(server, images=(), names=names)
    for name in names[:2]:  # two labeled already
        team.post("/v1/labeling/lock", {"project_id": team.project, "file_name": name})
        shapes = [{"type": "rect", "label": "cat", "x": 1, "y": 2, "w": 3, "h": 4}]
        team.post(
            f"/v1/labeling/projects/{team.project}/annotations/{name}",
            {
                "token": team.get(f"/v1/labeling/status/{team.project}")["locks"][0]["token"],
                "shapes": shapes,
            },
            method="PUT",
        )
        team.post("/v1/labeling/unlock", {"project_id": team.project, "file_name": name})
    ada = await _signed_in(browser, server, team.admin)
    listings: list[str] = []
    ada.on("request", lambda r: "/files?" in r.url and listings.append(r.url))
    states = ada.locator("#states button")
    await ada.locator("#states button", has_text="All · 120").wait_for()
    assert await states.all_inner_texts() == [
        "All · 120",
        "New · 118",
        "Being labeled · 0",
        "Labeled · 2",
    ]
    tiles = ada.locator("#files li.file")
    assert await tiles.count() == 50
    assert "Labeled · version 1" in await ada.inner_text("li.file[data-file='img-000.jpg']")
    assert "New" in await ada.inner_text("li.file[data-file='img-002.jpg']")
    await ada.click("#more:has-text('70 more')")
    await ada.locator("#more", has_text="20 more").wait_for()
    assert await tiles.count() == 100

    await ada.click("#states button[data-state=labeled]")
    await ada.wait_for_function("() => document.querySelectorAll('#files li.file').length === 2")
    assert await ada.get_attribute("#states button[data-state=labeled]", "aria-pressed") == "true"
    assert await ada.is_hidden("#more")

    # Grace takes a labeled file and saves it: the tile and the counts follow, live.
    lock = team.post(
        "/v1/labeling/lock", {"project_id": team.project, "file_name": "img-001.jpg"}, team.member
    )
    tile = ada.locator("li.file[data-file='img-001.jpg']")
    await tile.filter(has_text="Being labeled by Grace").wait_for()
    await ada.locator("#states button", has_text="Being labeled · 1").wait_for()
    team.post(
        f"/v1/labeling/projects/{team.project}/annotations/img-001.jpg",
        {"token": lock["token"], "shapes": []},
        team.member,
        method="PUT",
    )
    team.post(
        "/v1/labeling/unlock", {"project_id": team.project, "file_name": "img-001.jpg"}, team.member
    )
    await tile.filter(has_text="Labeled · version 2").wait_for()
    await ada.locator("#states button", has_text="Being labeled · 0").wait_for()

    await ada.click("#states button[data-state=new]")
    await ada.locator("#more", has_text="68 more").wait_for()
    assert await tiles.count() == 50
    assert set(await ada.locator("#files .state").all_inner_texts()) == {"New"}
    await _accessible_everywhere(ada, "the grid with states and more files")
    # Never everything at once: a page of 50 (or 1 for the counts).
    sizes = {url.split("limit=")[1].split("&")[0] for url in listings}
    assert sizes <= {"50", "1"}, listings
    assert ada.errors == []
    await ada.context.close()


async def test_after_a_server_restart_the_page_is_live_again_without_a_stale_message(
    browser: Any, tmp_path: Path
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "backlot", "serve", "--port", str(port)]
    with running_process(command, tmp_path, ENV, port) as base:
        team = _team(base, images=("a.png",))
        ada = await _signed_in(browser, base, team.admin)
        await _open(ada, "a.png")
    # The server is gone (its in-memory locks with it): the page says it is offline and
    # reconnecting, not that it was refused.
    online = "document.querySelector('#connection').classList.contains('online')"
    await ada.wait_for_function(f"() => !{online}")  # (the pill is the grid's, hidden meanwhile)
    await ada.wait_for_timeout(1500)  # a few reconnection attempts fail meanwhile
    assert "refused" not in (await ada.text_content("#message") or "")
    with running_process(command, tmp_path, ENV, port):
        await ada.wait_for_function(f"() => {online}", timeout=20000)
        assert await ada.text_content("#connection") == "Live"
        assert await ada.text_content("#message") == ""
        # The truth about the lock: the restarted server holds none.
        await ada.locator("#annotator-lock", has_text="Your lock has ended").wait_for()
        assert ada.errors == []
        await ada.context.close()
