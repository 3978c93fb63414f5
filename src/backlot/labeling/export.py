"""Every file's latest annotation as COCO JSON or a YOLO zip, streamed.

Rows are read in batches, each with a short session, so a large export never holds a
database connection (SQLite has one) while the client reads. Shapes whose label has left
the label set since they were saved are left out: the formats number classes by the set.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backlot.labeling.models import Annotation, LabelingFile, LabelingProject

BATCH = 200
Row = tuple[LabelingFile, Annotation]


@dataclass(frozen=True)
class Project:
    """What the export needs of the project, read before the request's session ends."""

    id: int
    name: str
    labels: list[dict[str, str]]

    @classmethod
    def of(cls, project: LabelingProject) -> Project:
        return cls(project.id, project.name, list(project.labels))


async def _rows(
    sessionmaker: async_sessionmaker[AsyncSession], project_id: int
) -> AsyncIterator[Row]:
    after = 0
    while True:
        async with sessionmaker() as session:
            batch = (
                await session.execute(
                    select(LabelingFile, Annotation)
                    .join(
                        Annotation,
                        (Annotation.file_id == LabelingFile.id)
                        & (Annotation.version == LabelingFile.annotation_version),
                    )
                    .where(LabelingFile.project_id == project_id, LabelingFile.id > after)
                    .order_by(LabelingFile.id)
                    .limit(BATCH)
                )
            ).all()
        for file, annotation in batch:
            yield file, annotation
        if len(batch) < BATCH:
            return
        after = batch[-1][0].id


def _bbox(shape: dict[str, Any]) -> tuple[float, float, float, float]:
    if shape["type"] == "rect":
        return shape["x"], shape["y"], shape["w"], shape["h"]
    xs = [p[0] for p in shape["points"]]
    ys = [p[1] for p in shape["points"]]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _polygon(shape: dict[str, Any]) -> list[tuple[float, float]]:
    if shape["type"] == "polygon":
        return [(p[0], p[1]) for p in shape["points"]]
    x, y, w, h = shape["x"], shape["y"], shape["w"], shape["h"]
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def _area(points: list[tuple[float, float]]) -> float:
    # the shoelace formula: a polygon's area, whichever way it winds
    twice = sum(
        x1 * y2 - x2 * y1
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)
    )
    return abs(twice) / 2


async def _coco(
    sessionmaker: async_sessionmaker[AsyncSession], project: Project
) -> AsyncIterator[bytes]:
    categories = {label["name"]: i + 1 for i, label in enumerate(project.labels)}
    info = {
        "description": project.name,
        "date_created": datetime.now(UTC).isoformat(),
        "version": "1.0",
    }
    yield b'{"info": ' + json.dumps(info).encode() + b', "images": ['
    first = True
    async for file, annotation in _rows(sessionmaker, project.id):
        image = {
            "id": file.id,
            "file_name": file.name,
            "width": file.width,
            "height": file.height,
            "annotation_version": annotation.version,
        }
        yield (b"" if first else b", ") + json.dumps(image).encode()
        first = False
    yield b'], "annotations": ['
    first, next_id = True, 1
    async for file, annotation in _rows(sessionmaker, project.id):
        for shape in annotation.shapes:
            category = categories.get(shape["label"])
            if category is None:
                continue
            points = _polygon(shape)
            item: dict[str, Any] = {
                "id": next_id,
                "image_id": file.id,
                "category_id": category,
                "bbox": list(_bbox(shape)),
                "segmentation": [[c for point in points for c in point]],
                "area": _area(points),
                "iscrowd": 0,
            }
            if "attributes" in shape:
                item["attributes"] = shape["attributes"]
            yield (b"" if first else b", ") + json.dumps(item).encode()
            first, next_id = False, next_id + 1
    names = [{"id": i, "name": name, "supercategory": ""} for name, i in categories.items()]
    yield b'], "categories": ' + json.dumps(names).encode() + b"}"


class _Pipe:
    """A write-only file for ZipFile whose bytes are taken out as they come (not seekable,
    so ZipFile writes data descriptors instead of going back)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def _yolo_lines(file: LabelingFile, annotation: Annotation, classes: dict[str, int]) -> str:
    assert file.width is not None
    assert file.height is not None
    lines = []
    for shape in annotation.shapes:
        index = classes.get(shape["label"])
        if index is None:
            continue
        x, y, w, h = _bbox(shape)  # polygons as their bounding boxes (detection format)
        cx, cy = (x + w / 2) / file.width, (y + h / 2) / file.height
        lines.append(f"{index} {cx:.6f} {cy:.6f} {w / file.width:.6f} {h / file.height:.6f}")
    return "".join(line + "\n" for line in lines)


def _text_name(name: str, used: set[str]) -> str:
    stem = PurePosixPath(name).stem or name
    chosen = f"labels/{stem}.txt"
    if chosen in used:  # cat.png and cat.jpg: keep both, the second by its full name
        chosen = f"labels/{name}.txt"
    used.add(chosen)
    return chosen


async def _yolo(
    sessionmaker: async_sessionmaker[AsyncSession], project: Project
) -> AsyncIterator[bytes]:
    classes = {label["name"]: i for i, label in enumerate(project.labels)}
    pipe = _Pipe()
    used: set[str] = set()
    skipped: list[str] = []
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        archive.writestr("classes.txt", "".join(name + "\n" for name in classes))
        yield pipe.take()
        async for file, annotation in _rows(sessionmaker, project.id):
            if file.width is None or file.height is None:
                skipped.append(file.name)  # no pixel size: cannot normalize
                continue
            archive.writestr(_text_name(file.name, used), _yolo_lines(file, annotation, classes))
            yield pipe.take()
        if skipped:
            note = "Left out: no image of known size.\n" + "".join(n + "\n" for n in skipped)
            archive.writestr("skipped.txt", note)
    yield pipe.take()


def response(
    sessionmaker: async_sessionmaker[AsyncSession], *, project: Project, kind: str
) -> StreamingResponse:
    if kind == "coco":
        return StreamingResponse(
            _coco(sessionmaker, project),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="project-{project.id}-coco.json"'
            },
        )
    return StreamingResponse(
        _yolo(sessionmaker, project),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="project-{project.id}-yolo.zip"'},
    )
