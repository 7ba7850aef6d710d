"""Accessibility checkers for the browser tests: axe-core in the page and the W3C Nu
HTML checker (vnu.jar) over the page's HTML. Both come from the npm registry, pinned,
installed by `make a11y-tools` (a prerequisite of `make test`) under data/a11y/.

axe-core is injected with `page.evaluate` of its source. That runs through the
DevTools protocol, which the page's Content Security Policy (`script-src 'self'`, no
eval) does not govern, so the pages are checked with their real policy in force: a
chart that needed eval or inline script would still fail to render and be caught.
(`page.add_script_tag(content=...)` is an inline script the policy refuses, and
`bypass_csp=True` on the context would switch the policy off for the whole page.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "data" / "a11y" / "node_modules"
AXE_JS = TOOLS / "axe-core" / "axe.min.js"
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_VERSION = "4.14.1"
VNU_VERSION = "26.9.27"

# WCAG 2.0/2.1 A and AA and axe's best practices; the test fails on critical and
# serious findings of any of them.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"critical", "serious"}


def missing_tools() -> str | None:
    """Why the checkers cannot run, or None."""
    for path, version in ((AXE_JS, AXE_VERSION), (VNU_JAR, VNU_VERSION)):
        if not path.exists():
            return f"{path} is missing: `make a11y-tools` (part of `make test`) installs it."
        package = path.parent / "package.json"
        if not package.exists():
            package = path.parents[2] / "package.json"
        found = json.loads(package.read_text())["version"]
        if found != version:
            return f"{path} is version {found}, not {version}: run `make a11y-tools`."
    if not shutil.which("java"):
        return "Java is missing (the Nu HTML checker runs on it): `make a11y-tools` installs it."
    return None


@dataclass
class Finding:
    page: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        where = "; ".join(self.targets[:4]) + (" …" if len(self.targets) > 4 else "")
        return f"[{self.impact}] {self.page}: {self.rule} ({self.help}) at {where}"


_axe_source: str | None = None


def axe(page, name: str) -> list[Finding]:
    """Every violation axe-core finds on the page as it is now."""
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_JS.read_text(encoding="utf-8")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        Finding(
            page=name,
            rule=v["id"],
            impact=v.get("impact") or "minor",
            help=v["help"],
            targets=[" ".join(map(str, n["target"])) for n in v["nodes"]],
        )
        for v in result["violations"]
    ]


def vnu(documents: dict[str, str], folder: Path) -> list[str]:
    """The Nu HTML checker's errors for each named HTML document (one Java start for
    all of them). Warnings and info messages are not errors."""
    names: dict[str, str] = {}
    for i, (name, html) in enumerate(documents.items()):
        path = (folder / f"page-{i:03d}.html").resolve()
        path.write_text(html, encoding="utf-8")
        names[str(path)] = name
    run = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *names],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    errors = []
    for message in json.loads(run.stderr or run.stdout)["messages"]:
        if message["type"] != "error" and message.get("subType") != "fatal":
            continue
        path = re.sub(r"^file:/+", "/", message.get("url", ""))
        errors.append(
            f"{names.get(path, path)} (line {message.get('lastLine', '?')}): "
            f"{message['message']} «{message.get('extract', '').strip()}»"
        )
    return errors
