"""The shell of a step of `action.yml`, to run as the runner would (no YAML parser among the
test dependencies)."""

from __future__ import annotations

from pathlib import Path

ACTION = Path(__file__).parent.parent / "action.yml"


def script(step_name: str) -> str:
    """The `run: |` block of the step named `step_name`, unindented."""
    text = ACTION.read_text()
    step = text[text.index(f"- name: {step_name}") :]
    block = step[step.index("run: |\n") + len("run: |\n") :]
    lines = block.splitlines()
    indent = len(lines[0]) - len(lines[0].lstrip())
    body = []
    for line in lines:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        body.append(line[indent:])
    return "\n".join(body) + "\n"
