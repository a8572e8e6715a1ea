"""`--diff-base REF`: the change as `git diff REF...HEAD` says it, git run as a subprocess."""

from __future__ import annotations

import subprocess
import tempfile

from reportgen.analysis.patch import ChangeSet
from reportgen.errors import InputError, SpecError, quote


def git_command(base: str) -> list[str]:
    # Settings a user's configuration could change are fixed: quoting, prefixes, colour,
    # external diff tools, rename detection and context all change what the output says.
    return [
        "git",
        "-c",
        "core.quotePath=false",
        "diff",
        "--no-color",
        "--no-ext-diff",
        # A pull request's .gitattributes (`*.py -diff`, a textconv driver) must not turn its
        # changes into "Binary files differ" and so hide them from the patch figures.
        "--text",
        "--no-textconv",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "-M",
        # No context: every hunk's lines are then all added or all removed, which the
        # reader places from the hunk headers alone (one fast pass).
        "-U0",
        f"{base}...HEAD",
        "--",
    ]


def git_diff(base: str) -> ChangeSet:
    """`git diff --no-color BASE...HEAD` in the working directory, parsed as it streams."""
    from reportgen.inputs.unified_diff import parse_unified_diff

    if base.startswith("-"):  # never an option for git
        raise SpecError(f"--diff-base {quote(base)}: not a git revision")
    source = f"git diff {base}...HEAD"
    # stderr goes to a file: a pipe could fill while the diff is still being read.
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                git_command(base),
                stdout=subprocess.PIPE,
                stderr=errors,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise InputError(f"{source}: git is not installed (--diff-base needs it)") from None
        except OSError as err:
            raise InputError(f"{source}: cannot run git ({err.strerror or err})") from None
        assert process.stdout is not None
        try:
            with process.stdout:
                changes = parse_unified_diff(process.stdout, source)
        except InputError:
            process.kill()
            process.wait()
            errors.seek(0)
            message = _first_line(errors.read())
            if message:  # git's reason beats a parse error of its partial output
                raise InputError(f"{source}: {message}") from None
            raise
        status = process.wait()
        if status != 0:
            errors.seek(0)
            message = _first_line(errors.read()) or f"git exited with status {status}"
            raise InputError(f"{source}: {message}")
    return changes


def _first_line(data: bytes) -> str:
    for line in data.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""
