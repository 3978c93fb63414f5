"""axe-core (npm, installed by `make` as a dev dependency) run inside a Playwright page:
every page must have no serious or critical violation, at desktop width and at 375 px."""

from __future__ import annotations

import json
from typing import Any

from backlot.web.pages import NODE_MODULES

AXE = NODE_MODULES / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# WCAG 2.1 A and AA, plus axe's best practices (landmarks, one h1, headings in order).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


async def axe_violations(page: Any, include: list[str] | None = None) -> list[dict[str, Any]]:
    """The page's serious and critical violations (only within the `include` selectors
    when given). Evaluated through the DevTools protocol, so the pages' CSP (scripts from
    'self' only) does not stand in the way."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        """([tags, include]) => axe.run(
            include ? {include: include.map((selector) => [selector])} : document,
            {runOnly: {type: 'tag', values: tags}})""",
        [TAGS, include],
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


async def assert_accessible(page: Any, what: str, include: list[str] | None = None) -> None:
    violations = await axe_violations(page, include)
    report = [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in violations
    ]
    assert not violations, f"{what}: {json.dumps(report, indent=1)}"
