"""bench/load.py: its numbers, its refusals, how it reads the protocol, and two live sessions on a served app."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench import load

ROOT = Path(__file__).resolve().parent.parent


def test_percentile_of_known_values():
    assert load.percentile([4, 1, 3, 2], 50) == 2.5  # unsorted input, interpolated between the middle two
    assert load.percentile([1, 2, 3, 4, 5], 50) == 3
    assert load.percentile(range(1, 101), 95) == pytest.approx(95.05)
    assert load.percentile(range(1, 101), 99) == pytest.approx(99.01)
    assert load.percentile([7.5], 99) == 7.5
    assert load.percentile([], 50) is None


@pytest.mark.parametrize("url", ["http://10.0.0.1:8501", "http://192.168.1.5:80", "http://example.org:8501",
                                 "https://127.0.0.1:8501", "ftp://127.0.0.1/"])
def test_refuses_what_is_not_plain_loopback(url):
    with pytest.raises(ValueError):
        load.loopback_url(url)


def test_accepts_loopback():
    assert load.loopback_url("http://127.0.0.1:8501") == ("127.0.0.1", 8501)
    assert load.loopback_url("http://localhost:8502/")[1] == 8502
    assert load.stream_url("http://127.0.0.1:8501/") == "ws://127.0.0.1:8501/_stcore/stream"


def test_cli_refuses_a_remote_url(capsys):
    with pytest.raises(SystemExit):
        load.main(["--url", "http://10.0.0.1:8501", "--sessions", "1", "--duration", "1"])
    assert "loopback" in capsys.readouterr().err


def test_random_links_use_the_programme_vocabulary():
    vocab = load.vocabulary(ROOT / "data")
    assert "UGA" in vocab["country"] and vocab["quarter"][0].startswith("20")
    rng = random.Random(5)
    for _ in range(50):
        from urllib.parse import parse_qsl

        for key, value in parse_qsl(load.random_link(vocab, rng)):
            assert value in vocab["quarter" if key in ("from", "to") else key]


def test_app_pages_and_default_read_from_app_py():
    assert load.app_pages()[0] == "overview" and "explore" in load.app_pages()
    assert load.default_page() == "overview"


class FakeStream:
    """A websocket that answers each sent BackMsg with the next scripted ForwardMsgs (None: the server closes)."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.queue: asyncio.Queue = asyncio.Queue()
        self.sent: list[BackMsg] = []

    async def send(self, data):
        self.sent.append(BackMsg.FromString(data))
        for msg in self.replies.pop(0) if self.replies else []:
            await self.queue.put(None if msg is None else msg.SerializeToString())

    def __aiter__(self):
        return self

    async def __anext__(self):
        item = await self.queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    async def close(self):
        await self.queue.put(None)


def _finished(status=ForwardMsg.FINISHED_SUCCESSFULLY):
    msg = ForwardMsg()
    msg.script_finished = status
    return msg


def _exception():
    msg = ForwardMsg()
    msg.delta.new_element.exception.type = "ValueError"
    msg.delta.new_element.exception.message = "boom"
    return msg


def test_errors_are_recorded_not_hidden():
    async def scenario():
        stream = FakeStream([
            [_finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN), _finished()],  # the app's own st.rerun(): one wait
            [_exception(), _finished()],
            [_finished(ForwardMsg.FINISHED_WITH_COMPILE_ERROR)],
            [],  # nothing comes back
            [None],
        ])
        session = load.LiveSession(stream)
        out = [await session.rerun("open", query_string="country=UGA", timeout=2)]
        out.append(await session.rerun("filter", query_string="", timeout=2))
        out.append(await session.rerun("filter", query_string="", timeout=2))
        out.append(await session.rerun("filter", query_string="", timeout=0.3))
        out.append(await session.rerun("filter", query_string="", timeout=2))
        return out

    ok, raised, compile_error, silent, dropped = load.run_async(scenario())
    assert ok.ms is not None and ok.errors == []
    assert raised.ms is not None and raised.errors == ["exception: ValueError: boom"]
    assert compile_error.ms is None and compile_error.errors == ["script finished: FINISHED_WITH_COMPILE_ERROR"]
    assert silent.ms is None and silent.errors[0].startswith("timeout")
    assert dropped.ms is None and dropped.errors == ["connection closed"]


def test_cached_messages_are_named_and_their_references_read():
    """As the browser: a cacheable element's hash goes back with the next rerun; a reference to it is read as
    the element itself (here an exception, which must still count as an error)."""
    big = _exception()
    big.hash = "h1"
    big.metadata.cacheable = True
    ref = ForwardMsg()
    ref.ref_hash = "h1"
    unknown = ForwardMsg()
    unknown.ref_hash = "nope"

    async def scenario():
        stream = FakeStream([[big, _finished()], [ref, _finished()], [unknown, _finished()]])
        session = load.LiveSession(stream)
        out = [await session.rerun("open", query_string="", timeout=2) for _ in range(3)]
        return stream.sent, out

    sent, (first, second, third) = load.run_async(scenario())
    assert list(sent[0].rerun_script.cached_message_hashes) == []
    assert list(sent[1].rerun_script.cached_message_hashes) == ["h1"]
    assert second.errors == ["exception: ValueError: boom"]
    assert third.errors == ["the server referred to a message this client never had"]


def test_two_live_sessions_on_the_served_app():
    """Two sessions for a few seconds against `streamlit run app.py` on the shipped extract: each opens a link,
    then changes filters and pages; every rerun finishes successfully."""
    proc, url = load.serve(ROOT / "data")
    try:
        vocab = load.vocabulary(ROOT / "data")
        step = load.run_step(url, 2, 6, vocab=vocab, seed=3, think=(0.3, 0.8), timeout=40, server_pid=proc.pid)
    finally:
        load.stop(proc)
    assert len(step.results) == 2
    for result in step.results:
        assert result.all_errors == []
        assert result.finished, "a session finished no rerun"
        assert result.reruns[0].kind == "open"
    kinds = {r.kind for result in step.results for r in result.reruns}
    assert kinds & {"filter", "page"}, kinds
    row = step.row()
    assert row["reruns"] >= 2 and row["errors"] == 0 and row["p50"] > 0 and row["peak_mb"] > 50
