"""Export soak KPIs in the Prometheus text exposition format.

The soak runner leaves one JSON summary per iteration, ``iter_<n>.json``, in a
directory per profile. This takes the latest summary of each profile and writes
one ``.prom`` file for a textfile collector to publish, a gauge per numeric KPI
with the profile as a label.
"""

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path

METRIC_PREFIX = "soak_"
_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_]")
_ITERATION = re.compile(r"iter_(\d+)\.json")


def metric_name(key: str) -> str:
    """A Prometheus metric name for a KPI key: ``p95 latency (ms)`` -> ``soak_p95_latency_ms``."""
    cleaned = _INVALID_NAME_CHARS.sub("_", key.strip().lower())
    return METRIC_PREFIX + re.sub("_+", "_", cleaned).strip("_")


def escape_label(value: str) -> str:
    """Escape a label value as the exposition format requires."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def latest_summaries(root: Path) -> dict[str, dict[str, object]]:
    """The newest ``iter_<n>.json`` of each profile directory under ``root``."""
    latest: dict[str, dict[str, object]] = {}
    for profile_dir in sorted(path for path in root.iterdir() if path.is_dir()):
        iterations = [
            (int(match.group(1)), path)
            for path in profile_dir.iterdir()
            if (match := _ITERATION.fullmatch(path.name))
        ]
        if iterations:
            _, newest = max(iterations)
            latest[profile_dir.name] = json.loads(newest.read_text(encoding="utf-8"))
    return latest


def render(summaries: dict[str, dict[str, object]]) -> str:
    """One gauge per numeric KPI, samples sorted by metric then profile."""
    samples: dict[str, list[str]] = {}
    for profile, summary in sorted(summaries.items()):
        for key, value in summary.items():
            # Booleans are ints in Python, but not KPIs here.
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            label = f'{{profile="{escape_label(profile)}"}}'
            samples.setdefault(metric_name(key), []).append(f"{label} {format_value(value)}")
    lines = []
    for name in sorted(samples):
        lines.append(f"# TYPE {name} gauge")
        lines.extend(f"{name}{sample}" for sample in samples[name])
    return "\n".join(lines) + "\n" if lines else ""


def write_textfile(path: Path, text: str) -> None:
    """Replace the file in one step: the collector must never read half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export soak KPIs for Prometheus.")
    parser.add_argument("root", type=Path, help="directory with one folder per profile")
    parser.add_argument("--out", type=Path, default=Path("soak.prom"))
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        print(f"error: {args.root} is not a directory", file=sys.stderr)
        return 2
    text = render(latest_summaries(args.root))
    if not text:
        print(f"error: no iter_<n>.json summaries under {args.root}", file=sys.stderr)
        return 1
    write_textfile(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
