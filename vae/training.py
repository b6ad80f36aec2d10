"""The optimisation step: Adam on the negative ELBO, run eagerly (CPU, MPS) or replayed from a CUDA graph.

On a GPU a batch-100 step of this small model is ~100 tiny kernels whose launch cost, not their
arithmetic, sets the speed; one CUDA graph per step replays them all with a single launch. A graph
replays fixed addresses, so on CUDA the batch is copied into the graph's own input tensor and the
learning rate is a device tensor that Adam (fused, capturable) reads in place.
"""
import time
from collections.abc import Callable
from functools import partial

import torch

from vae.model import VAE

WARMUP_STEPS = 3
"""Eager steps before a CUDA graph is captured: they create Adam's state and cuBLAS's workspaces."""

Step = Callable[[torch.Tensor], torch.Tensor]
"""One training step on a binary batch `(batch, 784)`, returning (nelbo, kl, rec) `(3,)` on its device."""


def make_optimizer(model: VAE, lr: float, device: torch.device) -> torch.optim.Adam:
    """Adam over the model's parameters; on CUDA fused and capturable, with lr a device tensor (graph-safe)."""
    if device.type == "cuda":
        return torch.optim.Adam(model.parameters(), lr=torch.tensor(lr, device=device), fused=True, capturable=True)
    return torch.optim.Adam(model.parameters(), lr=lr)


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every group's rate: in place when it is a tensor (a CUDA graph reads its address), else by value."""
    for group in optimizer.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr


def training_step(model: VAE, optimizer: torch.optim.Optimizer, bf16: bool, x: torch.Tensor) -> torch.Tensor:
    """One Adam step on the one-sample negative ELBO of binary x `(batch, 784)`; (nelbo, kl, rec) `(3,)`, detached.

    bf16 runs the matrix products in bfloat16 (autocast); the model keeps heads and bounds in float32.
    The autocast cache is off because CUDA graph capture cannot use it.
    """
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16, cache_enabled=False):
        nelbo, kl, rec = model.negative_elbo_bound(x)
    optimizer.zero_grad(set_to_none=True)
    nelbo.backward()
    optimizer.step()
    return torch.stack([nelbo, kl, rec]).detach()


class CudaGraphStep:
    """A training step replayed from one CUDA graph; every call is one real training step.

    The first WARMUP_STEPS calls run eagerly on a side stream (as capture requires); the next captures
    forward, backward and Adam into a graph, and every call from then on copies its batch into the
    graph's input and replays it. capture_s is the wall time of the warm-up and the capture.
    """

    def __init__(self, step: Step):
        self.step, self.calls, self.capture_s = step, 0, 0.0
        self.graph: torch.cuda.CUDAGraph | None = None
        self.x = self.stats = None  # the graph's input `(batch, 784)` and output `(3,)`, fixed addresses

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.graph is None:
            torch.cuda.synchronize()
            began = time.perf_counter()
            if self.calls <= WARMUP_STEPS:
                stats = self.eager_on_side_stream(x)
                torch.cuda.synchronize()
                self.capture_s += time.perf_counter() - began
                return stats
            self.x, self.graph = x.clone(), torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.stats = self.step(self.x)
            self.capture_s += time.perf_counter() - began
        self.x.copy_(x)
        self.graph.replay()
        return self.stats

    def eager_on_side_stream(self, x: torch.Tensor) -> torch.Tensor:
        """One eager step on a side stream (the warm-up pattern of torch.cuda.graph's documentation)."""
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            stats = self.step(x)
        torch.cuda.current_stream().wait_stream(side)
        stats.record_stream(torch.cuda.current_stream())  # made on the side stream, read on the main one
        return stats


def make_step(model: VAE, optimizer: torch.optim.Optimizer, bf16: bool, device: torch.device) -> Step:
    """The training step for the device: a replayed CUDA graph on CUDA, the eager step elsewhere."""
    step = partial(training_step, model, optimizer, bf16)
    return CudaGraphStep(step) if device.type == "cuda" else step
