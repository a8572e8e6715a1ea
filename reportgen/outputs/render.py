"""Templates: one sandboxed Jinja environment, user overrides block by block.

`reports/templates/` may come from a pull request, so templates run in Jinja's
immutable sandbox and can load nothing outside the template folders.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from reportgen.errors import TemplateError
from reportgen.outputs import bounds, escape


def builtin_template_dir() -> Path:
    """The built-in templates: inside the wheel, or `templates/` of a checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent / "templates"


# A template larger than this is not a report template (and is not read whole).
MAX_TEMPLATE_BYTES = 1 << 20


class ConfinedLoader(jinja2.BaseLoader):
    """Templates from one folder, and nothing a link or `..` leads out of it to.

    `reports/templates/` can come from a pull request: a symlink to
    /proc/self/environ must not put the CI token into a comment.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(os.path.realpath(folder))

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple:
        pieces = jinja2.loaders.split_template_path(template)
        try:
            path = Path(os.path.realpath(self.folder.joinpath(*pieces)))
            if not path.is_relative_to(self.folder) or not path.is_file():
                raise jinja2.TemplateNotFound(template)
            with open(path, "rb") as handle:
                data = handle.read(MAX_TEMPLATE_BYTES + 1)
        except (OSError, ValueError):  # a name too long for the system, or with a NUL
            raise jinja2.TemplateNotFound(template) from None
        if len(data) > MAX_TEMPLATE_BYTES:
            raise jinja2.TemplateNotFound(template)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise TemplateError(f"{path}: template is not UTF-8 text") from None
        mtime = path.stat().st_mtime
        return source, str(path), lambda: path.stat().st_mtime == mtime

    def list_templates(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir() if p.is_file())


class BuiltinTemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache for the built-in templates, kept beside reportgen's own bytecode.

    Compiling step.md takes longer than rendering it. Cached code is loaded and run, so it
    lives only where reportgen's own code does (its `__pycache__`): whoever could plant an
    entry there could change reportgen itself, and nothing a repository, a pull request or the
    environment says can point it elsewhere. Templates of `--templates` are compiled on every
    run and never written. Like Python's bytecode, entries are written unless
    PYTHONDONTWRITEBYTECODE is set, and skipped when the folder is read-only.
    """

    def __init__(self, directory: Path, builtin: Path) -> None:
        super().__init__(str(directory), "template-%s.jinja")
        self.builtin = builtin
        self.shape = ""  # what shapes the compiled code: set by `make_environment`

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        if filename is None or not Path(filename).is_relative_to(self.builtin):
            return ""  # a bucket that is never read nor written
        # Jinja checks the template's source and the Python version; the key adds what else
        # shapes the compiled code.
        return super().get_cache_key(f"{name}|{self.shape}", filename)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not bucket.key:
            return
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged entry (Jinja checks only part of it) is only a miss
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not bucket.key or sys.dont_write_bytecode:
            return
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass  # the cache only saves time


def template_cache_dir() -> Path:
    """Where compiled built-in templates are kept: reportgen's own `__pycache__`."""
    return Path(__file__).resolve().parent.parent / "__pycache__"  # the package's top folder


_AUTOESCAPED = ("html", "svg", "xml")
_WHITESPACE = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}


def code_shape(env: jinja2.Environment) -> str:
    """Everything besides a template's source that shapes the code Jinja compiles it to.

    Part of the cache key, so an upgrade of reportgen, Jinja or Python, or a changed setting
    or filter, never runs code compiled under the old ones (Jinja itself checks only the
    source and the Python version). A filter's or test's arguments are fixed at compile
    time, by what it asks to be passed (context, environment).
    """
    from importlib.util import MAGIC_NUMBER

    from reportgen import __version__

    def kinds(functions: Mapping[str, Callable[..., Any]]) -> list[tuple[str, str]]:
        return sorted(
            (name, str(getattr(f, "jinja_pass_arg", None))) for name, f in functions.items()
        )

    return (
        f"reportgen {__version__} jinja2 {jinja2.__version__} {type(env).__name__}"
        f" {sys.implementation.cache_tag} {MAGIC_NUMBER.hex()} {_AUTOESCAPED}"
        f" {sorted(_WHITESPACE.items())} {kinds(env.filters)} {kinds(env.tests)}"
        # Intercepted operators compile to calls of the sandbox's checks.
        f" {sorted(getattr(env, 'intercepted_binops', ()))}"
    )


class ReportSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with operators and calls that would make a value too large
    to hold refused before they run (see `bounds`)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters.update(bounds.bounded_filters(self.filters))
        self.globals["lipsum"] = bounds.bounded_lipsum(self.globals["lipsum"])

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        bounds.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        bounds.check_deadline()
        bounds.check_call(obj, args, kwargs)
        return bounds.check_result(super().call(context, obj, *args, **kwargs))

    def _parse(self, source: str, name: str | None, filename: str | None) -> jinja2.nodes.Template:
        tree = super()._parse(source, name, filename)
        # Jinja reads `1e400` as infinity and compiles it to the undefined Python name `inf`.
        for node in tree.find_all(jinja2.nodes.Const):
            if not bounds.is_finite(node.value):
                raise jinja2.TemplateSyntaxError(
                    "a number too large for a float", node.lineno, name, filename
                )
        return tree

    def _compile(self, source: str, filename: str) -> Any:
        try:
            return super()._compile(source, filename)
        except SyntaxError as err:
            # Python refuses code nested past its limit (100 nested loops, 200 ifs).
            raise jinja2.TemplateError(
                f"{Path(filename).name}: blocks nested too deeply to compile ({err.msg})"
            ) from None


def make_environment(
    user_dir: Path | None = None, cache_dir: Path | None = None
) -> ImmutableSandboxedEnvironment:
    """The sandboxed environment; `cache_dir` keeps the built-in templates compiled."""
    folder = builtin_template_dir()
    builtin = jinja2.FileSystemLoader(str(folder), encoding="utf-8")
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(ConfinedLoader(user_dir))
    loaders += [jinja2.PrefixLoader({"builtin": builtin}), builtin]
    env = ReportSandbox(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(_AUTOESCAPED, default=False),
        undefined=jinja2.StrictUndefined,
        **_WHITESPACE,
        bytecode_cache=BuiltinTemplateCache(cache_dir, folder) if cache_dir else None,
    )
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
    # `|tojson` writes the context's read-only rows (built when read) as the lists and
    # objects they stand for.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _plain}
    env.filters["pprint"] = _pprint
    if isinstance(env.bytecode_cache, BuiltinTemplateCache):
        env.bytecode_cache.shape = code_shape(env)
    return env


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _pprint(value: object) -> str:
    """Jinja's `pprint`, laying out the context's rows as the dicts and lists they stand for."""
    import pprint

    def plain(item: object) -> object:
        if isinstance(item, Mapping):
            return {key: plain(inner) for key, inner in item.items()}
        if isinstance(item, tuple):
            return tuple(plain(inner) for inner in item)
        if isinstance(item, Sequence) and not isinstance(item, str | bytes | range):
            return [plain(inner) for inner in item]
        return item

    return pprint.pformat(plain(value))


def _lazy(module: str, name: str) -> Callable[..., Any]:
    """A function of an HTML-only module, imported on first call: Markdown runs skip it."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = name
    return call


FILTERS: dict[str, Callable[..., Any]] = {
    "md": escape.md_text,
    "code": escape.md_code,
    "code_text": escape.md_code_text,
    "prose": escape.md_prose,
    "prose_line": escape.md_prose_line,
    "one_line": escape.clean_text,
    "html_text": escape.html_text,
    "html_missing": escape.html_missing,
    "html_breakable": escape.html_breakable,
    "html_prose": _lazy("reportgen.outputs.prose", "prose_to_html"),
    "html_prose_line": _lazy("reportgen.outputs.prose", "prose_inline_to_html"),
    "text_block": _lazy("reportgen.outputs.prose", "clean_block"),
}

# Pure functions templates call to lay out their pictures (outputs/charts.py, badge.py).
GLOBALS: dict[str, Callable[..., Any]] = {
    **{
        name: _lazy("reportgen.outputs.charts", name)
        for name in ("target_chart", "moves_chart", "trend_chart")
    },
    "badge": _lazy("reportgen.outputs.badge", "badge"),
}


def render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render template `name` within the bounds of `bounds`; every template failure becomes
    one TemplateError line."""
    try:
        return _render(env, name, context)
    except TemplateError as err:
        # Messages quote values from the template, which can be long or span lines.
        text = " ".join(str(err).split())
        raise TemplateError(text if len(text) <= 300 else text[:297] + "...") from None


def _render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        # The deadline inside: its signal cannot interrupt restoring the memory limit.
        with bounds.memory_limit(bounds.RENDER_MEMORY_BYTES):
            with bounds.deadline(bounds.RENDER_CPU_SECONDS):
                text = bounds.bounded_output(env.get_template(name).generate(context))
    except jinja2.TemplateSyntaxError as err:
        where = err.filename or err.name or name
        raise TemplateError(f"{where}:{err.lineno}: template syntax error: {err.message}") from None
    except jinja2.TemplateNotFound as err:
        raise TemplateError(
            f"template {name}: {_shown(err.name)} not found (only template folders are searched)"
        ) from None
    except SecurityError as err:
        raise TemplateError(f"template {name}: blocked by the sandbox: {err}") from None
    except jinja2.UndefinedError as err:
        raise TemplateError(f"template {name}: {err.message}") from None
    except (bounds.LimitError, bounds.RenderTimeout, MemoryError) as err:
        raise TemplateError(f"template {name}: {bounds.describe_bound(err)}") from None
    except jinja2.TemplateError as err:
        raise TemplateError(f"template {name}: {err}") from None
    except (
        ArithmeticError,
        AssertionError,  # Jinja's filters assert their arguments (`truncate(1)`)
        AttributeError,  # a filter given a value of the wrong type (`[1]|xmlattr`)
        LookupError,
        TypeError,
        ValueError,
        RuntimeError,  # RecursionError, and Jinja's own (`cycler()`)
    ) as err:
        # User templates are untrusted code: their runtime errors are input errors.
        raise TemplateError(f"template {name}: {type(err).__name__}: {err}") from None
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:  # "\ud800" or "%c" % 0xD800 make lone surrogates
            raise TemplateError(
                f"template {name}: its output is not UTF-8 text"
                f" (U+{ord(err.object[err.start]):04X} at character {err.start})"
            ) from None
    return text


def _shown(text: object, limit: int = 100) -> str:
    """A name from a template, quoted and cut short enough for one line."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def template_blocks(env: jinja2.Environment, name: str) -> list[str]:
    """The block names of a built-in template, in source order (for `reportgen templates`)."""
    source, _, _ = env.loader.get_source(env, name)
    return list(dict.fromkeys(node.name for node in env.parse(source).find_all(jinja2.nodes.Block)))
