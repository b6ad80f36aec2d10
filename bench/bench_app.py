"""End-to-end figures of `python app.py` over Gradio's HTTP API, as a browser or gradio_client sees them.

Cold start (process launch to the first answered request), median slider→image latency (the decode
endpoint: POST /gradio_api/call/decode, then GET its event stream, until the picture's path arrives),
reconstruct latency, and the idle resident memory of the server, each against its target.

    OMP_NUM_THREADS=1 python bench/bench_app.py [--repeats 100]
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.app_server import call, latent_slider_count, running_app_process  # noqa: E402

WARMUP = 5
IDLE_S = 2.0
"""Quiet time before reading the idle memory."""
TARGETS = {"cold start to first answer (s)": 8.0, "slider → image, median (ms)": 25.0, "idle RSS (MB)": 700.0}
MODEL = "vae-z32"
"""The app's default model, which every call names."""


def decode_body(rng: np.random.Generator) -> str:
    """A decode request for a random z within the sliders' range (a fresh picture each time, as when dragging)."""
    return json.dumps({"data": [*rng.uniform(-2, 2, latent_slider_count()).round(2).tolist(), MODEL]})


def seven_png(folder: Path) -> Path:
    """A drawn 7 as the Sketchpad's RGBA canvas would hand it over."""
    path = folder / "seven.png"
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(70, 56), (210, 56), (126, 238)], fill=(0, 0, 0, 255), width=22)
    image.save(path)
    return path


def answered_ms(http: httpx.Client, api_name: str, body: str) -> float:
    """Wall time of one API call in milliseconds; RuntimeError if the app answered with an error."""
    start = time.perf_counter()
    event, data = call(http, api_name, body)
    elapsed = 1000 * (time.perf_counter() - start)
    if event != "complete":
        raise RuntimeError(f"{api_name} failed: {data}")
    return elapsed


def median_and_p90(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), statistics.quantiles(times, n=10)[-1]


def resident_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc)."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        status = Path(f"/proc/{current}/status").read_text()
        total_kb += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        for task in Path(f"/proc/{current}/task").iterdir():
            pending += [int(child) for child in (task / "children").read_text().split()]
    return total_kb / 1024


def upload_composite(http: httpx.Client, path: Path) -> dict:
    """Upload a file to the app and return the Sketchpad value naming it as the composite."""
    with open(path, "rb") as file:
        uploaded = http.post("gradio_api/upload", files={"files": (path.name, file, "image/png")}).json()
    return {"background": None, "layers": [], "composite": {"path": uploaded[0], "meta": {"_type": "gradio.FileData"}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    with running_app_process() as (process, url):
        with httpx.Client(base_url=url, timeout=60) as http:
            answered_ms(http, "decode", decode_body(rng))
            cold_start_s = time.perf_counter() - started
            time.sleep(IDLE_S)
            idle_mb = resident_mb(process.pid)

            for _ in range(WARMUP):
                answered_ms(http, "decode", decode_body(rng))
            decode_ms = median_and_p90([answered_ms(http, "decode", decode_body(rng)) for _ in range(args.repeats)])
            with tempfile.TemporaryDirectory() as folder:
                body = json.dumps({"data": [upload_composite(http, seven_png(Path(folder))), MODEL, False]})
            reconstruct_ms = median_and_p90([answered_ms(http, "reconstruct", body) for _ in range(args.repeats // 4)])
            busy_mb = resident_mb(process.pid)

    rows = [
        ("cold start to first answer (s)", f"{cold_start_s:.2f}", ""),
        ("slider → image, median (ms)", f"{decode_ms[0]:.1f}", f"p90 {decode_ms[1]:.1f}"),
        ("reconstruct (IWAE-100), median (ms)", f"{reconstruct_ms[0]:.1f}", f"p90 {reconstruct_ms[1]:.1f}"),
        ("idle RSS (MB)", f"{idle_mb:.0f}", f"after the runs: {busy_mb:.0f}"),
    ]
    print(f"{'measure':<38} {'value':>8}  {'target':>8}  note")
    for name, value, note in rows:
        target = f"≤ {TARGETS[name]:g}" if name in TARGETS else ""
        print(f"{name:<38} {value:>8}  {target:>8}  {note}")


if __name__ == "__main__":
    main()
