"""The decoder weights the page downloads to decode the sliders itself (vae/page_decoder.py) and the route that serves
them (ui.components.decoder_route): a served model's decoder as float32 safetensors, by model id (Hub ids too),
revalidated by its ETag; any other path answers 404."""
import dataclasses

import pytest
import safetensors.torch
import torch
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vae.page_decoder import decoder_file
from vae.registry import WEIGHTS_DIR, Registry, load_bundle

components = pytest.importorskip("ui.components")
HUB_ID = "someone/vae-digits"


@pytest.fixture(scope="module")
def bundle():
    return load_bundle(WEIGHTS_DIR / "vae-z2")


@pytest.fixture(scope="module")
def client(bundle) -> TestClient:
    """The decoder route alone, serving the bundled 2-D model under its folder name and as a Hub repo id."""
    registry = Registry({bundle.name: bundle, HUB_ID: dataclasses.replace(bundle, name=HUB_ID)}, None, [])
    return TestClient(FastAPI(routes=[components.decoder_route(registry)]))


def test_the_file_holds_the_decoders_layers_in_float32(bundle):
    arrays = safetensors.torch.load(decoder_file(bundle.model).data)
    expected = bundle.model.decoder.state_dict()
    assert arrays.keys() == expected.keys()
    assert all(arrays[name].dtype == torch.float32 and torch.equal(arrays[name], expected[name]) for name in arrays)
    assert [tuple(arrays[f"{i}.weight"].shape) for i in (0, 2, 4)] == [(500, 2), (500, 500), (784, 500)]


@pytest.mark.parametrize("model", ["vae-z2", HUB_ID])
def test_a_served_model_is_downloaded_once_then_revalidated(client, bundle, model):
    answer = client.get(f"/{components.DECODER_ROUTE}/{model}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/octet-stream"
    assert answer.content == decoder_file(bundle.model).data
    again = client.get(f"/{components.DECODER_ROUTE}/{model}", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("path", ["vae-z10", "someone", f"{HUB_ID}/model.safetensors", "vae-z2/config.json",
                                  "%2E%2E/app.py", "..%2F..%2Fweights%2Fvae-z2%2Fmodel.safetensors"])
def test_nothing_else_is_reachable(client, path):
    assert client.get(f"/{components.DECODER_ROUTE}/{path}").status_code == 404
