"""The project's export: COCO JSON read back by pycocotools (written by others), and the
YOLO zip's files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from httpx import AsyncClient
from pycocotools.coco import COCO

from backlot.core.settings import Settings
from tests.helpers import World, build_world
from tests.labeling.test_annotations import lock, make_project, png, save, upload

RECT = {"type": "rect", "label": "dog", "x": 10, "y": 20, "w": 30, "h": 40}
TRIANGLE = {"type": "polygon", "label": "cat", "points": [[0, 0], [100, 0], [100, 50]]}


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


async def _labeled_project(client: AsyncClient, world: World) -> int:
    project = await make_project(client, world, ("named.jpg",))
    await upload(client, world, project, "one.png", png(200, 100))
    await upload(client, world, project, "two.png", png(400, 300))
    await upload(client, world, project, "blank.png", png(50, 50))  # never labeled
    for name, shapes in [
        ("one.png", [{**RECT, "label": "cat"}]),  # replaced by the next version
        ("one.png", [RECT, TRIANGLE]),
        ("two.png", [{**RECT, "attributes": {"occluded": True}}]),
        ("named.jpg", [TRIANGLE]),  # no image: its size is unknown
    ]:
        token = await lock(client, world.guest, project, name)
        saved = await save(client, world.guest, project, name, token, shapes)
        assert saved.status_code == 200, saved.text
    return project


async def test_coco_export_loads_in_pycocotools(
    client: AsyncClient, world: World, tmp_path: Path
) -> None:
    project = await _labeled_project(client, world)
    answer = await client.get(
        f"/v1/labeling/projects/{project}/export?format=coco", headers=world.guest.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert "attachment" in answer.headers["content-disposition"]
    path = tmp_path / "coco.json"
    path.write_bytes(answer.content)
    coco = COCO(str(path))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["cat", "dog"]
    images = {image["file_name"]: image for image in coco.loadImgs(coco.getImgIds())}
    assert set(images) == {"one.png", "two.png", "named.jpg"}
    assert (images["one.png"]["width"], images["one.png"]["height"]) == (200, 100)
    cat, dog = coco.getCatIds(catNms=["cat"])[0], coco.getCatIds(catNms=["dog"])[0]
    one = coco.loadAnns(coco.getAnnIds(imgIds=[images["one.png"]["id"]]))
    assert sorted((a["category_id"], a["bbox"], a["area"]) for a in one) == sorted(
        [(dog, [10, 20, 30, 40], 1200.0), (cat, [0, 0, 100, 50], 2500.0)]
    )
    triangle = next(a for a in one if a["category_id"] == cat)
    assert triangle["segmentation"] == [[0, 0, 100, 0, 100, 50]]
    mask = coco.annToMask(triangle)  # pycocotools rasterizes our polygon in the image
    assert mask.shape == (100, 200)
    assert 2300 < int(mask.sum()) < 2700
    two = coco.loadAnns(coco.getAnnIds(imgIds=[images["two.png"]["id"]]))
    assert [(a["category_id"], a["attributes"]) for a in two] == [(dog, {"occluded": True})]
    assert len(coco.getAnnIds(catIds=[cat])) == 2


async def test_yolo_export_is_a_zip_of_normalized_boxes(client: AsyncClient, world: World) -> None:
    project = await _labeled_project(client, world)
    answer = await client.get(
        f"/v1/labeling/projects/{project}/export?format=yolo", headers=world.guest.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "classes.txt",
        "labels/one.txt",
        "labels/two.txt",
        "skipped.txt",
    ]
    assert archive.read("classes.txt").decode() == "cat\ndog\n"
    one = archive.read("labels/one.txt").decode().splitlines()
    # dog rect 10,20 30x40 in 200x100; cat triangle's box 0,0 100x50
    assert one == [
        "1 0.125000 0.400000 0.150000 0.400000",
        "0 0.250000 0.250000 0.500000 0.500000",
    ]
    assert "named.jpg" in archive.read("skipped.txt").decode()


async def test_export_of_nothing_and_bad_format(client: AsyncClient, world: World) -> None:
    project = await make_project(client, world)
    empty = await client.get(
        f"/v1/labeling/projects/{project}/export?format=coco", headers=world.guest.headers
    )
    body = json.loads(empty.content)
    assert (body["images"], body["annotations"], len(body["categories"])) == ([], [], 2)
    bad = await client.get(
        f"/v1/labeling/projects/{project}/export?format=voc", headers=world.guest.headers
    )
    assert bad.status_code == 422
    missing = await client.get(
        f"/v1/labeling/projects/{project}/export", headers=world.guest.headers
    )
    assert missing.status_code == 422
