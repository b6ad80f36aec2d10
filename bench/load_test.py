"""Load test of `python app.py` on 127.0.0.1: concurrent clients each making a fixed number of mixed calls
(slider decode, reconstruct a drawing, sample grid) over Gradio's HTTP API, as browsers would.

Two protocols. `session` (the default) makes each client one browser tab: one session hash for all its calls,
each sent as the Gradio 6 frontend and gradio_client send events (POST /gradio_api/queue/join with the
event's fn_index, then the session's stream GET /gradio_api/queue/data until close_stream). `call` sends each
call through POST /gradio_api/call/<api_name> and its event stream, which gives every call a session of its
own, so the server builds a fresh session state per call: a cost no browser causes, kept for comparison.

Prints requests served and failed (target: 0 failed), p50/p95/max latency per endpoint (POST to the final
event, queueing included; target: decode p95 < 500 ms), the server's peak resident memory, and the machine's
load average before and after, so that figures taken on a busy machine can be recognised as such. Decode
latencies of calls begun after the opening burst (every client sends its first call at the same moment) are
reported apart.

    OMP_NUM_THREADS=1 python bench/load_test.py [--clients 50] [--calls 20] [--protocol session|call]
"""
import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_app import MODEL, decode_body, resident_mb, seven_png, upload_composite  # noqa: E402
from tests.app_server import call, fn_indices, queue_event, running_app_process  # noqa: E402
from vae.studio import FROM_PRIOR  # noqa: E402

MIX = {"decode": 0.6, "reconstruct": 0.2, "sample_grid": 0.2}
"""Share of each endpoint in a client's calls: mostly slider drags, as in a session of the app."""
DECODE_P95_TARGET_MS = 500
CALL_TIMEOUT_S = 60
RUN_TIMEOUT_S = 540
"""Bound on the whole run: calls not yet made by then are skipped and count as failed."""
BURST_S = 2.0
"""The opening burst, when every client sends its first call at the same moment, is also reported apart."""
RSS_POLL_S = 0.05
PROTOCOL_DESCRIPTIONS = {"session": "one session per client: queue/join + queue/data, as a browser tab",
                         "call": "a new session per call: /gradio_api/call/<api_name>"}
"""Each --protocol as the printout names it."""


def grid_body(rng: np.random.Generator) -> str:
    """The default 10 × 20 grid (Bernoulli means) for a random seed."""
    return json.dumps({"data": [10, 20, int(rng.integers(0, 2**32)), 1.0, False, FROM_PRIOR, MODEL]})


def client_session(url: str, client: int, calls: int, sketch_body: str, deadline: float,
                   protocol: str, indices: dict[str, int]) -> list[tuple[str, float, float | None, bool]]:
    """One client's calls in order, on its own connection: (endpoint, time.perf_counter() at the start, latency ms,
    answered without error); calls due after the deadline (time.monotonic) are skipped: latency None, not answered.

    With protocol "session" all calls share one session hash (one browser tab); with "call" each has its own.
    """
    rng = np.random.default_rng(client)
    session_hash = str(uuid.uuid4())
    bodies = {"decode": lambda: decode_body(rng), "reconstruct": lambda: sketch_body, "sample_grid": lambda: grid_body(rng)}
    results = []
    with httpx.Client(base_url=url, timeout=CALL_TIMEOUT_S) as http:
        for endpoint in rng.choice(list(MIX), size=calls, p=list(MIX.values())):
            if time.monotonic() > deadline:
                results.append((endpoint, time.perf_counter(), None, False))
                continue
            start = time.perf_counter()
            try:
                if protocol == "session":
                    ok = queue_event(http, session_hash, indices[endpoint], json.loads(bodies[endpoint]())["data"])[0]
                else:
                    ok = call(http, endpoint, bodies[endpoint]())[0] == "complete"
            except (httpx.HTTPError, RuntimeError, ValueError):  # refused connection, timeout, broken stream
                ok = False
            results.append((endpoint, start, 1000 * (time.perf_counter() - start), ok))
    return results


def peak_memory(pid: int, stop_event: threading.Event, peak: list[float]) -> None:
    """Poll the server's resident memory (its children included) until stop_event; keep the maximum in peak[0]."""
    while not stop_event.is_set():
        try:
            peak[0] = max(peak[0], resident_mb(pid))
        except (FileNotFoundError, ProcessLookupError):  # a child that ended between listing and reading
            pass
        stop_event.wait(RSS_POLL_S)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=20, help="calls per client")
    parser.add_argument("--protocol", choices=list(PROTOCOL_DESCRIPTIONS), default="session",
                        help="session: one session per client, as a browser tab; call: a new session per call")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with running_app_process() as (process, url):
        with tempfile.TemporaryDirectory() as folder, httpx.Client(base_url=url, timeout=CALL_TIMEOUT_S) as http:
            sketch_body = json.dumps({"data": [upload_composite(http, seven_png(Path(folder))), MODEL, False]})
            for body, endpoint in ((decode_body(np.random.default_rng(0)), "decode"), (sketch_body, "reconstruct")):
                call(http, endpoint, body)  # warm up: first calls compile and cache
            indices = fn_indices(http)
        idle_mb = resident_mb(process.pid)
        stop_event, peak = threading.Event(), [idle_mb]
        watcher = threading.Thread(target=peak_memory, args=(process.pid, stop_event, peak), daemon=True)
        watcher.start()
        client_cpu_s = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        started, deadline = time.perf_counter(), time.monotonic() + RUN_TIMEOUT_S
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            sessions = [pool.submit(client_session, url, client, args.calls, sketch_body, deadline, args.protocol, indices)
                        for client in range(args.clients)]
            results = [row for session in sessions for row in session.result()]
        wall_s = time.perf_counter() - started
        client_cpu_s = resource.getrusage(resource.RUSAGE_SELF).ru_utime - client_cpu_s
        stop_event.set()
        watcher.join()
    load_after = os.getloadavg()

    by_endpoint: dict[str, list[tuple[float | None, bool]]] = defaultdict(list)
    for endpoint, _, ms, ok in results:
        by_endpoint[endpoint].append((ms, ok))
    failed = sum(not ok for *_, ok in results)
    print(f"protocol: {args.protocol} ({PROTOCOL_DESCRIPTIONS[args.protocol]})")
    print(f"{args.clients} clients × {args.calls} calls on {os.cpu_count()} CPUs, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; load average before "
          f"{load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    print(f"requests: {len(results)} served in {wall_s:.1f} s ({len(results) / wall_s:.1f}/s), {failed} failed (target 0); "
          f"the clients themselves used {client_cpu_s:.0f} CPU-s of the machine's {os.cpu_count() * wall_s:.0f}")
    print(f"{'endpoint':<12} {'calls':>6} {'failed':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for endpoint in MIX:
        times = [ms for ms, _ in by_endpoint[endpoint] if ms is not None]
        if times:
            print(f"{endpoint:<12} {len(by_endpoint[endpoint]):>6} {sum(not ok for _, ok in by_endpoint[endpoint]):>6} "
                  f"{percentile(times, 50):>8.0f} {percentile(times, 95):>8.0f} {max(times):>8.0f}")
    decode_p95 = percentile([ms for ms, _ in by_endpoint["decode"] if ms is not None], 95)
    print(f"decode p95 {decode_p95:.0f} ms (target < {DECODE_P95_TARGET_MS} ms)")
    settled = [ms for endpoint, start, ms, _ in results
               if endpoint == "decode" and ms is not None and start - started > BURST_S]
    if settled:
        print(f"decode p95 of calls begun after the first {BURST_S:.0f} s (when all clients open their sessions at "
              f"once): {percentile(settled, 95):.0f} ms, max {max(settled):.0f} ms")
    print(f"server RSS: idle {idle_mb:.0f} MB, peak under load {peak[0]:.0f} MB")


if __name__ == "__main__":
    main()
