"""The site's precompressed copies (impact/publish/compress.py): which files get a `.gz`, and that each is the file,
byte for byte, once the gzip command has decompressed it."""

from __future__ import annotations

import random
import subprocess

from impact.publish import compress


def _text(rng: random.Random, size: int) -> bytes:
    words = ["trained", "health", "workers", "partnership", "Uganda", "2016", "nurses", "<td>", "</td>"]
    out = []
    while sum(map(len, out)) < size:
        out.append(rng.choice(words))
    return " ".join(out).encode("utf-8")[:size]


def test_a_gz_copy_beside_each_text_file_of_a_kilobyte_or_more_and_nothing_else(tmp_path):
    rng = random.Random(42)
    files = {
        "index.html": _text(rng, 30_000),
        "assets/plotly.0123456789ab.min.js": _text(rng, 200_000),
        "assets/site.0123456789ab.css": _text(rng, 3_000),
        "hps/charts/trainees_trend.csv": _text(rng, 1_024),  # exactly the threshold: compressed
        "hps/charts/trainees_trend.json": _text(rng, 1_023),  # just below: left alone
        "hps/charts/trainees_trend.svg": _text(rng, 50_000),
        "hps/charts/photo.png": _text(rng, 50_000),  # not a text file
        "hps/random.json": rng.randbytes(5_000),  # would not come out smaller
        ".impact-site": _text(rng, 5_000),  # the hidden marker
    }
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    assert compress.precompress(tmp_path) == 5
    copies = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.gz"))
    assert copies == sorted(f"{name}.gz" for name in ["index.html", "assets/plotly.0123456789ab.min.js",
                                                     "assets/site.0123456789ab.css", "hps/charts/trainees_trend.csv",
                                                     "hps/charts/trainees_trend.svg"])
    for copy in copies:
        packed = (tmp_path / copy).read_bytes()
        assert packed[:2] == b"\x1f\x8b" and packed[3] == 0 and packed[4:8] == bytes(4)  # no name, no time
        assert packed[8] == 2  # XFL 2: the slowest, best compression (gzip -9)
        unpacked = subprocess.run(["gzip", "-dc", str(tmp_path / copy)], capture_output=True, check=True).stdout
        assert unpacked == files[copy.removesuffix(".gz")]
    plain = [p.relative_to(tmp_path).as_posix() for p in compress.plain_files(tmp_path)]
    assert sorted(plain) == sorted(n for n in files if not n.startswith("."))


def test_publishing_twice_gives_the_same_bytes(tmp_path):
    data = _text(random.Random(7), 10_000)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "page.html").write_bytes(data)
        compress.precompress(tmp_path / folder)
    assert (tmp_path / "a" / "page.html.gz").read_bytes() == (tmp_path / "b" / "page.html.gz").read_bytes()
    assert compress.is_copy("a/page.html.gz") and not compress.is_copy("a/archive.tar.gz")
