"""The illustrative programmes, by id, and the generator that writes each: the one place that knows them all,
so that no generator imports another and the command line chooses one by name."""

from __future__ import annotations

import importlib
from pathlib import Path

# programme id -> the module whose `generate(out_dir, scale[, seed]) -> rows` writes its extract and definition;
# imported when chosen, so that listing the ids (the command line's choices) loads no generator
GENERATORS = {
    "hps": "impact.demo.generate",  # the calibrated HPS
    "gsp": "impact.demo.generate_stewardship",  # an invented second programme
}


def generate(out_dir: str | Path, scale: int = 1, seed: int | None = None, programme: str = "hps") -> dict[str, int]:
    """Write an illustrative extract (`programme`: hps, the calibrated HPS; gsp, an invented second
    programme) with its definition to `out_dir`; return the row count of each table."""
    if scale < 1:
        raise ValueError("scale must be a whole number of at least 1")
    if programme not in GENERATORS:
        raise ValueError(f"the generator writes the programmes {', '.join(GENERATORS)}, not {programme[:20]!r}")
    write = importlib.import_module(GENERATORS[programme]).generate
    return write(out_dir, scale) if seed is None else write(out_dir, scale, seed)
