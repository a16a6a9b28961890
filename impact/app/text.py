"""Text from data or links, made safe to show: Markdown escaped so it is read, never rendered."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Escape Markdown so text from data or URLs is shown literally in Markdown-rendering widgets."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
