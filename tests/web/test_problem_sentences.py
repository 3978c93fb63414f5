"""Every problem code the API can answer has a sentence for people in both languages:
the codes are read from the source (each place that raises one), the sentences from the
pages' own i18n tables, in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import backlot
from tests.conftest import TEST_SECRET
from tests.helpers import running_server

SOURCE = Path(backlot.__file__).resolve().parent
RAISED = [
    r'ProblemError\(\s*(?:status\.)?[\w.]+,\s*"([a-z_]+)"',
    r'(?:bad_request|unauthorized|conflict)\(\s*"([a-z_]+)"',
    r'code="([a-z_]+)"',
    r'problem_body\(\s*[\w.]+,\s*"([a-z_]+)"',
]
# Answered to programs only, never to a page: /metrics' bearer token, the external
# analyzer's webhook signature.
MACHINE_ONLY = {"invalid_metrics_token", "invalid_signature"}


def raised_codes() -> set[str]:
    codes: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in RAISED:
            codes.update(re.findall(pattern, text))
    return codes - MACHINE_ONLY


def test_the_source_scan_finds_the_codes() -> None:
    codes = raised_codes()
    # A scan that found nothing would make the browser test below pass vacuously.
    assert {"lock_held", "email_taken", "weak_password", "too_many_jobs"} <= codes
    assert len(codes) > 50


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("problems"), env) as base:
        yield base


async def test_every_code_reads_as_a_sentence_in_english_and_korean(
    server: str, browser: Any
) -> None:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(f"{server}/")
    await page.wait_for_selector("#login:not([hidden])")
    found = await page.evaluate(
        """(codes) => {
          const read = (lang) => {
            i18n.setLang(lang);
            return Object.fromEntries(codes.map((code) => [code, i18n.problem(
              {problem: {status: 400, code, detail: "English detail for programs"}})]));
          };
          return {en: read("en"), ko: read("ko"), has: codes.filter((c) => i18n.has(`problem.${c}`))};
        }""",
        sorted(raised_codes()),
    )
    missing = sorted(raised_codes() - set(found["has"]))
    assert not missing, f"no sentence for: {missing}"
    not_korean = [code for code, text in found["ko"].items() if not re.search("[가-힣]", text)]
    assert not not_korean, f"no Korean sentence for: {not_korean}"
    leaks = [code for code, text in found["en"].items() if code in text or "detail" in text]
    assert not leaks, f"the code or the detail shown to people: {leaks}"
    await context.close()
