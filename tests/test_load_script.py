"""bench/load_test.py still speaks the app's protocols: a small run of each serves every call without failure."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("protocol", ["session", "call"])
def test_a_small_load_run_serves_every_call(protocol):
    run = subprocess.run([sys.executable, "bench/load_test.py", "--clients", "3", "--calls", "4", "--protocol", protocol],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr
    assert f"protocol: {protocol}" in run.stdout
    served, failed = map(int, re.search(r"requests: (\d+) served .*?, (\d+) failed", run.stdout).groups())
    assert (served, failed) == (12, 0), run.stdout
    assert re.search(r"^decode p95 \d+ ms", run.stdout, re.MULTILINE)
