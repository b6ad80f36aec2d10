"""Publishing to the Hub against fake API objects: the right calls, and failures a person can act on."""
import inspect
from pathlib import Path
from types import SimpleNamespace

import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils import filter_repo_objects

import train
import vae.hub
from vae.checkpoint import CHECKPOINT_NAME
from vae.hub import PUBLISHED_FILES, PushError, push_folder
from vae.registry import SIDECAR_NAME

REPO_ID = "someone/vae-digits"
SECRET_TOKEN = "hf_NotARealTokenButSecret123"
COMMIT_URL = f"https://huggingface.co/{REPO_ID}/commit/abc123"


class RecordingApi:
    """Stands in for HfApi: checks each call against HfApi's real signature and records it."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    def _record(self, method: str, *args, **kwargs) -> dict:
        bound = inspect.signature(getattr(HfApi, method)).bind(self, *args, **kwargs)
        arguments = {name: value for name, value in bound.arguments.items() if name != "self"}
        self.calls.append((method, arguments))
        return arguments

    def create_repo(self, *args, **kwargs):
        self._record("create_repo", *args, **kwargs)
        return f"https://huggingface.co/{REPO_ID}"

    def upload_folder(self, *args, **kwargs):
        self._record("upload_folder", *args, **kwargs)
        return SimpleNamespace(commit_url=COMMIT_URL)


class FailingApi(RecordingApi):
    """An HfApi whose upload fails the way an auth error does, echoing the request's token."""

    def upload_folder(self, *args, **kwargs):
        self._record("upload_folder", *args, **kwargs)
        raise ConnectionError(f"401 Unauthorized for Authorization: Bearer {SECRET_TOKEN}")


@pytest.fixture
def finished_folder(tmp_path) -> Path:
    """A training folder holding every published file and a checkpoint that must stay private."""
    folder = tmp_path / "vae-z2"
    folder.mkdir()
    for name in [*PUBLISHED_FILES, CHECKPOINT_NAME]:
        (folder / name).write_bytes(f"contents of {name}".encode())
    return folder


def folder_contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def uploaded_names(folder: Path, upload: dict) -> set[str]:
    """The folder's files that upload_folder's allow/ignore patterns select, as huggingface_hub filters them."""
    names = [path.name for path in folder.iterdir()]
    return set(filter_repo_objects(names, allow_patterns=upload.get("allow_patterns"),
                                   ignore_patterns=upload.get("ignore_patterns")))


@pytest.mark.parametrize("private", [False, True])
def test_push_creates_the_repo_and_uploads_exactly_the_published_files(finished_folder, private):
    api = RecordingApi()
    url = push_folder(finished_folder, REPO_ID, private=private, api=api)
    assert url == COMMIT_URL
    assert [method for method, _ in api.calls] == ["create_repo", "upload_folder"]
    create, upload = api.calls[0][1], api.calls[1][1]
    assert create["repo_id"] == REPO_ID and create["private"] is private and create["exist_ok"] is True
    assert upload["repo_id"] == REPO_ID and Path(upload["folder_path"]) == finished_folder
    assert set(PUBLISHED_FILES) <= set(upload["allow_patterns"])
    assert uploaded_names(finished_folder, upload) == set(PUBLISHED_FILES)


def test_the_app_sidecar_is_uploaded_when_the_folder_has_one(finished_folder):
    (finished_folder / SIDECAR_NAME).write_text('{"description": "mine"}')
    api = RecordingApi()
    push_folder(finished_folder, REPO_ID, api=api)
    assert uploaded_names(finished_folder, api.calls[1][1]) == set(PUBLISHED_FILES) | {SIDECAR_NAME}


def test_a_failed_push_says_what_failed_and_how_to_retry_without_the_token(finished_folder, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET_TOKEN)
    before = folder_contents(finished_folder)
    with pytest.raises(PushError) as raised:
        push_folder(finished_folder, REPO_ID, api=FailingApi())
    message = str(raised.value)
    assert REPO_ID in message and "401 Unauthorized" in message
    assert f"--push-only {finished_folder}" in message and f"--push-to-hub {REPO_ID}" in message
    assert SECRET_TOKEN not in message
    assert folder_contents(finished_folder) == before


def test_pushing_an_unfinished_folder_names_the_missing_files(finished_folder):
    (finished_folder / "metrics.json").unlink()
    (finished_folder / "samples.png").unlink()
    api = RecordingApi()
    with pytest.raises(PushError, match="not a finished training folder") as raised:
        push_folder(finished_folder, REPO_ID, api=api)
    assert "metrics.json" in str(raised.value) and "samples.png" in str(raised.value)
    assert str(finished_folder) in str(raised.value)
    assert api.calls == []


def test_push_only_with_a_failing_hub_returns_an_error_and_the_retry_hint(finished_folder, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", SECRET_TOKEN)
    monkeypatch.setattr(vae.hub, "HfApi", FailingApi)
    before = folder_contents(finished_folder)
    code = train.main(["--push-only", str(finished_folder), "--push-to-hub", REPO_ID])
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert f"--push-only {finished_folder}" in err
    assert SECRET_TOKEN not in err
    assert folder_contents(finished_folder) == before


def test_push_only_uploads_through_hfapi(finished_folder, monkeypatch, capsys):
    api = RecordingApi()
    monkeypatch.setattr(vae.hub, "HfApi", lambda: api)
    assert train.main(["--push-only", str(finished_folder), "--push-to-hub", REPO_ID, "--private"]) == 0
    assert COMMIT_URL in capsys.readouterr().out
    assert api.calls[0][1]["private"] is True
    assert uploaded_names(finished_folder, api.calls[1][1]) == set(PUBLISHED_FILES)


def test_push_only_needs_a_repo_id(finished_folder, capsys):
    with pytest.raises(SystemExit) as raised:
        train.main(["--push-only", str(finished_folder)])
    assert raised.value.code != 0
    assert "--push-to-hub" in capsys.readouterr().err
