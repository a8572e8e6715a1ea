"""`reportgen templates`: the built-in templates, their blocks, and copies to customise."""

from __future__ import annotations

from pathlib import Path

from reportgen.errors import OutputError
from reportgen.outputs.atomic_write import PlannedFile, write_all


def run_templates(export: Path | None, force: bool = False) -> list[str]:
    """The built-in templates and their blocks; with `export`, copies of them."""
    from reportgen.outputs.render import builtin_template_dir, make_environment, template_blocks

    env = make_environment()
    folder = builtin_template_dir()
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    lines = []
    for name in names:
        blocks = template_blocks(env, name)
        lines.append(f"{name}: {', '.join(blocks) if blocks else '(no blocks)'}")
    if export is not None:
        if export.exists() and not export.is_dir():
            raise OutputError(
                f"{export}: not a folder; --export copies the templates into a folder"
            )
        created = not export.exists()
        planned = [PlannedFile(export / n, (folder / n).read_bytes()) for n in names]
        write_all(planned, force=force)
        if created:
            lines.append(f"created folder {export}")
        lines.append(f"copied {len(names)} templates to {export}")
    return lines
