"""Read Cobertura XML coverage reports (coverage.py's `coverage xml`, gcovr, cargo-llvm-cov, nyc).

The file is streamed through defusedxml's expat parser (no DTD, no entity is ever expanded) with
element callbacks set on expat directly, as the JUnit readers do: memory holds the model (one
entry per measured line), never the document.

coverage.py's own Cobertura lists every statement with its hits, each branch line's
`condition-coverage` ("50% (1/2)") and the destinations of its missed arcs (`missing-branches`,
"exit" for a jump out of the code object): from these, every figure and the Missing column equal
the JSON report's. Other producers give line and branch counts as the file states them; their
files keep no per-arc list.
"""

from __future__ import annotations

import os
import posixpath
import re
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ErrorString

import msgspec
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from reportgen.analysis.models import CoverageSnapshot, FileCoverage
from reportgen.analysis.numbers import Numbers
from reportgen.errors import InputError, quote
from reportgen.inputs.coverage_json import MAX_DIGITS, _CountedLines, _JsonLines
from reportgen.inputs.xml_reader import Attrs, feed_all, one_line

_CONDITION = re.compile(r"\s*\d+(?:\.\d*)?\s*%\s*\(\s*(\d+)\s*/\s*(\d+)\s*\)\s*")
_HITS = re.compile(r"\d{1,30}(?:\.\d*)?", re.ASCII)
_HITS_LIST = re.compile(r"(?:\d{1,30}(?:\.\d*)?,)*\d{1,30}(?:\.\d*)?", re.ASCII)
_NUMBER_LIST = re.compile(rf"(?:\d{{1,{MAX_DIGITS}}},)*\d{{1,{MAX_DIGITS}}}", re.ASCII)
_ENCODE = msgspec.json.encode
_DRIVE = re.compile(r"[A-Za-z]:/")
_PACK = msgspec.msgpack.encode
_PACKED_DECODER = msgspec.msgpack.Decoder(dict[int, bool])


class _File:
    """One measured file's lines as the XML states them, merged across its classes."""

    __slots__ = ("arcs_listed", "branches", "done", "hit_texts", "missing_to", "numbers")

    def __init__(self) -> None:
        # The attributes' text, checked and converted in bulk once the file is read: per
        # element, only two appends run (a 5,000-file report has half a million lines).
        self.numbers: list[str] = []
        self.hit_texts: list[str] = []
        # The lines of the classes read so far, packed (line -> ran) once each class ends: the
        # texts above never pile up over a whole report.
        self.done = b""
        self.branches: dict[int, tuple[int, int]] = {}  # line -> (exits, taken)
        self.missing_to: dict[int, list[int]] = {}  # line -> destinations of missed arcs
        self.arcs_listed = True  # every line with a missed branch named its destinations


class _Reader:
    def __init__(self, source: str, expat: Any) -> None:
        self.source = source
        self.expat = expat
        self.root_seen = False
        self.sources: list[str] = []
        self.in_sources = False
        self.source_text: list[str] | None = None
        self.files: dict[str, _File] = {}
        self.current: _File | None = None
        # The current class's lists; None outside a class and inside a `<method>`, which
        # repeats its class's lines.
        self.numbers: list[str] | None = None
        self.hit_texts: list[str] = []
        self.last = ""  # the latest element started, other than `<line>`
        self.filename = ""

    def start(self, name: str, attrs: list[str]) -> None:
        if name == "line":
            numbers = self.numbers
            if numbers is not None:
                # coverage.py's plain line: number and hits, in that order.
                size = len(attrs)
                if size == 4 and attrs[0] == "number" and attrs[2] == "hits":
                    numbers.append(attrs[1])
                    self.hit_texts.append(attrs[3])
                elif (
                    # Its branch line: branch, condition-coverage, maybe missing-branches.
                    (size == 8 or (size == 10 and attrs[8] == "missing-branches"))
                    and attrs[0] == "number"
                    and attrs[2] == "hits"
                    and attrs[4] == "branch"
                    and attrs[6] == "condition-coverage"
                ):
                    numbers.append(attrs[1])
                    self.hit_texts.append(attrs[3])
                    listed = attrs[9] if size == 10 else None
                    self._branch(_number(attrs[1]), attrs[5], attrs[7], listed)
                else:
                    self._line(dict(zip(attrs[::2], attrs[1::2], strict=True)))
            return
        if self.source_text is not None:  # a `<source>`'s text runs to the next element
            self._source_done()
        last, self.last = self.last, name
        if name != "source":
            self.in_sources = name == "sources"
        if not self.root_seen:
            self.root_seen = True
            if name != "coverage":
                raise InputError(
                    f"{self.source}: not Cobertura XML (root element <{one_line(name, 40)}>)"
                )
        elif name == "class":
            found = dict(zip(attrs[::2], attrs[1::2], strict=True)).get("filename")
            if found is None or not found.strip():
                raise self._error("a <class> without a filename")
            self.flush()
            self.current = self.files.setdefault(found, _File())
            self.filename = found
            self.numbers = None
        elif name == "lines":
            # A `<method>` holds only `<lines>`, repeating lines of its class: skipped. There
            # is no end-tag handler (one call per element less): the next start tells.
            item = self.current
            if item is None or last == "method":
                self.numbers = None
            else:
                self.numbers, self.hit_texts = item.numbers, item.hit_texts
        elif name in ("method", "package", "packages"):
            self.numbers = None
            if name != "method":
                self.flush()
                self.current = None
        elif name == "source" and self.in_sources:
            self.source_text = []
            self.expat.CharacterDataHandler = self.source_text.append

    def flush(self) -> None:
        """Pack the current class's lines into its file's (checked and converted in bulk)."""
        item = self.current
        if item is None or not item.numbers:
            return
        hits = _hits(one_line(self.filename), item, self.source)  # named in errors only
        if item.done:  # the file's lines from an earlier class: a line ran if it ran in any
            packed = _PACKED_DECODER.decode(item.done)
            for line, ran in hits.items():
                packed[line] = packed.get(line, False) or ran
            hits = packed
        item.done = _PACK(hits)
        item.numbers.clear()
        item.hit_texts.clear()

    def _source_done(self) -> None:
        assert self.source_text is not None
        text = "".join(self.source_text).strip()
        if text:
            self.sources.append(text)
        self.source_text = None
        self.expat.CharacterDataHandler = None

    def _error(self, problem: str) -> InputError:
        line = self.expat.CurrentLineNumber
        return InputError(f"{self.source}: not Cobertura XML ({problem} at line {line})")

    def _line(self, attrs: Attrs) -> None:
        item = self.current
        assert item is not None
        number = _number(attrs.get("number"))
        hits = (attrs.get("hits") or "").strip()
        if number is None:
            raise self._error("a <line> without a line number")
        # Some producers write float hits ("3.0"): a count all the same. More than 30 digits
        # is no count (and thousands would not even convert).
        if not _HITS.fullmatch(hits):
            raise self._error(f"line {number}: hits {quote(hits, 20)} is not a count")
        item.numbers.append(str(number))
        item.hit_texts.append(hits)
        branch = attrs.get("branch")
        if branch is not None:
            self._branch(
                number, branch, attrs.get("condition-coverage"), attrs.get("missing-branches")
            )

    def _branch(
        self, number: int | None, branch: str, condition: str | None, listed: str | None
    ) -> None:
        """A branch line's counts and, from coverage.py, its missed arcs' destinations."""
        item = self.current
        assert item is not None
        if number is None:
            return  # the line's number is refused with the file's other lines
        if branch != "true" and branch.strip().lower() != "true":
            return
        match = _CONDITION.fullmatch(condition or "")
        if match is None:
            if condition is None:
                return  # a branch flag without counts: nothing to count
            raise self._error(
                f"line {number}: condition-coverage {quote(condition, 30)}"
                " is not 'P% (TAKEN/TOTAL)'"
            )
        taken_text, exits_text = match.groups()
        if len(taken_text) > MAX_DIGITS or len(exits_text) > MAX_DIGITS:
            raise self._error(f"line {number}: a branch count of more than {MAX_DIGITS} digits")
        taken, exits = int(taken_text), int(exits_text)
        if taken > exits:
            raise self._error(f"line {number}: {taken} of {exits} branches taken")
        old = item.branches.get(number)
        if old is not None:  # the same line in two classes of one file: the better measure
            exits, taken = max(exits, old[0]), max(taken, old[1])
        item.branches[number] = (exits, taken)
        if listed is None:
            if taken < exits:
                item.arcs_listed = False
            return
        destinations = _destinations(listed)
        if destinations is None or len(destinations) != exits - taken:
            raise self._error(
                f"line {number}: missing-branches {quote(listed, 30)} does not list"
                f" the {exits - taken} missed branches"
            )
        item.missing_to[number] = destinations


def _hits(path: str, item: _File, source: str) -> dict[int, bool]:
    """A file's lines and whether each ran, its attribute texts checked in bulk."""
    numbers, texts = item.numbers, item.hit_texts
    if not numbers:
        return {}
    if not _NUMBER_LIST.fullmatch(",".join(numbers)) or not _HITS_LIST.fullmatch(",".join(texts)):
        # Padded values are still values; then the first bad one is named.
        numbers = [number.strip() for number in numbers]
        texts = [hits.strip() for hits in texts]
        for number, hits in zip(numbers, texts, strict=True):
            if _number(number) is None:
                what = f"line number {quote(number, 24)} is not a line number"
                raise InputError(f"{source}: not Cobertura XML (file '{path}': {what})")
            if not _HITS.fullmatch(hits):
                what = f"line {number}: hits {quote(hits, 20)} is not a count"
                raise InputError(f"{source}: not Cobertura XML (file '{path}': {what})")
    lines = list(map(int, numbers))
    ran = [hits != "0" and hits.strip("0.") != "" for hits in texts]
    found = dict(zip(lines, ran, strict=True))
    if len(found) != len(lines):  # a line listed twice (two classes of one file): ran in any
        found = {}
        for line, hit in zip(lines, ran, strict=True):
            found[line] = found.get(line, False) or hit
    return found


def _number(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text.isdigit() or not text.isascii() or len(text) > MAX_DIGITS:
        return None
    return int(text)


def _destinations(text: str) -> list[int] | None:
    """`missing-branches`: line numbers, "exit" for the k-th exit of the line (numbered -k,
    as coverage.py's negative exits display as "exit" whatever their number)."""
    if text.isdigit() and text.isascii() and len(text) <= MAX_DIGITS:  # the common case
        return [int(text)]
    found: list[int] = []
    exits = 0
    for part in text.split(","):
        part = part.strip()
        if part == "exit":
            exits += 1
            found.append(-exits)
            continue
        number = _number(part)
        if number is None:
            return None
        found.append(number)
    return found


def parse_cobertura(stream: BinaryIO, source: str, source_root: str = ".") -> CoverageSnapshot:
    """Read one Cobertura XML report; `source` names it in error messages.

    Paths are the class filenames resolved against the report's `<sources>` and made relative
    to `source_root` when a source lies inside it.
    """
    xml = DefusedXMLParser(target=object(), forbid_dtd=True)
    expat = xml.parser
    reader = _Reader(source, expat)
    expat.ordered_attributes = True  # a list is cheaper to build than a dict
    expat.StartElementHandler = reader.start
    closing = False
    try:
        if not feed_all(xml, stream, source):
            raise InputError(f"{source}: empty file, expected a coverage report")
        closing = True
        xml.close()
    except ParseError as err:
        what = one_line(ErrorString(err.code) if isinstance(err.code, int) else str(err))
        line, column = err.position
        if closing and not reader.root_seen:
            raise InputError(f"{source}: no XML element found") from None
        kind = "truncated" if closing else "not well-formed"
        raise InputError(f"{source}: {kind} XML ({what} at line {line}, column {column})") from None
    except DTDForbidden as err:
        name = one_line(str(getattr(err, "name", "") or ""), 40)
        raise InputError(
            f"{source}: DTDs are not accepted in coverage reports (<!DOCTYPE {name}>)"
        ) from None
    except (EntitiesForbidden, ExternalReferenceForbidden):
        raise InputError(
            f"{source}: entity declarations are not accepted in coverage reports"
        ) from None
    except (LookupError, ValueError) as err:
        if reader.root_seen:
            raise
        raise InputError(f"{source}: unsupported encoding ({one_line(str(err))})") from None
    if not reader.root_seen:
        raise InputError(f"{source}: no XML element found")
    if reader.source_text is not None:
        reader._source_done()
    reader.flush()
    return _snapshot(reader, source, source_root)


def _snapshot(reader: _Reader, source: str, source_root: str) -> CoverageSnapshot:
    has_branches = any(item.branches for item in reader.files.values())
    resolve = _resolver(reader.sources, source_root)
    files: dict[str, FileCoverage] = {}
    for filename, item in reader.files.items():
        path = resolve(filename)
        if path in files:
            raise InputError(f"{source}: file {quote(path)} is listed under two names")
        hits = _PACKED_DECODER.decode(item.done) if item.done else {}
        files[path] = _file(path, hits, item, has_branches)
    return CoverageSnapshot(
        files=dict(sorted(files.items())), has_branches=has_branches, sources=(source,)
    )


def _file(path: str, hits: dict[int, bool], item: _File, has_branches: bool) -> FileCoverage:
    executed = sorted(line for line, ran in hits.items() if ran)
    missing = sorted(line for line, ran in hits.items() if not ran)
    missed_lines = set(missing)
    branches = missed = partial = 0
    for line, (exits, taken) in item.branches.items():
        branches += exits
        missed += exits - taken
        if line not in missed_lines:
            partial += exits - taken
    numbers = Numbers(len(hits), len(missing), branches, partial, missed)
    arcs = b""
    if has_branches and item.arcs_listed:
        arcs = _ENCODE(sorted((src, dst) for src, dsts in item.missing_to.items() for dst in dsts))
    if not has_branches:  # a branch-measured file without branches still counts them
        return FileCoverage(path, numbers, _JsonLines(_ENCODE(executed), _ENCODE(missing), arcs))
    counts = _ENCODE(sorted((line, exits, taken) for line, (exits, taken) in item.branches.items()))
    return FileCoverage(
        path, numbers, _CountedLines(_ENCODE(executed), _ENCODE(missing), arcs, b"", counts)
    )


def _resolver(sources: list[str], source_root: str) -> Any:
    """How a class filename becomes a report path.

    A source inside `source_root` contributes its place there (coverage.py's `[run] source =
    pkg` writes `mod.py` under the source `/project/pkg`). A source outside it (another
    machine's or another checkout's path) is matched by its longest tail that is a folder of
    `source_root` holding the file; when none holds it, several sources keep their place below
    their common folder and a single one adds nothing.
    """
    root = os.path.abspath(source_root)
    choices: list[list[str]] = []  # per source, the prefixes to try, best first
    outside: list[str] = []
    for folder in sources:
        folder = folder.replace("\\", "/").rstrip("/") or "/"
        full = os.path.normpath(os.path.join(root, folder))
        # A Windows machine's `C:/build/src` is absolute there, never a folder of the root.
        if not _DRIVE.match(folder) and os.path.commonpath((root, full)) == root:
            choices.append([os.path.relpath(full, root).replace(os.sep, "/")])
            continue
        parts = [part for part in folder.split("/") if part not in ("", ".", "..")]
        tails = ("/".join(parts[start:]) for start in range(len(parts)))
        choices.append([tail for tail in tails if os.path.isdir(os.path.join(root, tail))])
        outside.append(folder)
    fallback = [choice[0] for choice in choices if len(choice) == 1 and choice[0]][:1]
    if not fallback and len(outside) > 1 and _same_kind(outside):
        common = posixpath.commonpath(outside)
        fallback = [posixpath.relpath(outside[0], common)]

    def resolve(filename: str) -> str:
        name = filename.replace("\\", "/")
        if posixpath.isabs(name):
            full = os.path.normpath(name)
            if os.path.commonpath((root, full)) == root:
                return os.path.relpath(full, root).replace(os.sep, "/")
            return name
        if len(choices) == 1 and len(choices[0]) == 1 and not outside:
            return posixpath.normpath(posixpath.join(choices[0][0], name))
        for choice in choices:
            for prefix in choice:
                candidate = posixpath.normpath(posixpath.join(prefix, name))
                if os.path.isfile(os.path.join(root, candidate)):
                    return candidate
        if os.path.isfile(os.path.join(root, name)):
            return posixpath.normpath(name)
        return posixpath.normpath(posixpath.join(fallback[0], name) if fallback else name)

    return resolve


def _same_kind(folders: list[str]) -> bool:
    return len({posixpath.isabs(folder) for folder in folders}) == 1
