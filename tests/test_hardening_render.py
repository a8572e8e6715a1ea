"""Templates from a pull request cannot run for minutes, take gigabytes or crash reportgen.

Each hostile template must end with exit status 2 and one line naming the template, and
nothing written. The tests themselves stay small: cases that would allocate gigabytes without
the bounds run under an address-space limit and a wall-clock alarm, and the one case that
would compute in a single uninterruptible C call runs in a subprocess with a CPU limit.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.outputs import bounds
from reportgen.outputs.render import make_environment, render

ROOT = Path(__file__).resolve().parent.parent
AFTER = str(ROOT / "tests" / "data" / "coverage" / "7.17.4" / "branch.json")


def step(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [*args], env={"SOURCE_DATE_EPOCH": "", **(env or {})})


def run_template(tmp_path: Path, source: str):
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "step.md").write_text(source, encoding="utf-8")
    out = tmp_path / "out.md"
    return step("step", "--after", AFTER, "--templates", str(folder), "--out", str(out)), out


def assert_refused(result, out: Path, problem: str) -> None:
    """Exit 2, one line naming the template and the problem, no traceback, nothing written."""
    assert result.exit_code == 2, (result.exit_code, result.stderr[-2000:])
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("Error: "), lines[0]
    assert "step.md" in lines[0]
    assert problem in lines[0], lines[0]
    assert len(lines[0]) <= len("Error: ") + 300
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.fixture
def bounded_test() -> Iterator[None]:
    """Without the render bounds these cases would take gigabytes or minutes: the test
    process gets 1.5 GiB more address space and 60 s, so a regression fails instead."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = bounds._address_space()
    assert used is not None
    resource.setrlimit(resource.RLIMIT_AS, (used + (3 << 29), hard))

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("the template ran for a minute")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# Each makes a value of gigabytes (or minutes of work) if run.
TOO_LARGE = {
    "repeat-text": '{{ "x" * 10**10 }}',
    "repeat-list": "{{ ([1] * 10**9)|length }}",
    "repeat-list-left": "{{ (10**9 * [1])|length }}",
    "concat-list": '{% set x = "x" * 10**7 %}{{ (x + x + x + x)|length }}',
    "product": "{{ (10**300000 * 10**300000) % 7 }}",
    "center-filter": '{{ "x"|center(10**10) }}',
    "center-method": '{{ "x".center(10**10) }}',
    "rjust-method": '{{ "x".rjust(10**10) }}',
    "zfill-method": '{{ "1".zfill(10**10) }}',
    "indent": '{{ "a\\nb"|indent(10**10, true) }}',
    "indent-text": '{{ ("a\\n" * 100000)|indent("x" * 100000, true)|length }}',
    "wordwrap-break": '{{ ("a " * 100000)|wordwrap(1, wrapstring="x" * 100000)|length }}',
    "format-filter": '{{ "%099999999999d"|format(1) }}',
    "format-star": '{{ "%*d" % (10**10, 1) }}',
    "format-precision": '{{ "%.9999999999f" % 1.5 }}',
    "format-method": '{{ "{:>10000000000}".format(1) }}',
    "format-nested": '{{ "{:>{}}".format(1, 10**10) }}',
    "format-map": '{{ "{x:>10000000000}".format_map({"x": 1}) }}',
    "lipsum": "{{ lipsum(10**7) }}",
    "lipsum-words": "{{ lipsum(1, min=10**8, max=10**9) }}",
    "batch": "{{ range(10)|batch(10**10, 0)|list|length }}",
    "slice": "{{ range(10)|slice(10**9, 0)|list|length }}",
    "to-bytes": '{{ (1).to_bytes(10**10, "big")|length }}',
    "replace-filter": '{{ ("x" * 100000)|replace("", "y" * 100000)|length }}',
    "replace-method": '{{ ("x" * 100000).replace("x", "y" * 100000)|length }}',
    "expandtabs": '{{ ("\\t" * 100000).expandtabs(10**6)|length }}',
}


@pytest.mark.parametrize("case", sorted(TOO_LARGE))
def test_values_too_large_are_refused_before_they_are_made(
    case: str, tmp_path: Path, bounded_test: None
) -> None:
    """A repetition, power, padding, format width or filter count that would make a huge
    value is refused before it runs, with the template named."""
    result, out = run_template(tmp_path, TOO_LARGE[case])
    assert_refused(result, out, "too large to render: ")


def test_sum_of_lists_is_refused(tmp_path: Path) -> None:
    """`sum` adds in one C loop that no deadline interrupts: it adds numbers only."""
    result, out = run_template(tmp_path, "{{ [[1], [2]]|sum(start=[]) }}")
    assert_refused(result, out, "sum adds numbers only")
    result, out = run_template(tmp_path, "{{ [1, 2.5]|sum }}|{{ [[1], [2]]|sum(attribute=0) }}")
    assert result.exit_code == 0, result.stderr
    assert out.read_text() == "3.5|3"


def test_huge_power_is_refused_in_a_fresh_process(tmp_path: Path) -> None:
    """`10**(10**9)` would be minutes in one C call: refused at once (the subprocess has
    20 s of CPU, so without the bound the test fails instead of hanging)."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "step.md").write_text("{{ 10**(10**9) }}")
    out = tmp_path / "out.md"

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "step", "--after", AFTER]
        + ["--templates", str(folder), "--out", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=limits,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SOURCE_DATE_EPOCH": ""},
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip() == (
        "Error: template step.md: too large to render: a power with the exponent 1000000000"
    )
    assert not out.exists()


def test_everyday_operators_and_filters_still_work(tmp_path: Path) -> None:
    """The bounds refuse sizes, not operations: small ones give Jinja's usual results."""
    source = (
        '{{ "%5.1f"|format(3.14159) }}|{{ "ab" * 3 }}|{{ 2 * "c" }}|{{ "{:>4}".format("x") }}'
        '|{{ 2**10 }}|{{ 2**-1 }}|{{ (-1)**(10**12) }}|{{ [1, 2] + [3] }}|{{ "a" + "b" }}'
        '|{{ "x".center(5) }}|{{ "%s-%s" % ("a", "b") }}|{{ "%d%%" % 7 }}|{{ 7 % 3 }}'
        '|{{ range(3)|batch(2, 0)|list }}|{{ "a\\tb".expandtabs(4) }}|{{ "aXa"|replace("a", "bb") }}'
        '|{{ "a b"|wordwrap(1) }}|{{ "a\\nb"|indent(2) }}|{{ lipsum(1, false, 5, 10)|length > 0 }}'
        "|{{ dict(context=1, obj=2, self=3)|dictsort }}"
        '|{{ "%%99999999d" % () }}|{{ "%000000000005d" % 1 }}|{{ "{a:>3}".format_map({"a": 1}) }}'
    )
    result, out = run_template(tmp_path, source)
    assert result.exit_code == 0, result.stderr
    assert out.read_text() == (
        "  3.1|ababab|cc|   x|1024|0.5|1|[1, 2, 3]|ab|  x  |a-b|7%|1|[[0, 1], [2, 0]]"
        "|a   b|bbXbb|a\nb|a\n  b|True|[('context', 1), ('obj', 2), ('self', 3)]"
        "|%99999999d|00001|  1"
    )


def test_nested_loops_stop_at_the_cpu_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loops over ranges call nothing the sandbox sees; the CPU deadline still stops them,
    and the signal handler and timer are restored afterwards."""
    monkeypatch.setattr(bounds, "RENDER_CPU_SECONDS", 0.5)
    handler = signal.getsignal(signal.SIGPROF)
    source = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    result, out = run_template(tmp_path, source)
    assert_refused(result, out, "took more than 0.5 s of CPU time")
    assert signal.getsignal(signal.SIGPROF) == handler
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_output_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Output is counted as it is produced and refused past the cap."""
    monkeypatch.setattr(bounds, "MAX_OUTPUT_CHARS", 10_000)
    result, out = run_template(tmp_path, "{% for a in range(100000) %}0123456789{% endfor %}")
    assert_refused(result, out, "too large to render: an output of more than 10000 characters")
    result, out = run_template(tmp_path, "{% for a in range(1000) %}0123456789{% endfor %}")
    assert result.exit_code == 0, result.stderr
    assert len(out.read_text()) == 10_000


def test_memory_of_a_render_is_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What no check foresees (`~` doubling a string) meets the address-space limit around
    the render: exit 2, and the process's own limit is restored."""
    monkeypatch.setattr(bounds, "RENDER_MEMORY_BYTES", 256 << 20)
    before = resource.getrlimit(resource.RLIMIT_AS)
    source = '{% set x = "x" * 10**7 %}' + "{% set x = x ~ x %}" * 6 + "{{ x|length }}"
    result, out = run_template(tmp_path, source)
    assert_refused(result, out, "needs more than 256 MiB of memory")
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_render_outside_the_main_thread_has_no_deadline_but_works(tmp_path: Path) -> None:
    """Signals reach only the main thread: elsewhere a render runs without the deadline
    rather than failing."""
    (tmp_path / "t.md").write_text("{{ 6 * 7 }}")
    env = make_environment(tmp_path)
    results: list[str] = []
    thread = threading.Thread(target=lambda: results.append(render(env, "t.md", {})))
    thread.start()
    thread.join()
    assert results == ["42"]


# Item: crashes of templates are one-line errors too.


@pytest.mark.parametrize(
    "source",
    ['{{ "\\ud800" }}', '{{ "%c" % 55296 }}', '{{ "ok \\udfff" }}'],
    ids=["literal", "percent-c", "low"],
)
def test_lone_surrogate_output_is_an_error(source: str, tmp_path: Path) -> None:
    """Text no output can encode is the template's error, not a crash when writing."""
    result, out = run_template(tmp_path, source)
    assert_refused(result, out, "its output is not UTF-8 text (U+D")


def test_include_of_a_name_too_long_is_not_found(tmp_path: Path) -> None:
    """A name longer than the system allows is not found, and shown cut short."""
    result, out = run_template(tmp_path, '{% include "a" * 5000 %}')
    assert_refused(result, out, "not found (only template folders are searched)")
    result, out = run_template(tmp_path, '{% include "a\\x00b" %}')
    assert_refused(result, out, "not found (only template folders are searched)")


def test_infinite_number_literal_is_a_syntax_error(tmp_path: Path) -> None:
    """`1e400` is read as infinity, which Jinja would compile to an undefined name."""
    result, out = run_template(tmp_path, "line\n{% set x = 1e400 %}{{ x }}")
    assert_refused(result, out, "step.md:2: template syntax error: a number too large for a float")


def test_filter_misuse_is_a_template_error(tmp_path: Path) -> None:
    """Jinja's filters assert their arguments and assume their value's type: `truncate(1)`
    and `[1]|xmlattr` are the template's errors, not crashes."""
    result, out = run_template(tmp_path, '{{ "abcdef"|truncate(1) }}')
    assert_refused(result, out, "template step.md: AssertionError: expected length >= 3, got 1")
    result, out = run_template(tmp_path, "{{ [1]|xmlattr }}")
    assert_refused(result, out, "template step.md: AttributeError: 'list' object has no attribute")
    result, out = run_template(tmp_path, "{{ cycler() }}")
    assert_refused(result, out, "template step.md: RuntimeError: at least one item has to be")


def test_spec_nested_too_deeply_names_the_spec(tmp_path: Path) -> None:
    """A spec nesting arrays or tables 100,000 deep is a spec error, not a RecursionError."""
    for name, text in {
        "arrays.toml": "a = " + "[" * 100_000 + "]" * 100_000,
        "tables.toml": "x = " + "{a=" * 100_000 + "}" * 100_000,
    }.items():
        spec = tmp_path / name
        spec.write_text(text)
        out = tmp_path / "out.md"
        result = step("step", "--spec", str(spec), "--after", AFTER, "--out", str(out))
        assert result.exit_code == 2, result.stderr[-2000:]
        assert result.stderr == f"Error: {spec}: arrays or tables nested too deeply\n"
        assert not out.exists()


# Item: any unexpected exception is one line and its own exit status.


def broken_templates_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug injected into a command: an exception reportgen does not expect."""

    def fail(*args: object) -> list[str]:
        raise RuntimeError("unexpected state\nsecond line")

    monkeypatch.setattr("reportgen.commands.templates.run_templates", fail)


def test_unexpected_exception_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    broken_templates_command(monkeypatch)
    result = step("templates")
    assert result.exit_code == 3
    assert result.stderr == (
        "reportgen: internal error: RuntimeError: unexpected state second line"
        " (please report this; --debug shows the traceback)\n"
    )


@pytest.mark.parametrize("how", ["option", "environment"])
def test_debug_shows_the_traceback(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    broken_templates_command(monkeypatch)
    if how == "option":
        result = step("--debug", "templates")
    else:
        result = step("templates", env={"REPORTGEN_DEBUG": "1"})
    assert result.exit_code == 3
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert "RuntimeError: unexpected state\nsecond line\n" in result.stderr
    assert result.stderr.endswith(
        "reportgen: internal error: RuntimeError: unexpected state second line"
        " (please report this; --debug shows the traceback)\n"
    )


def test_input_errors_keep_exit_2_without_traceback_under_debug(tmp_path: Path) -> None:
    """--debug changes nothing for bad input: it is not a bug."""
    missing = tmp_path / "missing.json"
    result = step("--debug", "step", "--after", str(missing))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and str(missing) in result.stderr
    assert "Traceback" not in result.stderr


def test_error_quoting_a_long_value_stays_one_short_line(tmp_path: Path) -> None:
    """A message quoting the template's value (here a 100,000-character key) is cut."""
    result, out = run_template(tmp_path, '{{ report["x" * 100000] }}')
    assert_refused(result, out, "template step.md: 'dict object' has no attribute 'xxx")
    assert result.stderr.endswith("xxx...\n")


@pytest.mark.parametrize(("block", "depth"), [("for a in [1]", 120), ("if 1", 210)])
def test_blocks_nested_past_pythons_limit_are_a_template_error(
    block: str, depth: int, tmp_path: Path
) -> None:
    """Jinja compiles nested blocks to nested Python, which Python refuses past its limit."""
    end = "{% end" + block.split()[0] + " %}"
    result, out = run_template(tmp_path, ("{% " + block + " %}") * depth + end * depth)
    assert_refused(result, out, "step.md: blocks nested too deeply to compile (too many")


def test_cached_code_is_keyed_on_the_intercepted_operators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Intercepted operators compile to calls of the checks: built-in templates compiled
    with other operators intercepted are never run from the cache."""
    from reportgen.outputs.render import ReportSandbox, code_shape

    shape = code_shape(make_environment(None, tmp_path))
    monkeypatch.setattr(ReportSandbox, "intercepted_binops", frozenset({"*"}))
    assert code_shape(make_environment(None, tmp_path)) != shape
