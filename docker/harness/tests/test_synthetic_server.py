"""The synthetic OpenAI-compatible server (a test double) over real sockets on 127.0.0.1."""

import asyncio
import json
import socket
import threading
import time
import urllib.request

import pytest

from lem_harness.serving.synthetic_server import ServerSettings, serve


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url():
    port = free_port()
    ready = threading.Event()

    def run() -> None:
        async def main() -> None:
            flag = asyncio.Event()
            task = asyncio.create_task(serve(ServerSettings(port=port, ttft_ms=30, itl_ms=10, model="syn"), flag))
            await flag.wait()
            ready.set()
            await task

        asyncio.run(main())

    threading.Thread(target=run, daemon=True).start()
    assert ready.wait(10)
    return f"http://127.0.0.1:{port}"


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def post_stream(url: str, body: dict) -> list[tuple[float, str]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    t0 = time.monotonic()
    events = []
    with urllib.request.urlopen(req, timeout=10) as r:
        for line in r:
            if line.startswith(b"data: "):
                events.append((time.monotonic() - t0, line[6:].decode().strip()))
    return events


def test_health_and_models(base_url):
    assert get(base_url + "/health") == {"ok": True, "simulated": True}
    assert get(base_url + "/v1/models")["data"][0]["id"] == "syn"


def test_chat_stream_tokens_usage_and_done(base_url):
    events = post_stream(
        base_url + "/v1/chat/completions",
        {"stream": True, "max_tokens": 5, "messages": [{"role": "user", "content": "a b c"}]},
    )
    datas = [d for _, d in events]
    assert datas[-1] == "[DONE]"
    chunks = [json.loads(d) for d in datas[:-1]]
    tokens = [c for c in chunks if c["choices"]]
    assert [c["choices"][0]["delta"]["content"] for c in tokens] == [f"tok{i} " for i in range(5)]
    assert chunks[-1]["usage"]["completion_tokens"] == 5
    # First token after ~30 ms, the last after 30 + 4 x 10 ms (on deadlines, so lateness does not add up).
    assert events[0][0] >= 0.028
    assert 0.068 <= events[4][0] < 0.2


def test_completions_stream_and_non_stream(base_url):
    events = post_stream(base_url + "/v1/completions", {"stream": True, "max_tokens": 2, "prompt": "x"})
    assert json.loads(events[0][1])["choices"][0]["text"] == "tok0 "
    req = urllib.request.Request(base_url + "/v1/completions", data=b'{"max_tokens": 3, "prompt": "x y"}')
    with urllib.request.urlopen(req, timeout=5) as r:
        doc = json.loads(r.read())
    assert doc["choices"][0]["text"] == "tok0 tok1 tok2 " and doc["usage"]["completion_tokens"] == 3


def test_unknown_route_is_404(base_url):
    with pytest.raises(urllib.error.HTTPError) as e:
        get(base_url + "/v2/nothing")
    assert e.value.code == 404


def test_64_concurrent_streams_all_complete(base_url):
    results: list[list] = []

    def one() -> None:
        results.append(
            post_stream(base_url + "/v1/chat/completions", {"stream": True, "max_tokens": 8, "messages": []})
        )

    threads = [threading.Thread(target=one) for _ in range(64)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 64 and all(r[-1][1] == "[DONE]" for r in results)
    # Served concurrently: 64 streams of 30 + 7 x 10 ms would take 6.4 s one after another.
    assert time.monotonic() - t0 < 3


def test_simulated_power_counter_integrates_the_stream_count_exactly():
    from lem_harness.serving.power import IDLE_W, SimulatedPower, simulated_power_w

    now = [0.0]
    p = SimulatedPower(lambda: now[0])
    now[0] = 2.0
    p.stream_started()
    now[0] = 3.0
    p.stream_started()
    now[0] = 4.5
    p.stream_ended()
    now[0] = 5.0
    r = p.reading()
    want = 2.0 * IDLE_W + 1.0 * simulated_power_w(1) + 1.5 * simulated_power_w(2) + 0.5 * simulated_power_w(1)
    assert r["energy_mj"] == int(want * 1000)
    assert r["power_w"] == simulated_power_w(1)
    assert r["simulated"] is True
    # Saturating: the second stream adds less power than the first, so energy per token falls with load.
    assert simulated_power_w(2) - simulated_power_w(1) < simulated_power_w(1) - simulated_power_w(0)


def test_serve_sample_reads_the_simulated_counter_until_sigterm(base_url, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    pid_file = tmp_path / "sampler.pid"
    harness = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = [sys.executable, "-m", "lem_harness", "serve-sample", "--interval-ms", "20"]
    cmd += ["--simulated-url", base_url, "--pid-file", str(pid_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": harness})
    time.sleep(0.5)
    assert int(pid_file.read_text()) == proc.pid
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    lines = [json.loads(x) for x in out.decode().splitlines()]
    assert lines[0] == {"event": "sampling", "interval_ms": 20, "source": "simulated", "simulated": True, "gpus": []}
    samples = lines[1:]
    assert len(samples) >= 5
    energies = [s["energy_mj"] for s in samples]
    assert energies == sorted(energies) and energies[-1] > energies[0]
    assert all(abs(s["t"] - time.time()) < 60 for s in samples)


def test_serve_sample_without_nvml_says_why_and_exits():
    import os
    import subprocess
    import sys

    harness = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-m", "lem_harness", "serve-sample"],
        capture_output=True,
        timeout=20,
        env={**os.environ, "PYTHONPATH": harness},
    )
    line = json.loads(out.stdout.decode().splitlines()[0])
    assert out.returncode == 0
    assert line["event"] == "unavailable" and line["reason"]


def test_serve_sample_sums_the_nvml_counter_and_power_of_every_gpu():
    """NVML here is nvml_double_module (no GPU on this machine): 2 GPUs at 250 W each."""
    import os
    import signal
    import subprocess
    import sys

    tests = os.path.dirname(os.path.abspath(__file__))
    harness = os.path.dirname(tests)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([harness, tests]), "LEM_NVML_DOUBLE_GPUS": "2"}
    cmd = [sys.executable, "-m", "lem_harness", "serve-sample", "--interval-ms", "20", "--nvml-module"]
    proc = subprocess.Popen([*cmd, "nvml_double_module"], stdout=subprocess.PIPE, env=env)
    time.sleep(0.8)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    lines = [json.loads(x) for x in out.decode().splitlines()]
    assert lines[0] == {"event": "sampling", "interval_ms": 20, "source": "nvml", "simulated": False, "gpus": [0, 1]}
    samples = lines[1:]
    assert len(samples) >= 5
    assert all(s["power_w"] == 500.0 for s in samples)
    first, last = samples[0], samples[-1]
    # The counters' delta over the samples' span is 2 × 250 W × the span (the double integrates exactly).
    watts = (last["energy_mj"] - first["energy_mj"]) / 1000 / (last["t"] - first["t"])
    assert abs(watts - 500.0) < 25.0


def timings(base_url: str) -> list[dict]:
    doc = get(base_url + "/simulated/timings")
    assert doc["clock"] == "monotonic_ns"
    return doc["streams"]


def test_timing_log_has_every_token_on_its_schedule_and_never_early(base_url):
    timings(base_url)  # empty the log
    body = {"stream": True, "max_tokens": 5, "messages": [{"role": "user", "content": "timing-probe"}]}
    before = time.monotonic_ns()
    post_stream(base_url + "/v1/chat/completions", body)
    (s,) = [t for t in timings(base_url) if t["key"] == "timing-probe"]
    assert before <= s["received_ns"] <= s["read_ns"]
    # The schedule: received + 30 ms + i x 10 ms, exactly; each token leaves at or after its deadline.
    assert s["due_ns"] == [s["received_ns"] + (30 + 10 * i) * 1_000_000 for i in range(5)]
    assert len(s["sent_ns"]) == 5 and all(sent >= due for sent, due in zip(s["sent_ns"], s["due_ns"]))
    assert timings(base_url) == []  # each read drains the log


def test_a_client_that_leaves_mid_stream_stops_its_stream_and_the_server_carries_on(base_url):
    timings(base_url)
    port = int(base_url.rsplit(":", 1)[1])
    body = json.dumps({"stream": True, "max_tokens": 100, "messages": [{"role": "user", "content": "leaver"}]})
    with socket.create_connection(("127.0.0.1", port)) as s:
        head = f"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: {len(body)}\r\n\r\n"
        s.sendall(head.encode() + body.encode())
        got = b""
        while b"tok0" not in got:
            more = s.recv(4096)
            assert more, "the stream ended before its first token"
            got += more
    time.sleep(0.2)
    assert get(base_url + "/health")["ok"] is True
    (t,) = [t for t in timings(base_url) if t["key"] == "leaver"]
    # 100 tokens take 30 + 99 x 10 ms; the client left after the first, so the stream was cut well before its end.
    assert 1 <= len(t["sent_ns"]) < 100


@pytest.mark.parametrize("model", ["synthetic", "null", 'we"ird\u00e9', "\\u0000"])
def test_event_template_makes_the_same_json_as_a_whole_dump(model):
    from lem_harness.serving.synthetic_server import event_template

    for chat in (True, False):
        head, tail = event_template("cmpl-1", "obj", model, chat)
        choice = {"index": 0, "delta": {"content": "tok3 "}} if chat else {"index": 0, "text": "tok3 "}
        whole = json.dumps({"id": "cmpl-1", "object": "obj", "model": model, "choices": [choice]})
        assert head + json.dumps("tok3 ") + tail == whole


def test_a_bad_request_body_gets_400_and_the_server_carries_on(base_url):
    req = urllib.request.Request(base_url + "/v1/chat/completions", data=b"{not json")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 400
    assert get(base_url + "/health")["ok"] is True


def test_take_request_waits_for_the_whole_body_and_leaves_the_next_request():
    from lem_harness.serving.http_connection import take_request

    buf = bytearray(b"POST /x HTTP/1.1\r\ncontent-length: 5\r\n\r\nab")
    assert take_request(buf) is None
    buf += b"cdeGET /health HTTP/1.1\r\n\r\n"
    assert take_request(buf) == ("POST", "/x", {"content-length": "5"}, b"abcde")
    assert take_request(buf) == ("GET", "/health", {}, b"")
    assert buf == bytearray()
