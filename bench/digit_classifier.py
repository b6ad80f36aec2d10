"""The judge: a small CNN that reads MNIST-style 28×28 digits, grey or binarised.

Benchmarks use it to ask whether a picture (a VAE's reconstruction, a preprocessed drawing) is still
the digit it should be. Trained by bench/train_digit_classifier.py; weights are the committed
digit_classifier.safetensors (safetensors, never a pickle).
"""
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
from torch import nn

WEIGHTS = Path(__file__).resolve().with_name("digit_classifier.safetensors")


class DigitClassifier(nn.Module):
    """Two conv + max-pool stages and a small linear head: `(batch, 1, 28, 28)` in [0, 1] → logits `(batch, 10)`."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # (batch, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (batch, 64, 7, 7)
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 48), nn.ReLU(), nn.Linear(48, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits `(batch, 10)` of digits x `(batch, 1, 28, 28)` or `(batch, 784)` in [0, 1]."""
        return self.head(self.features(x.reshape(-1, 1, 28, 28)))


def load_classifier(path: str | Path = WEIGHTS) -> DigitClassifier:
    """The trained classifier in eval mode, from a safetensors file (strict: every weight, no extras)."""
    model = DigitClassifier()
    safetensors.torch.load_model(model, str(path), strict=True)
    return model.eval()


@torch.no_grad()
def classify(images: np.ndarray | torch.Tensor, model: DigitClassifier | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Labels `(n,)` int64 and class probabilities `(n, 10)` float32 of digits `(n, 28, 28)` or `(n, 784)` in [0, 1]."""
    model = model or load_classifier()
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    probabilities = torch.cat([model(chunk).softmax(-1) for chunk in x.split(1000)]) if len(x) else torch.empty(0, 10)
    return probabilities.argmax(-1).numpy(), probabilities.numpy()


def accuracy(images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor,
             model: DigitClassifier | None = None) -> float:
    """Fraction of digits `(n, 28, 28)` or `(n, 784)` in [0, 1] whose predicted label is labels `(n,)`."""
    return float((classify(images, model)[0] == np.asarray(labels)).mean())
