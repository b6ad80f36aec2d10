"""Shared test fixtures: the repository root on sys.path, torch kept to the CI's two cores, and an HTTP client of a
freshly started app for each test module that asks for one."""
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
torch.set_num_threads(2)

from tests.app_server import running_app  # noqa: E402  (needs the root on sys.path)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """An HTTP client of `python app.py`, started for the test module and stopped after it."""
    with running_app() as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client
