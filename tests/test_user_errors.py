"""A person's mistake keeps the page: sent from the page (Gradio's front end marks its requests x-gradio-user: app)
it is a warning with every output kept; from an API caller, the same sentence as an error. Either way the server
logs one line, never a traceback."""
import json
import uuid

import httpx
import pytest
from app_server import call, fn_indices, output, queue_event, running_app_process

from vae.studio import FROM_PRIOR

SEED_SENTENCE = "seed must be between 0 and"
NEGATIVE_SEED_GRID = [5, 5, -5, 1.0, False, FROM_PRIOR, "vae-z32"]


@pytest.fixture(scope="module")
def app():
    """A running app.py process and its URL."""
    with running_app_process() as (process, url):
        yield process, url


def test_an_api_caller_gets_the_sentence_as_an_error(app):
    _, url = app
    with httpx.Client(base_url=url, timeout=60) as http:
        event, data = call(http, "sample_grid", json.dumps({"data": NEGATIVE_SEED_GRID}))
    assert event == "error" and SEED_SENTENCE in data["error"]


def test_the_page_gets_a_warning_and_keeps_its_outputs(app):
    _, url = app
    with httpx.Client(base_url=url, timeout=60, headers={"x-gradio-user": "app"}) as page:
        success, result = queue_event(page, str(uuid.uuid4()), fn_indices(page)["sample_grid"], NEGATIVE_SEED_GRID)
    assert success and result["data"] == [{"__type__": "update"}]  # gr.skip(): the grid shown stays


def test_each_refusal_is_one_log_line_without_a_traceback(app):
    process, url = app
    before = output(process).count(f"refused sample_grid: {SEED_SENTENCE}")
    with httpx.Client(base_url=url, timeout=60) as http:
        call(http, "sample_grid", json.dumps({"data": NEGATIVE_SEED_GRID}))
    log = output(process)
    assert log.count(f"refused sample_grid: {SEED_SENTENCE}") == before + 1
    assert "Traceback" not in log and "InputError" not in log
