"""A model's decoder as the page downloads it, to decode the latent sliders itself (static/decoder.js) with no server
call per slider step: model.safetensors' own format, holding only the decoder's float32 arrays."""
import functools
import hashlib
from dataclasses import dataclass

import safetensors.torch
import torch

from vae.model import VAE


@dataclass(frozen=True)
class DecoderFile:
    """The decoder's weights as one file, and its content hash (an HTTP entity tag, so that browsers keep a copy)."""

    data: bytes
    etag: str


@functools.cache  # once per served model: the weights never change while the app runs
def decoder_file(model: VAE) -> DecoderFile:
    """model.decoder's state dict as safetensors: each Linear layer's weight `(out, in)` and bias `(out,)` in float32,
    named by the layer's index in the nn.Sequential ("0.weight", "0.bias", "2.weight", ...; ELU between them), the
    last layer giving the 784 Bernoulli logits."""
    arrays = {name: array.detach().to("cpu", torch.float32).contiguous()
              for name, array in model.decoder.state_dict().items()}
    data = safetensors.torch.save(arrays)
    return DecoderFile(data, f'"{hashlib.sha256(data).hexdigest()[:32]}"')
