"""The public site's benchmark (bench/publish_bench.py) at tiny scale: every answer right, the table sane.
Nothing here asserts a time: what is checked is what was fetched, counted and printed."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import lxml.html
import pytest

from bench import publish_bench as pb
from bench import servers

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
PAGE = "hps/index.html"

needs_nginx = pytest.mark.skipif(not Path(servers.NGINX).exists(),
                                 reason=f"nginx is not installed at {servers.NGINX} (apt-get install -y nginx)")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, pb.BuildRow]:
    out = tmp_path_factory.mktemp("pubbench") / "site"
    return out, pb.build_site(out, data=DATA, programme="hps", svg=False)


def _walk(site: Path) -> list[Path]:
    return [Path(folder) / name for folder, _, names in os.walk(site) for name in names if not name.startswith(".")]


def _assets(site: Path, page: str) -> list[str]:
    """What the page loads, read with lxml (independently of the bench's parser)."""
    tree = lxml.html.parse(str(site / page))
    found = tree.xpath("//script/@src | //script/@data-plotly | //script/@data-world | //link[@rel='stylesheet']/@href "
                       "| //img/@src")
    base = (site / page).parent
    return sorted({(base / a).resolve().relative_to(site.resolve()).as_posix() for a in found
                   if ":" not in a and (base / a).is_file()})


def test_the_build_row_counts_the_pages_files_and_size_on_disk(built):
    site, row = built
    copies = [f for f in _walk(site) if f.suffix == ".gz"]
    files = [f for f in _walk(site) if f.suffix != ".gz"]
    assert row.svg is False and row.svgs == 0 and row.seconds > 0
    assert row.pages == sum(f.suffix == ".html" for f in files) > 100
    assert row.files == len(files)
    assert row.mb == pytest.approx(sum(f.stat().st_size for f in files) / 1e6)
    assert row.gz_files == len(copies) > 100 and all(c.with_suffix("") in files for c in copies)
    assert row.gz_mb == pytest.approx(sum(f.stat().st_size for f in copies) / 1e6)


def test_a_pages_assets_are_its_stylesheet_and_scripts_in_the_site(built):
    site, _ = built
    assets = pb.page_assets(site, PAGE)
    assert sorted(assets) == _assets(site, PAGE)
    assert any(a.startswith("assets/plotly.") for a in assets) and any(a.endswith(".css") for a in assets)
    assert PAGE in pb.site_pages(site) and len(pb.site_pages(site)) == built[1].pages


@needs_nginx
def test_twenty_readers_through_nginx_get_every_byte_of_the_page_and_its_assets(built, tmp_path):
    site, _ = built
    assets = _assets(site, PAGE)
    with pb.serve_site(site) as base:
        seen = pb.read_site(base, site, readers=20, pages_per_reader=2, pages=[PAGE])
        plain = pb.read_site(base, site, readers=4, pages_per_reader=2, pages=[PAGE], accept="identity")
        spread = pb.read_site(base, site, readers=10, pages_per_reader=1, pages=[PAGE], arrival=1.0)
        # A copy whose page differs from what nginx serves: every reader's page is then an error.
        other = tmp_path / "other"
        shutil.copytree(site, other)
        (other / PAGE).write_text((site / PAGE).read_text(encoding="utf-8") + "\n", encoding="utf-8")
        wrong = pb.read_site(base, other, readers=3, pages_per_reader=1, pages=[PAGE])
        back = pb.read_site(base, site, readers=5, pages_per_reader=2, pages=[PAGE], returning=True)
        # Concurrent readers: connecting over 0.2 s, pausing 0.3-0.6 s after each of their two pages.
        together = pb.read_site(base, site, readers=8, pages_per_reader=2, pages=[PAGE], returning=True,
                                arrival=0.2, think=(0.3, 0.6))
    assert seen.errors == []
    # Each reader: the page twice, its assets once (kept as a browser keeps them).
    assert len(seen.requests) == 20 * (2 + len(assets))
    assert len(seen.pages) == 40
    size = {p: (site / p).stat().st_size for p in [PAGE, *assets]}
    # Asked as a browser asks, nginx sends each file's .gz copy as it is (every file here has one: 1 KB or more).
    sent = {p: (site / f"{p}.gz").stat().st_size for p in [PAGE, *assets]}
    assert sum(sent.values()) < 0.4 * sum(size.values())
    assert seen.bytes == 20 * (2 * sent[PAGE] + sum(sent[a] for a in assets))
    assert seen.decoded == 20 * (2 * size[PAGE] + sum(size[a] for a in assets))
    assert plain.errors == [] and plain.bytes == plain.decoded == 4 * (2 * size[PAGE] + sum(size[a] for a in assets))
    assert back.errors == [] and len(back.requests) == 10 and back.bytes == 10 * sent[PAGE]
    assert len(wrong.errors) == 3 and all(e.startswith(f"{PAGE}: HTTP 200") for e in wrong.errors)
    # Arriving over a second: the last reader starts 0.9 s after the first.
    assert spread.errors == [] and len(spread.pages) == 10 and spread.arrival == 1.0 and spread.seconds >= 0.9
    assert len(spread.sessions) == 10 and spread.overlap == pb.peak_overlap(spread.sessions) >= 1
    # Concurrent: each reader on the site from its arrival (i * 0.2/8 s) to after its second pause, so every
    # visit overlaps every other's; the overlap is measured from the visits, as the readers really held them.
    assert together.errors == [] and len(together.pages) == 16 and len(together.requests) == 16
    assert together.think == (0.3, 0.6) and len(together.sessions) == 8
    starts = sorted(start for start, _ in together.sessions)
    assert all(abs(start - i * 0.2 / 8) < 0.15 for i, start in enumerate(starts))
    assert all(end - start >= 0.6 for start, end in together.sessions)  # two pauses of 0.3 s at least
    assert all(end - start <= 1.2 + 10 for start, end in together.sessions)
    assert together.overlap == 8 and together.together > 0.3
    assert min(end for _, end in together.sessions) - max(start for start, _ in together.sessions) == \
        pytest.approx(together.together)
    assert together.seconds >= 0.2 * 7 / 8 + 0.6


def test_the_peak_overlap_counts_the_visits_holding_one_instant():
    assert pb.peak_overlap([]) == 0
    assert pb.peak_overlap([(0, 1), (2, 3), (4, 5)]) == 1
    assert pb.peak_overlap([(0, 1), (1, 2)]) == 1  # one leaves as the other arrives: never together
    assert pb.peak_overlap([(0, 10), (1, 2), (1.5, 3), (2.5, 4)]) == 3  # at 1.5 s: the first three
    assert pb.peak_overlap([(i * 0.1, 5 + i) for i in range(50)]) == 50
    visits = pb.Readers(3, sessions=[(0.0, 4.0), (0.5, 3.0), (1.0, 6.0)])
    assert visits.overlap == 3 and visits.together == pytest.approx(2.0)  # all three from 1.0 s to 3.0 s
    assert pb.Readers(2, sessions=[(0.0, 1.0), (2.0, 3.0)]).together == 0.0


def test_an_answer_is_right_only_when_it_decodes_to_the_file():
    data = b"<p>trained</p>" * 200
    packed = gzip.compress(data, 9, mtime=0)
    file = pb._File(data, packed)
    assert pb._check("p.html", pb.Answer(200, packed, "gzip"), file) is None
    assert pb._check("p.html", pb.Answer(200, gzip.compress(data, 1), "gzip"), file) is None  # compressed on the way
    assert pb._check("p.html", pb.Answer(200, data), file) is None
    assert "not the file's" in pb._check("p.html", pb.Answer(200, gzip.compress(data + b"x"), "gzip"), file)
    assert "does not decode" in pb._check("p.html", pb.Answer(200, packed[:-9], "gzip"), file)
    assert "did not ask for" in pb._check("p.html", pb.Answer(200, packed, "br"), file)
    assert pb._check("p.html", pb.Answer(404, b""), file) == "p.html: HTTP 404, 0 bytes"


def test_the_first_chart_is_timed_visible_then_interactive_in_chromium_from_file(built):
    site, _ = built
    times = pb.first_chart(site / PAGE, runs=1)  # without SVGs: the live chart is the first one a reader sees
    assert len(times) == 1 and 0 < times[0].visible <= times[0].interactive < 60


def test_the_table_shows_each_part_and_the_ratio():
    steps = [pb.Phase("hps: figures and their suppression", 6.5, 5.4), pb.Phase("hps: pages and charts (fr)", 3.4, 1.7)]
    builds = [pb.BuildRow(True, 27.4, 399, 707, 9.7, 72, 640, 3.1, languages=["en", "fr"], cpu=16.0,
                          chromium_cpu=11.8, load=(6.6, 6.5), phases=steps),
              pb.BuildRow(False, 9.2, 399, 635, 7.7, 0)]
    site = pb.Readers(20, requests=[1.0, 2.0, 3.0, 4.0, 5.0], pages=[10.0, 20.0], bytes=3_000_000, seconds=0.5,
                      decoded=9_000_000)
    spread = pb.Readers(20, requests=[1.0, 1.0], pages=[2.0], bytes=1_000_000, seconds=10.2, decoded=2_000_000,
                        arrival=10, sessions=[(i / 2, i / 2 + 0.6) for i in range(20)])
    concurrent = pb.Readers(20, requests=[1.0, 3.0], pages=[4.0], bytes=1_000_000, seconds=16.0, decoded=2_000_000,
                            arrival=1, think=(2, 8), sessions=[(i / 20, 12 + i / 4) for i in range(20)])
    app = pb.Readers(2, requests=[1000.0, 3000.0], pages=[1000.0, 3000.0], errors=["x"], bytes=None, seconds=2.0,
                     decoded=None)
    text = pb.table(builds, [site, spread, concurrent], app,
                    [pb.FirstChart(2.0, 4.0), pb.FirstChart(1.0, 2.5), pb.FirstChart(3.0, 5.0)])
    assert "| with | en, fr | 27.4 | 16.0 | 11.8 | 6.6 → 6.5 | 399 | 707 | 9.7 | 72 | 640 | 3.1 |" in text
    assert "| without | en | 9.2 | 0.0 | 0.0 | 0.0 → 0.0 | 399 | 635 | 7.7 | 0 | 0 | 0.0 |" in text
    assert "step by step" not in text  # without --phases
    stepped = pb.table(builds, None, None, [], phases=True)
    assert "| hps: figures and their suppression | 6.5 | 5.4 |" in stepped
    assert "| hps: pages and charts (fr) | 3.4 | 1.7 |" in stepped and "Readers" not in stepped
    assert "| site (nginx) | all at once | 20 | — | request | 5 | 3 | 5 | 5 | 0 | 3.0 | 9.0 | 0.5 |" in text
    assert "| site (nginx) | all at once | 20 | — | page + assets | 2 | 15 | 20 | 20 | 0 | 3.0 | 9.0 | 0.5 |" in text
    # 0.6 s visits every 0.5 s: two at once at most
    assert "| site (nginx) | over 10 s | 20 | 2 | page + assets | 1 | 2 | 2 | 2 | 0 | 1.0 | 2.0 | 10.2 |" in text
    assert "| site (nginx) | concurrent: connect over 1 s, think 2–8 s | 20 | 20 | page + assets | 1 | 4 | 4 | 4 | 0 " \
           "| 1.0 | 2.0 | 16.0 |" in text
    assert "| app (nginx, live sessions) | all at once | 2 | — | page opened | 2 | 2,000 | 2,900 | 3,000 | 1 | — | — " \
           "| 2.0 |" in text
    assert "Over 10 s: the same 20 readers arriving evenly spread over 10 s (2 a second)" in text
    # all twenty from 0.95 s (the last arrives) to 12 s (the first leaves)
    assert "at most 20 were on the site at the same time (measured), all 20 of them together for 11.1 s." in text
    assert "133.3× at p50, 148.7× at p95" in text  # 2000/15 and 2900/19.5
    assert "| first chart visible (SVG or plotly) | 3 | 2.00 | 1.00 | 3.00 |" in text
    assert "| first chart interactive (plotly) | 3 | 4.00 | 2.50 | 5.00 |" in text


def test_the_build_is_measured_step_by_step(built):
    _, row = built
    steps = [p.what for p in row.phases]
    assert steps[0].startswith("start") and "hps: figures and their suppression" in steps
    assert "hps: pages and charts (en)" in steps and row.languages == ["en"]
    assert sum(p.seconds for p in row.phases) == pytest.approx(row.seconds)
    assert sum(p.cpu for p in row.phases) == pytest.approx(row.cpu) and row.cpu > 0
    assert all(p.seconds >= 0 and p.cpu >= 0 for p in row.phases) and row.chromium_cpu == 0  # no SVG: no Chromium of its own


@needs_nginx
def test_two_readers_on_the_app_open_their_pages_without_error():
    seen = pb.read_app(DATA, readers=2)
    assert seen.errors == [] and len(seen.pages) == 2 and all(ms > 0 for ms in seen.pages)


@pytest.mark.parametrize("argv, says", [
    (["--programme", "nope"], "--programme 'nope': the store"),
    (["--readers", "0"], "--readers and --pages-per-reader: at least 1"),
    (["--app-servers", "9"], "--app-servers: 1 to 8"),
    (["--arrival-seconds", "-1"], "--arrival-seconds: 0 to 3600"),
    (["--think-seconds", "8", "2"], "--think-seconds A B: 0 <= A <= B <= 60"),
    (["--think-seconds", "2", "90"], "--think-seconds A B: 0 <= A <= B <= 60"),
    (["--think-seconds", "2", "8", "--ramp-seconds", "-1"], "--ramp-seconds: 0 to 600"),
    (["--lang", "en,xx", "--build-only"], "--lang 'en,xx': the site's languages are"),
])
def test_the_command_refuses_bad_options_before_building_anything(argv, says, capsys):
    with pytest.raises(SystemExit) as stopped:
        pb.main(argv)
    assert stopped.value.code == 2 and says in capsys.readouterr().err
