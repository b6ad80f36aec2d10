"""Shared test fixtures: the repository root on sys.path, and torch kept to the CI's two cores."""
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
torch.set_num_threads(2)
