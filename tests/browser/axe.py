"""The accessibility audit of a page in the browser: axe-core (npm, pinned in package-lock.json) run by Playwright.

`audit(page)` waits until the page is drawn and idle, injects axe-core and returns its violations,
less the few exclusions below (markup of Streamlit or Plotly that the app cannot change).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.browser.conftest import wait_for_app

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# (rule id, CSS selector): failing nodes left out, each Streamlit markup the app cannot change, checked by hand.
EXCLUDE: list[tuple[str, str]] = [
    # The label of a disabled widget (e.g. the explorer's Time grain while no time axis is chosen) is faded
    # on purpose. WCAG 1.4.3 exempts text of inactive components, and the control itself carries
    # aria-disabled="true"; axe cannot tell because Streamlit puts `disabled` on a <label>, which has no
    # such state. Checked by hand: the same label of an enabled widget has the full text colour.
    ("color-contrast", "[data-testid='stWidgetLabel'][disabled] *"),
]

BLOCKING = ("critical", "serious")


def wait_until_drawn(page, timeout: float = 45_000) -> None:
    """Wait until the script has run and every visible chart has drawn its SVG."""
    wait_for_app(page, timeout)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.stPlotlyChart')]
                 .filter(c => c.offsetParent !== null)
                 .every(c => c.querySelector('.main-svg'))""",
        timeout=timeout,
    )
    page.wait_for_timeout(500)  # Plotly draws its last layers just after the SVG appears
    wait_for_app(page, timeout)
    errors = page.locator("[data-testid='stException']")
    if errors.count():  # an error page has nothing to audit
        raise AssertionError(f"the page shows an error: {errors.first.inner_text()[:300]}")


def audit(page) -> list[dict]:
    """axe-core's violations on the page as drawn (WCAG 2.x A and AA rules and axe's best practices)."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run 'npm ci' (./run.sh test does it)")
    wait_until_drawn(page)
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (exclude) => {
            const result = await axe.run(document, {resultTypes: ['violations'], elementRef: true});
            return result.violations.map(v => {
                const skip = exclude.filter(([rule]) => rule === v.id).map(([, selector]) => selector);
                const nodes = v.nodes.filter(n => !skip.some(s => n.element && n.element.matches(s)))
                                     .map(({element, ...rest}) => rest);
                return {...v, nodes};
            }).filter(v => v.nodes.length);
        }""",
        [list(pair) for pair in EXCLUDE],
    )


def counts(violations: list[dict]) -> Counter:
    """Failing nodes per (impact, rule id)."""
    return Counter({(v["impact"], v["id"]): len(v["nodes"]) for v in violations})


def report(name: str, violations: list[dict]) -> str:
    """A printable summary: one line per impact and rule, with the first failing selectors."""
    lines = [f"axe {name}: {sum(counts(violations).values())} failing nodes"]
    for v in sorted(violations, key=lambda v: (BLOCKING + ("moderate", "minor")).index(v["impact"])):
        lines.append(f"  {v['impact']:<8} {v['id']:<28} {len(v['nodes']):>3}")
        for node in v["nodes"][:3]:
            target = str(node["target"][-1])[-90:]
            data = next((c.get("data") for c in node.get("any", []) if c.get("data")), None)
            detail = ({k: data.get(k) for k in ("fgColor", "bgColor", "contrastRatio")}
                      if isinstance(data, dict) and "fgColor" in data else "")
            lines.append(f"      {target} {detail}")
    return "\n".join(lines)
