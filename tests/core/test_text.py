"""Names refuse invisible format characters: a bidi override makes `gpj.exe` read as
`exe.jpg`, and zero-width characters make two names that look alike differ."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from backlot.core.text import no_control_characters
from tests.helpers import PASSWORD, unique_email

INVISIBLE = [
    "\u202a",  # left-to-right embedding
    "\u202b",  # right-to-left embedding
    "\u202c",  # pop directional formatting
    "\u202d",  # left-to-right override
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u2067",  # right-to-left isolate
    "\u2068",  # first strong isolate
    "\u2069",  # pop directional isolate
    "\u200b",  # zero width space
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u2060",  # word joiner
    "\ufeff",  # zero width no-break space (BOM)
    "\u200e",  # left-to-right mark
    "\u00ad",  # soft hyphen
]


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_names_refuse_format_characters(char: str) -> None:
    with pytest.raises(ValueError, match="invisible"):
        no_control_characters(f"invoice{char}gpj.exe")


@pytest.mark.parametrize("name", ["Ada Lovelace", "東京 チーム", "Zoë-O'Brien", "مرحبا", "😀 team"])
def test_names_of_every_script_pass(name: str) -> None:
    assert no_control_characters(name) == name


async def test_register_refuses_a_display_name_with_a_bidi_override(client: AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/register",
        json={
            "email": unique_email(),
            "password": PASSWORD,
            "display_name": "admin\u202enimda",
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "display_name"]
