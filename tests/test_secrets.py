"""The Hub token never leaves the environment: a failing `train.py --push-only` (offline, nothing listening,
or a server that echoes the token back in its error) prints no token and writes it to no file.

(tests/test_hub.py checks the same in-process against fake API objects; this runs the real CLI and the real
huggingface_hub HTTP client end to end.)
"""
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from app_server import free_port

from vae.checkpoint import CHECKPOINT_NAME
from vae.hub import PUBLISHED_FILES

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "hf_fakeTokenThatMustNeverBePrinted0123456789"
REPO_ID = "user/repo"


class EchoingHub(BaseHTTPRequestHandler):
    """A Hub endpoint that refuses every request with a 401 whose message quotes the Authorization header."""

    def _refuse(self) -> None:
        message = f"Invalid credentials in Authorization: {self.headers.get('authorization')}"
        body = json.dumps({"error": message}).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("x-error-message", message)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = _refuse

    def log_message(self, *args) -> None:
        """Quiet: the test reads the CLI's output, not the server's."""


@pytest.fixture(scope="module")
def echoing_hub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def finished_folder(tmp_path) -> Path:
    """A folder holding every published file (placeholders: the push fails before any upload)."""
    folder = tmp_path / "vae-z2"
    folder.mkdir()
    for name in [*PUBLISHED_FILES, CHECKPOINT_NAME]:
        (folder / name).write_text(f"contents of {name}")
    return folder


def files_holding(root: Path, secret: str) -> list[Path]:
    """Every file under root whose bytes contain secret."""
    return [path for path in root.rglob("*") if path.is_file() and secret.encode() in path.read_bytes()]


@pytest.mark.parametrize("hub", ["offline", "nothing listening", "echoes the token"])
def test_a_failing_push_never_reveals_the_token(finished_folder, tmp_path, hub, echoing_hub):
    hf_home = tmp_path / "hf-home"
    env = {**os.environ, "HF_TOKEN": TOKEN, "HF_HOME": str(hf_home), "OMP_NUM_THREADS": "1",
           **{"offline": {"HF_HUB_OFFLINE": "1"},
              "nothing listening": {"HF_ENDPOINT": f"http://127.0.0.1:{free_port()}"},
              "echoes the token": {"HF_ENDPOINT": echoing_hub}}[hub]}
    if hub != "offline":
        env.pop("HF_HUB_OFFLINE", None)
    result = subprocess.run([sys.executable, "train.py", "--push-only", str(finished_folder), "--push-to-hub", REPO_ID],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: Push to the Hub repo '{REPO_ID}' failed") and "--push-only" in line
    assert TOKEN not in result.stdout + result.stderr
    assert files_holding(tmp_path, TOKEN) == []  # the folder, and whatever huggingface_hub wrote in HF_HOME
    if hub == "echoes the token":
        assert "***" in line  # the server's message is shown, with the token masked
