"""Range header parsing (RFC 9110 § 14): what is served, what is ignored, what is 416."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlot.core.streaming import content_disposition, parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 100, None),
        ("bytes=0-9", 100, (0, 10)),
        ("bytes=10-", 100, (10, 100)),
        ("bytes=-10", 100, (90, 100)),
        ("bytes=-500", 100, (0, 100)),  # a suffix longer than the object: all of it
        ("bytes=90-200", 100, (90, 100)),  # end clamped
        ("bytes=100-", 100, "unsatisfiable"),
        ("bytes=100-150", 100, "unsatisfiable"),
        ("bytes=-0", 100, "unsatisfiable"),
        ("bytes=0-", 0, "unsatisfiable"),
        ("bytes=9-3", 100, None),  # invalid: ignored
        ("bytes=a-b", 100, None),
        ("items=0-9", 100, None),  # another unit: ignored
        ("bytes=0-1,5-6", 100, None),  # several ranges: served whole
        ("bytes=-", 100, None),
        (" BYTES = 5 - 6 ", 100, (5, 7)),
    ],
)
def test_parse_range(header: str | None, size: int, expected: tuple[int, int] | str | None) -> None:
    assert parse_range(header, size) == expected


@given(st.text(max_size=40), st.integers(min_value=0, max_value=10**12))
def test_any_header_gives_a_range_inside_the_object(header: str, size: int) -> None:
    result = parse_range(header, size)
    if isinstance(result, tuple):
        start, end = result
        assert 0 <= start < end <= size


def test_content_disposition_keeps_names_safe() -> None:
    header = content_disposition('résumé "final".png')
    assert header.startswith('inline; filename="r_sum_ _final_.png"')
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.png" in header
