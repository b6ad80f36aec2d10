"""`python app.py` as a subprocess on 127.0.0.1 and a free port, for the API and browser tests (and the bench)."""
import contextlib
import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from vae.registry import WEIGHTS_DIR, load_registry

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 120
"""Generous: the first start imports torch and gradio on a busy two-core machine."""
POLL_INTERVAL_S = 0.05


@functools.cache  # benchmarks build a body per request
def latent_slider_count() -> int:
    """How many latent sliders the app shows on the shipped weights (decode's z1..zN): the largest model's z_dim."""
    return load_registry(WEIGHTS_DIR, {}).largest_z_dim  # as the app counts them


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    """Whether url answers an HTTP GET with 200."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def start_app(extra_env: Mapping[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start app.py; return the process and its URL as soon as the process is listening."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", **(extra_env or {})}
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty server can never block on it
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, text=True)
    process.log = log
    return process, f"http://127.0.0.1:{port}/"


def output(process: subprocess.Popen) -> str:
    """Everything the app printed so far."""
    process.log.seek(0)
    return process.log.read()


def wait_until_answering(process: subprocess.Popen, url: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll url until it answers; RuntimeError with the app's output if it exits or times out first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{output(process)}")
        if answers(url):
            return
        time.sleep(POLL_INTERVAL_S)
    raise RuntimeError(f"app.py did not answer {url} within {timeout_s} s:\n{output(process)}")


def stop(process: subprocess.Popen) -> None:
    """Terminate the app process (kill it if it does not stop within 10 s)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.log.close()


@contextlib.contextmanager
def running_app_process(extra_env: Mapping[str, str] | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """A running app.py process (its output in output(process)) and its URL, stopped on exit."""
    process, url = start_app(extra_env)
    try:
        wait_until_answering(process, url)
        yield process, url
    finally:
        stop(process)


@contextlib.contextmanager
def running_app(extra_env: Mapping[str, str] | None = None) -> Iterator[str]:
    """The URL of a running app.py, stopped on exit."""
    with running_app_process(extra_env) as (_, url):
        yield url


def fn_indices(http: httpx.Client) -> dict[str, int]:
    """The fn_index that queue/join needs for each api_name: its dependency's id in GET /config."""
    dependencies = http.get("config").raise_for_status().json()["dependencies"]
    return {dependency["api_name"]: dependency["id"] for dependency in dependencies}


def call(http: httpx.Client, api_name: str, body: str) -> tuple[str, Any]:
    """One request over Gradio's HTTP API: POST the JSON body text to /gradio_api/call/<api_name>, then read the
    event stream; return the final event ("complete" or "error") and its decoded data.

    http is an httpx.Client with the app's URL as base_url (kept open, as a browser keeps its connection).
    The body is text so that tests can send what gradio_client cannot encode (NaN).
    """
    posted = http.post(f"gradio_api/call/{api_name}", content=body, headers={"content-type": "application/json"})
    posted.raise_for_status()
    event = None
    with http.stream("GET", f"gradio_api/call/{api_name}/{posted.json()['event_id']}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                return event, json.loads(line.removeprefix("data:"))
    raise RuntimeError(f"the event stream of {api_name} ended without a result")


def queue_event(http: httpx.Client, session_hash: str, fn_index: int, data: list,
                event_data: dict | None = None) -> tuple[bool, dict]:
    """One event as a browser tab sends it: POST /gradio_api/queue/join under the tab's session hash, then read the
    session's stream until the server closes it (close_stream); return whether the event succeeded, and its output.

    fn_index is the event's dependency id in GET /config: private events (no api_name) are reached this way too.
    """
    joined = http.post("gradio_api/queue/join", json={"data": data, "event_data": event_data, "fn_index": fn_index,
                                                      "trigger_id": None, "session_hash": session_hash})
    joined.raise_for_status()
    event_id, completed = joined.json()["event_id"], None
    with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line.removeprefix("data:"))
            if message["msg"] == "unexpected_error":
                raise RuntimeError(message["message"])
            if message["msg"] == "process_completed" and message["event_id"] == event_id:
                completed = message["success"], message["output"]
    if completed is None:
        raise RuntimeError(f"the stream of session {session_hash} ended without completing event {event_id}")
    return completed
