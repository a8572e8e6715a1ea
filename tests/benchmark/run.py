"""Time reportgen as whole processes against pycobertura, diff-cover, bare expat and click.

    python -m tests.benchmark.run [--runs 5] [--large] [--peers-venv DIR] [--only files,junit]

Each command runs `--runs` times as a whole process; the table shows the median wall time and
the largest peak resident memory of the process (measured by GNU time when installed, else by
`os.wait4`). The ratio column is each row's median time over reportgen's in the same case.
pycobertura and diff-cover are found in `--peers-venv`, or on PATH; rows for tools that are
absent are left out. diff-cover gets the generated `source.diff` through `--diff-file` and runs
in an empty git repository (it asks git for the work tree's root, nothing more). Inputs are
generated into `--workdir` and reused there, or into a temporary folder deleted at the end
(unless `--keep`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.benchmark import generate

CASE_NAMES = ("files", "cobertura", "patch", "large", "junit", "help")
LARGE_FILES = 50_000
# A bare expat pass over a file: the floor of any streaming XML reader in Python.
EXPAT_PASS = """
import sys, xml.parsers.expat
parser = xml.parsers.expat.ParserCreate()
parser.StartElementHandler = lambda name, attributes: None
parser.EndElementHandler = lambda name: None
parser.CharacterDataHandler = lambda data: None
with open(sys.argv[1], "rb") as stream:
    parser.ParseFile(stream)
"""


@dataclass(frozen=True, slots=True)
class Command:
    """One tool's command for a case, and the exit codes that mean it did its job."""

    tool: str
    argv: tuple[str, ...]
    cwd: Path | None = None
    ok: frozenset[int] = frozenset({0})
    # Deleted before every run: each run writes its report afresh (reportgen, rightly, refuses
    # to replace a different report it finds there, as from an older build).
    output: Path | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """What reportgen must achieve against the case's reference tool."""

    against: str
    faster: float | None = None  # at least this many times faster than `against`
    slower: float | None = None  # at most this many times slower than `against`
    memory_share: float | None = None  # peak memory at most this share of `against`'s
    peak_mb: float | None = None  # peak memory under this


@dataclass(frozen=True, slots=True)
class Case:
    """An input and the commands timed on it; the first command is reportgen's."""

    title: str
    commands: tuple[Command, ...]
    target: Target
    more_targets: tuple[Target, ...] = ()  # further targets, each against another command


@dataclass(frozen=True, slots=True)
class Result:
    """The runs of one command."""

    tool: str
    seconds: tuple[float, ...]
    peak_mb: float
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True, slots=True)
class Tools:
    """The executables the benchmark runs."""

    python: str
    reportgen: str
    pycobertura: str | None
    diff_cover: str | None
    gnu_time: str | None


def measure(command: Command, gnu_time: str | None) -> tuple[float, float, int, str]:
    """Run once: wall seconds, peak RSS in MB, exit code, and the last line of stderr.

    A child's peak RSS starts at its parent's size when it forks (Linux records the parent's
    high-water mark at the child's exec), so the runner's own memory would be a floor under
    every figure. GNU time, a small process, forks the command instead and reports its
    peak; without it the figure is `os.wait4`'s, floor included.
    """
    if command.output is not None:
        command.output.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "time"
        argv = command.argv
        if gnu_time:
            argv = (gnu_time, "-f", "%M", "-o", str(report), *argv)
        with (Path(scratch) / "stderr").open("w+b") as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(
                argv, cwd=command.cwd, stdout=subprocess.DEVNULL, stderr=stderr
            )
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            stderr.seek(0)
            tail = stderr.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        kib = int(report.read_text().split()[-1]) if gnu_time else _maxrss_kib(usage)
    return seconds, kib / 1024, process.returncode, "".join(tail)


def _maxrss_kib(usage: resource.struct_rusage) -> float:
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    return usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss


def find_gnu_time() -> str | None:
    """GNU time's path when it is installed (BSD time has no `-f`)."""
    path = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if path is None:
        return None
    probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True)
    return path if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


class Timing:
    """The runs of one command so far; it stops at its first failure."""

    def __init__(self, command: Command) -> None:
        self.command = command
        self.seconds: list[float] = []
        self.peak = 0.0
        self.error = ""

    def run_once(self, gnu_time: str | None) -> None:
        if self.error:
            return
        elapsed, rss, code, tail = measure(self.command, gnu_time)
        if code not in self.command.ok:
            self.error = f"exit {code}: {tail}"
            self.seconds = [elapsed]
        else:
            self.seconds.append(elapsed)
        self.peak = max(self.peak, rss)

    def result(self) -> Result:
        return Result(self.command.tool, tuple(self.seconds), self.peak, self.error)


def time_commands(commands: tuple[Command, ...], runs: int, gnu_time: str | None) -> list[Result]:
    """Run each command `runs` times, taking turns: on a shared machine a slow stretch then
    slows every tool alike instead of one tool's whole series."""
    timings = [Timing(command) for command in commands]
    for _ in range(runs):
        for timing in timings:
            timing.run_once(gnu_time)
    return [timing.result() for timing in timings]


# What the first run after an install leaves behind: the built-in templates compiled into
# reportgen's template cache (see the README). Run where PYTHONDONTWRITEBYTECODE is unset.
WARM_TEMPLATES = """
from reportgen.outputs.render import builtin_template_dir, make_environment, template_cache_dir
env = make_environment(None, template_cache_dir())
for template in sorted(builtin_template_dir().iterdir()):
    env.get_template(template.name)
"""


def byte_compile(reportgen: str) -> str | None:
    """Compile the timed reportgen's modules, as `pip install` does for an installed package,
    and its built-in templates, as its first run does.

    An editable checkout relies on the interpreter to write `__pycache__`, which
    PYTHONDONTWRITEBYTECODE forbids: every run would then compile the sources again.
    Returns the package folder (None when its Python is not beside the executable).
    """
    python = Path(reportgen).parent / "python"
    if not python.exists():
        return None
    # -P: the package the executable imports, not a checkout in the working directory
    # (`pip install .` then a run from the clone would otherwise warm the wrong copy).
    where = "import os, reportgen; print(os.path.dirname(reportgen.__file__))"
    found = subprocess.run([str(python), "-P", "-c", where], capture_output=True, text=True)
    folder = found.stdout.strip()
    if found.returncode or not folder:
        return None
    subprocess.run([str(python), "-m", "compileall", "-q", folder], check=True)
    first_run = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([str(python), "-P", "-c", WARM_TEMPLATES], env=first_run, check=True)
    return folder


def find_tools(peers_venv: Path | None, reportgen: str | None) -> Tools:
    """reportgen beside this interpreter (or on PATH); the peers in their venv or on PATH."""
    here = Path(sys.executable).parent
    found = reportgen or _executable(here, "reportgen")
    if found is None:
        raise SystemExit("reportgen not found: install the project, or pass --reportgen PATH")
    # Absolute: diff-cover runs in a folder of its own, where a relative path would not lead.
    folder = peers_venv.absolute() / "bin" if peers_venv else None
    return Tools(
        python=sys.executable,
        reportgen=found,
        pycobertura=_executable(folder, "pycobertura"),
        diff_cover=_executable(folder, "diff-cover"),
        gnu_time=find_gnu_time(),
    )


def _executable(folder: Path | None, name: str) -> str | None:
    if folder is not None and (folder / name).exists():
        return str(folder / name)
    found = shutil.which(name)
    return str(Path(found).absolute()) if found else None


def coverage_case(tools: Tools, work: Path, files: int, seed: int, target: Target) -> Case:
    """reportgen step vs pycobertura diff vs diff-cover on one generated code base."""
    inputs = _coverage_inputs(work / f"files-{files}", files, seed)
    out = work / "out"
    title = f"{files:,} files, {_count(inputs.statements[1])} statements"
    title += f" ({_mb(inputs.after_json):.0f} MB JSON / {_mb(inputs.after_xml):.0f} MB Cobertura)"
    report = out / f"reportgen-{files}.md"
    commands = [
        Command(
            "reportgen step",
            (tools.reportgen, "step", "--before", str(inputs.before_json), "--after",
             str(inputs.after_json), "--format", "md", "--out", str(report)),
            ok=frozenset({0, 1}),
            output=report,
        ),
    ]  # fmt: skip
    if tools.pycobertura:
        commands.append(_pycobertura(tools.pycobertura, inputs, out / f"pycobertura-{files}.md"))
    if tools.diff_cover:
        commands.append(_diff_cover(tools.diff_cover, inputs, work, out / f"diffcover-{files}.md"))
    return Case(title, tuple(commands), target)


def cobertura_case(tools: Tools, work: Path, files: int, seed: int) -> Case:
    """reportgen step on the Cobertura pair against the same step on the same data as JSON."""
    inputs = _coverage_inputs(work / f"files-{files}", files, seed)
    out = work / "out"
    title = f"{files:,} files as Cobertura ({_mb(inputs.after_xml):.0f} MB) vs JSON"
    commands = []
    for label, before, after in (
        ("reportgen step (Cobertura)", inputs.before_xml, inputs.after_xml),
        ("reportgen step (JSON)", inputs.before_json, inputs.after_json),
    ):
        report = out / f"{label.split('(')[1].rstrip(')').lower()}-{files}.md"
        argv = (tools.reportgen, "step", "--before", str(before), "--after", str(after),
                "--format", "md", "--out", str(report))  # fmt: skip
        commands.append(Command(label, argv, ok=frozenset({0, 1}), output=report))
    return Case(title, tuple(commands), Target("reportgen step (JSON)", slower=2))


def patch_case(tools: Tools, work: Path, files: int, seed: int) -> Case:
    """Changed-lines coverage: reportgen step --diff against the same step without the diff,
    and against diff-cover on the Cobertura twin of the data and the same diff. A last row
    gives reportgen what diff-cover gets (the after run and the diff, no before run)."""
    inputs = _coverage_inputs(work / f"files-{files}", files, seed)
    out = work / "out"
    title = f"{files:,} files, diff of {inputs.diff_files:,} files ({_mb(inputs.diff):.1f} MB)"
    with_diff, without = out / f"reportgen-patch-{files}.md", out / f"reportgen-nodiff-{files}.md"
    step = (tools.reportgen, "step", "--before", str(inputs.before_json), "--after",
            str(inputs.after_json), "--format", "md")  # fmt: skip
    commands = [
        Command(
            "reportgen step --diff",
            (*step, "--diff", str(inputs.diff), "--out", str(with_diff)),
            ok=frozenset({0, 1}),
            output=with_diff,
        ),  # fmt: skip
        Command(
            "reportgen step", (*step, "--out", str(without)), ok=frozenset({0, 1}), output=without
        ),  # fmt: skip
    ]
    if tools.diff_cover:
        commands.append(_diff_cover(tools.diff_cover, inputs, work, out / f"diffcover-{files}.md"))
    after_only = out / f"reportgen-patch-after-{files}.md"
    commands.append(
        Command(
            "reportgen step --after --diff",
            (
                tools.reportgen,
                "step",
                "--after",
                str(inputs.after_json),
                "--diff",
                str(inputs.diff),
                "--format",
                "md",
                "--out",
                str(after_only),
            ),
            ok=frozenset({0, 1}),
            output=after_only,
        )  # fmt: skip
    )
    return Case(
        title,
        tuple(commands),
        Target("reportgen step", slower=1.3),
        (Target("diff-cover", faster=10),),
    )


def _pycobertura(executable: str, inputs: generate.CoverageInputs, out: Path) -> Command:
    # --no-source: the sources are not at hand (the same data reportgen gets). Exit 2 and 3
    # mean "coverage worsened" and "not all changes covered": the report was still written.
    argv = (executable, "diff", str(inputs.before_xml), str(inputs.after_xml), "--format",
            "markdown", "--no-source", "--output", str(out))  # fmt: skip
    return Command("pycobertura diff", argv, ok=frozenset({0, 2, 3}), output=out)


def _diff_cover(executable: str, inputs: generate.CoverageInputs, work: Path, out: Path) -> Command:
    # diff-cover reads the changed lines from `--diff-file` (instead of running `git diff`),
    # but still asks git for the work tree's root: an empty repository is all it needs.
    repo = work / "repo"
    if not (repo / ".git").exists():
        repo.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    argv = (executable, str(inputs.after_xml), "--diff-file", str(inputs.diff), "--format",
            f"markdown:{out}", "-q")  # fmt: skip
    return Command("diff-cover", argv, cwd=repo, output=out)


def junit_case(tools: Tools, work: Path, cases: int, seed: int) -> Case:
    """reportgen step on one big JUnit file vs a bare expat pass over it."""
    folder = work / f"cases-{cases}"
    junit = _junit_inputs(folder, cases, seed)
    title = f"{cases:,} JUnit cases ({_mb(junit.after):.0f} MB)"
    out = work / "out" / f"reportgen-junit-{cases}.md"
    return Case(
        title,
        (
            Command(
                "reportgen step --junit",
                (tools.reportgen, "step", "--junit", str(junit.after), "--format", "md",
                 "--out", str(out)),
                ok=frozenset({0, 1}),
                output=out,
            ),
            Command("expat, no-op handlers", (tools.python, "-c", EXPAT_PASS, str(junit.after))),
        ),
        Target("expat, no-op handlers", slower=2.0, peak_mb=100),
    )  # fmt: skip


def help_case(tools: Tools) -> Case:
    """Startup: reportgen --help vs importing click alone."""
    return Case(
        "startup",
        (
            Command("reportgen --help", (tools.reportgen, "--help")),
            Command("python -c 'import click'", (tools.python, "-c", "import click")),
        ),
        Target("python -c 'import click'", slower=1.5),
    )


def _coverage_inputs(folder: Path, files: int, seed: int) -> generate.CoverageInputs:
    """Generate, or reuse what an earlier run with the same arguments left in `folder`."""
    stamp = folder / "inputs.json"
    wanted = {"files": files, "seed": seed}
    if not (stamp.exists() and json.loads(stamp.read_text())["args"] == wanted):
        folder.mkdir(parents=True, exist_ok=True)
        made = generate.write_coverage(folder, files, seed)
        figures = {"files": made.files, "statements": made.statements, "diff": made.diff_files}
        stamp.write_text(json.dumps({"args": wanted, **figures}))
    figures = json.loads(stamp.read_text())
    return generate.CoverageInputs(
        before_json=folder / "before.json",
        after_json=folder / "after.json",
        before_xml=folder / "before.xml",
        after_xml=folder / "after.xml",
        diff=folder / "source.diff",
        files=(figures["files"][0], figures["files"][1]),
        statements=(figures["statements"][0], figures["statements"][1]),
        diff_files=figures["diff"],
    )


def _junit_inputs(folder: Path, cases: int, seed: int) -> generate.JunitInputs:
    stamp = folder / "inputs.json"
    wanted = {"cases": cases, "seed": seed}
    if not (stamp.exists() and json.loads(stamp.read_text())["args"] == wanted):
        folder.mkdir(parents=True, exist_ok=True)
        made = generate.write_junit(folder, cases, seed)
        stamp.write_text(json.dumps({"args": wanted, "cases": made.cases}))
    before, after = json.loads(stamp.read_text())["cases"]
    return generate.JunitInputs(
        folder / "junit-before.xml", folder / "junit-after.xml", (before, after)
    )


def _count(number: int) -> str:
    """530k, 5.3M: the way the issue's table writes sizes."""
    return f"{number / 1e6:.1f}M" if number >= 1e6 else f"{number / 1e3:.0f}k"


def _mb(path: Path) -> float:
    return path.stat().st_size / 1e6


def run_case(
    case: Case, runs: int, gnu_time: str | None, log: Callable[[str], None]
) -> tuple[Result, ...]:
    """Time every command of `case` in turns, logging the figures."""
    log(f"  {', '.join(c.tool for c in case.commands)}: {runs} run(s) each, in turns ...")
    results = time_commands(case.commands, runs, gnu_time)
    for result in results:
        log(f"    {result.tool}: {_figures(result)}")
    return tuple(results)


def _figures(result: Result) -> str:
    if result.error:
        return f"failed ({result.error})"
    return f"median {result.median:.2f} s, peak {result.peak_mb:.0f} MB"


def markdown_table(measured: list[tuple[Case, tuple[Result, ...]]]) -> str:
    """The results as a Markdown table: input, tool, median s, peak MB, ratio to reportgen."""
    rows = ["| input | tool | median s | peak MB | ratio |", "|---|---|---:|---:|---:|"]
    for case, results in measured:
        base = results[0]
        for index, result in enumerate(results):
            title = case.title if index == 0 else ""
            if result.error:
                rows.append(f"| {title} | {result.tool} | failed | | {result.error} |")
                continue
            ratio = "" if base.error else f"{result.median / base.median:.2f}×"
            rows.append(
                f"| {title} | {result.tool} | {result.median:.2f} | {result.peak_mb:.0f} | {ratio} |"
            )
    return "\n".join(rows)


def verdicts(measured: list[tuple[Case, tuple[Result, ...]]]) -> list[str]:
    """One line per case: the achieved figures against the case's targets."""
    lines = []
    for case, results in measured:
        ours = results[0]
        for target in (case.target, *case.more_targets):
            theirs = next((r for r in results if r.tool == target.against), None)
            if ours.error or theirs is None or theirs.error:
                lines.append(f"- {case.title}: not measured against {target.against}")
                continue
            lines.append(f"- {case.title}: " + "; ".join(_checks(target, ours, theirs)))
    return lines


def _checks(target: Target, ours: Result, theirs: Result) -> list[str]:
    speed = theirs.median / ours.median
    share = ours.peak_mb / theirs.peak_mb
    checks = []
    if target.faster is not None:
        checks.append(_verdict(f"{speed:.1f}× faster than {target.against}",
                               f"≥{target.faster:g}×", speed >= target.faster))  # fmt: skip
    if target.slower is not None:
        checks.append(_verdict(f"{1 / speed:.2f}× the time of {target.against}",
                               f"≤{target.slower:g}×", 1 / speed <= target.slower))  # fmt: skip
    if target.memory_share is not None:
        checks.append(_verdict(f"1/{1 / share:.1f} of its memory",
                               f"≤1/{1 / target.memory_share:g}", share <= target.memory_share))  # fmt: skip
    if target.peak_mb is not None:
        checks.append(_verdict(f"peak {ours.peak_mb:.0f} MB", f"<{target.peak_mb:g} MB",
                               ours.peak_mb < target.peak_mb))  # fmt: skip
    return checks


def _verdict(achieved: str, wanted: str, holds: bool) -> str:
    return f"{achieved} (target {wanted}: {'met' if holds else 'MISSED'})"


def machine() -> str:
    """Cores, memory, CPU, OS and Python: what the figures were measured on."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    return (
        f"{os.cpu_count()} cores ({_cpu_model()}), {memory:.0f} GiB memory, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def versions(tools: Tools) -> str:
    """The measured tools' versions, asked of the Python that each was installed with."""
    found = [f"reportgen {_version(tools.reportgen, 'reportgen')}"]
    for name, path in (("pycobertura", tools.pycobertura), ("diff-cover", tools.diff_cover)):
        if path:
            found.append(f"{name} {_version(path, name)}")
    return ", ".join(found)


def _version(executable: str, distribution: str) -> str:
    python = Path(executable).parent / "python"
    if not python.exists():
        return "(version unknown)"
    query = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    done = subprocess.run([str(python), "-c", query], capture_output=True, text=True)
    return done.stdout.strip() or "(version unknown)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmark.run")
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument("--files", type=int, default=5000, help="files of the coverage case")
    parser.add_argument("--cases", type=int, default=500_000, help="cases of the JUnit case")
    parser.add_argument("--large", action="store_true", help=f"add {LARGE_FILES:,} files")
    parser.add_argument("--only", default="", help=f"comma-separated: {','.join(CASE_NAMES)}")
    parser.add_argument("--peers-venv", type=Path, help="virtualenv with pycobertura, diff-cover")
    parser.add_argument("--reportgen", help="the reportgen executable to time")
    parser.add_argument("--workdir", type=Path, help="where to generate (reused if present)")
    parser.add_argument("--keep", action="store_true", help="keep the generated inputs")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def _selected(args: argparse.Namespace) -> list[str]:
    if args.only:
        chosen = [name.strip() for name in args.only.split(",")]
        unknown = set(chosen) - set(CASE_NAMES)
        if unknown:
            raise SystemExit(f"--only: unknown case {sorted(unknown)[0]!r}")
        return chosen
    return [name for name in CASE_NAMES if name != "large" or args.large]


def build_case(name: str, tools: Tools, work: Path, args: argparse.Namespace) -> Case:
    """The named case with its target, its inputs generated (or reused) under `work`."""
    if name == "files":
        target = Target("pycobertura diff", faster=15, memory_share=0.1)
        return coverage_case(tools, work, args.files, args.seed, target)
    if name == "cobertura":
        return cobertura_case(tools, work, args.files, args.seed)
    if name == "patch":
        return patch_case(tools, work, args.files, args.seed)
    if name == "large":
        target = Target("pycobertura diff", faster=30, peak_mb=1024)
        return coverage_case(tools, work, LARGE_FILES, args.seed, target)
    if name == "junit":
        return junit_case(tools, work, args.cases, args.seed)
    return help_case(tools)


def main(argv: list[str] | None = None) -> int:
    """Generate the inputs, time every case, print the table and the targets."""
    args = parse_args(argv)
    tools = find_tools(args.peers_venv, args.reportgen)
    # A --workdir is the caller's to keep (and to reuse: inputs are generated once per size).
    work = args.workdir or Path(tempfile.mkdtemp(prefix="reportgen-bench-"))
    temporary = args.workdir is None and not args.keep
    (work / "out").mkdir(parents=True, exist_ok=True)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    compiled = byte_compile(tools.reportgen)
    log(f"byte-compiled {compiled}" if compiled else "reportgen's Python not found: not compiled")
    measured = []
    try:
        for name in _selected(args):
            log(f"{name}: preparing inputs in {work}")
            case = build_case(name, tools, work, args)
            measured.append((case, run_case(case, args.runs, tools.gnu_time, log)))
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    print(f"Machine: {machine()}")
    peak = "peak RSS (GNU time)" if tools.gnu_time else "peak RSS (wait4, runner's size included)"
    print(f"Tools: {versions(tools)}; {args.runs} run(s) each, median wall time, {peak}")
    print()
    print(markdown_table(measured))
    print()
    print("Ratio: the row's median time over reportgen's in the same case.")
    print()
    print("\n".join(verdicts(measured)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
