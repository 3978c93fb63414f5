"""Limit/offset paging of a select, with the total count, for list endpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
Row = TypeVar("Row")


class Page(BaseModel, Generic[T]):
    """One page of a list endpoint, with the total so clients can page on."""

    items: list[T]
    total: int
    limit: int
    offset: int


def page_of(
    rows: Iterable[Row], total: int, *, read: Callable[[Row], T], limit: int, offset: int
) -> Page[T]:
    """The page a list endpoint answers: each row as `read` shows it."""
    # Unparametrized: the route's response_model checks the items once, on the way out.
    return Page[Any](items=[read(row) for row in rows], total=total, limit=limit, offset=offset)


async def fetch_page(
    session: AsyncSession, stmt: Select[T], limit: int, offset: int
) -> tuple[list[T], int]:
    count_stmt: Select[Any] = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = await session.scalar(count_stmt) or 0
    rows = await session.scalars(stmt.limit(limit).offset(offset))
    return list(rows), total
