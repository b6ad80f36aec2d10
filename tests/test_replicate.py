"""replicate.py on tiny data: a study interrupted mid-run continues where it stopped, and its table is complete."""
import json
import statistics

import pytest
import safetensors.torch

import replicate
import train
from tiny_mnist import write_tiny_mnist

ITERATIONS, CHECKPOINT_EVERY = 20, 10
TINY = ["--no-download", "--device", "cpu", "--iterations", str(ITERATIONS), "--z-dim", "2", "--hidden", "32",
        "--batch-size", "50", "--iwae-k", "5", "--eval-every", str(CHECKPOINT_EVERY),
        "--checkpoint-every", str(CHECKPOINT_EVERY)]


@pytest.fixture(scope="module")
def train_options(tmp_path_factory) -> list[str]:
    root = tmp_path_factory.mktemp("mnist")
    write_tiny_mnist(root)
    return ["--data-dir", str(root), *TINY]


def spy_on_training(monkeypatch) -> list[int]:
    """The seeds train.main is called for from now on (it still trains)."""
    seeds, real_main = [], train.main

    def main(argv):
        seeds.append(int(argv[argv.index("--seed") + 1]))
        return real_main(argv)

    monkeypatch.setattr(train, "main", main)
    return seeds


def test_an_interrupted_study_resumes_and_tabulates_every_seed(train_options, tmp_path, monkeypatch):
    out, table = tmp_path / "runs", tmp_path / "docs" / "replicate.md"
    study = ["--seeds", "2", "--out", str(out), "--table", str(table), *train_options]
    real_save = train.save_checkpoint

    def killed_after_seed_1s_first_checkpoint(path, model, optimizer, progress):
        real_save(path, model, optimizer, progress)
        if path.parent.name == "seed-1":
            raise KeyboardInterrupt  # Ctrl-C, or a kill, in the middle of the second run

    monkeypatch.setattr(train, "save_checkpoint", killed_after_seed_1s_first_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        replicate.main(study)
    assert (out / "seed-0" / "metrics.json").exists() and not (out / "seed-1" / "metrics.json").exists()
    assert json.loads(table.with_suffix(".json").read_text())["runs_done"] == 1
    assert "1 of 2 runs done" in table.read_text()
    seed_0_weights = (out / "seed-0" / "model.safetensors").read_bytes()

    monkeypatch.setattr(train, "save_checkpoint", real_save)
    trained = spy_on_training(monkeypatch)
    assert replicate.main(study) == 0
    assert trained == [1]  # seed 0 was kept, seed 1 resumed from its checkpoint
    assert (out / "seed-0" / "model.safetensors").read_bytes() == seed_0_weights

    uninterrupted = tmp_path / "uninterrupted"
    assert train.main([*train_options, "--seed", "1", "--out", str(uninterrupted)]) == 0
    resumed = safetensors.torch.load_file(str(out / "seed-1" / "model.safetensors"))
    reference = safetensors.torch.load_file(str(uninterrupted / "model.safetensors"))
    assert all((resumed[name] == reference[name]).all() for name in reference)

    result = json.loads(table.with_suffix(".json").read_text())
    assert [run["seed"] for run in result["runs"]] == [0, 1] and result["runs_done"] == result["runs_planned"] == 2
    metrics = [json.loads((out / f"seed-{seed}" / "metrics.json").read_text()) for seed in (0, 1)]
    for run, run_metrics in zip(result["runs"], metrics):
        assert {key: run[key] for key in run_metrics["test"]} == run_metrics["test"]
        assert run["wall_time_s"] == run_metrics["wall_time_s"] and run["device"] == "cpu"
    nelbos = [m["test"]["nelbo"] for m in metrics]
    assert result["mean"]["nelbo"] == pytest.approx(statistics.fmean(nelbos))
    assert result["sd"]["nelbo"] == pytest.approx(statistics.stdev(nelbos))
    assert result["course_average"] == {"nelbo": 100.16, "kl": 19.27, "rec": 80.89}
    assert result["setup"]["iterations"] == ITERATIONS and result["setup"]["iwae_k"] == 5

    markdown = table.read_text()
    assert "runs done" not in markdown
    assert f"{result['mean']['nelbo']:.2f} ± {result['sd']['nelbo']:.2f}" in markdown
    assert "| course average (10 runs) | 100.16 | 19.27 | 80.89 |" in markdown
    assert all(f"| {seed} | {m['test']['nelbo']:.2f} |" in markdown for seed, m in enumerate(metrics))
    assert "IWAE-5 NLL" in markdown


def test_a_finished_study_trains_nothing_and_rewrites_the_same_table(train_options, tmp_path, monkeypatch):
    study = ["--seeds", "1", "--out", str(tmp_path / "runs"), "--table", str(tmp_path / "table.md"), *train_options]
    assert replicate.main(study) == 0
    first = (tmp_path / "table.md").read_text()
    trained = spy_on_training(monkeypatch)
    assert replicate.main(study) == 0
    assert trained == [] and (tmp_path / "table.md").read_text() == first
    assert "± " not in first.split("mean ± sd")[1].splitlines()[0]  # one run: a mean, no sd


def test_train_options_pass_through_untouched_even_when_they_look_like_ours():
    args, train_options = replicate.parse_args(["--seeds", "3", "--seed", "7", "--device", "cpu"])
    assert args.seeds == 3 and train_options == ["--seed", "7", "--device", "cpu"]
