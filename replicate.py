"""Replicate the course's table of reference runs (CS236 HW2, Task 3): train the reference setup once per
seed, then tabulate each run's test NELBO, KL, Rec, IWAE-k NLL, training time and device, with mean ± sd
beside the course's averages, as Markdown (--table) and JSON (the same path with .json).

    python replicate.py --table docs/replicate.md --data-dir ../shared/data --no-download [--device cuda]

Options other than --seeds, --out and --table go to train.py, whose defaults are the reference setup;
seed n trains in <out>/seed-<n>. Killed or interrupted, the same command continues: finished runs are
kept, an unfinished one resumes from its checkpoint (train.py --resume). The table is rewritten after
every run, saying how many are done.
"""
import argparse
import json
import shlex
import statistics
import sys
from pathlib import Path

from huggingface_hub import constants

import train
from vae.report import METRICS_NAME

COURSE_AVERAGE = {"nelbo": 100.16, "kl": 19.27, "rec": 80.89}
"""The course's average over its 10 runs of the reference setup, nats per digit."""
FIGURES = ("nelbo", "kl", "rec", "iwae_nll", "wall_time_s")
"""What the table gives for each run and as mean ± sd."""


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """This script's options, and the rest: train.py's options for every run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)  # else train.py's --seed would be taken for --seeds
    parser.add_argument("--seeds", type=int, default=10, help="number of runs, seeded 0 .. N-1")
    parser.add_argument("--out", type=Path, default=Path("runs/replicate"), help="runs go to <out>/seed-<n>")
    parser.add_argument("--table", type=Path, default=Path("docs/replicate.md"),
                        help="the Markdown table; the JSON goes beside it with the suffix .json")
    return parser.parse_known_args(argv)


def run_argv(train_options: list[str], out: Path, seed: int) -> list[str]:
    """train.py's arguments for one seed's run: resumable, so a rerun continues a killed one; no learned latent
    distribution (the table needs none)."""
    return [*train_options, "--out", str(out / f"seed-{seed}"), "--seed", str(seed), "--resume", "--no-latent-mixture"]


def finished_metrics(argv: list[str]) -> dict | None:
    """A run's metrics once it is complete (its model card, written last, exists and it ran every iteration)."""
    args = train.parse_args(argv)
    if not (args.out / constants.REPOCARD_NAME).exists():
        return None
    metrics = json.loads((args.out / METRICS_NAME).read_text())
    return metrics if metrics["iterations"] == args.iterations else None


def summary(runs: list[dict]) -> dict[str, dict[str, float | None]]:
    """Mean and sample standard deviation of each figure over the runs (sd None below two runs)."""
    columns = {key: [run[key] for run in runs] for key in FIGURES}
    return {"mean": {key: statistics.fmean(values) for key, values in columns.items()},
            "sd": {key: statistics.stdev(values) if len(values) > 1 else None for key, values in columns.items()}}


def table_json(runs: list[dict], seeds: int, first: dict, command: str) -> dict:
    """The whole study as JSON: setup, each run, mean and sd, the course's averages."""
    setup = {key: first[key] for key in ("config", "recipe", "iterations", "iwae_k")}
    return {"command": command, "setup": setup, "runs_done": len(runs), "runs_planned": seeds, "runs": runs,
            **summary(runs), "course_average": COURSE_AVERAGE}


def cell(key: str, value: float | None, sd: float | None = None) -> str:
    """A figure in nats (2 decimals) or a time in seconds (1 decimal), with ± sd when given; – when missing."""
    if value is None:
        return "–"
    digits, unit = (1, " s") if key == "wall_time_s" else (2, "")
    return f"{value:.{digits}f}" + ("" if sd is None else f" ± {sd:.{digits}f}") + unit


def table_markdown(study: dict) -> str:
    """The study as a Markdown page: one row per run, mean ± sd, the course's averages."""
    setup, runs, mean, sd = study["setup"], study["runs"], study["mean"], study["sd"]
    recipe, config = setup["recipe"], setup["config"]
    done = "" if study["runs_done"] == study["runs_planned"] else \
        f"\n**{study['runs_done']} of {study['runs_planned']} runs done**; run the command again to continue.\n"
    lines = [
        "# Replicating the course's reference runs",
        "",
        f"One run per seed of: latent {config['z_dim']}, hidden {config['hidden_dims']}, batch "
        f"{recipe['batch_size']}, Adam {recipe['lr']} {recipe['lr_schedule']}, {setup['iterations']} iterations "
        "(train.py's defaults: the course's reference setup, CS236 HW2 Task 3). Test figures on the full test set "
        "(fixed binarisation), nats per digit; training time includes the periodic test evaluations.",
        "",
        f"Written by `{study['command']}`.",
        done,
        f"| seed | NELBO | KL | Rec | IWAE-{setup['iwae_k']} NLL | training time | device |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *(f"| {run['seed']} | " + " | ".join(cell(key, run[key]) for key in FIGURES) + f" | {run['device']} |"
          for run in runs),
        f"| **mean ± sd** ({len(runs)} run{'s' * (len(runs) != 1)}) | "
        + " | ".join(cell(key, mean[key], sd[key]) for key in FIGURES) + " | |",
        "| course average (10 runs) | " + " | ".join(cell(key, COURSE_AVERAGE.get(key)) for key in FIGURES) + " | |",
    ]
    return "\n".join(lines) + "\n"


def write_table(path: Path, study: dict) -> None:
    """The Markdown page at path and the JSON beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table_markdown(study))
    path.with_suffix(".json").write_text(json.dumps(study, indent=2))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args, train_options = parse_args(argv)
    runs, first = [], None
    for seed in range(args.seeds):
        run = run_argv(train_options, args.out, seed)
        metrics = finished_metrics(run)
        if metrics is None:
            print(f"seed {seed}: training into {args.out / f'seed-{seed}'}", flush=True)
            if (code := train.main(run)) != 0:
                return code
            metrics = finished_metrics(run)
            if metrics is None:  # its checkpoint had gone past --iterations: resuming cannot end where asked
                print(f"error: {args.out / f'seed-{seed}'} holds a longer run than --iterations; pass another --out.",
                      file=sys.stderr)
                return 1
        first = first or metrics
        runs.append({"seed": seed, **metrics["test"], "wall_time_s": metrics["wall_time_s"],
                     "device": metrics["device"]})
        write_table(args.table, table_json(runs, args.seeds, first, shlex.join(["python", "replicate.py", *argv])))
    print(f"table: {args.table} and {args.table.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
