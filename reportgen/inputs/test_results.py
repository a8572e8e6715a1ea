"""Test results from JUnit XML, NUnit 2/3, xUnit.net v1/v2 and Visual Studio TRX files.

`parse_junit` streams one file into a `TestRun`. The root element tells the format:

    <testsuites>, <testsuite>                   JUnit (pytest, Surefire, Gradle, Jest, ...)
    <test-run>, <test-suite>, <test-results>    NUnit 3, NUnit 2
    <assemblies>, <assembly>                    xUnit.net v2, v1
    <TestRun>                                   Visual Studio TRX

Each format family has its reader module (`junit_xml`, `dotnet_xml`); they fill the compact
store of `reportgen.analysis.test_run`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ErrorString

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from reportgen.analysis.test_run import TestRun
from reportgen.errors import InputError
from reportgen.inputs.dotnet_xml import NUnitReader, TrxReader, XUnitReader
from reportgen.inputs.junit_xml import JUnitReader
from reportgen.inputs.xml_reader import (
    Attrs,
    Reader,
    declaration_message,
    feed_all,
    one_line,
)


def parse_junit(stream: BinaryIO, source: str) -> TestRun:
    """Read one JUnit, NUnit, xUnit.net or TRX file; `source` names it in error messages.

    Raises InputError (one line) for anything else: another root element, XML that is not
    well-formed or is truncated, an empty file, a DTD or entity declaration (never expanded).
    """
    # defusedxml's parser forbids DTDs and entities on its expat object; the element
    # callbacks are then set on that same object directly, since the per-element Python
    # layers of ElementTree or SAX double the time of a 500,000-case file.
    # A bare target: ElementTree installs none of its own callbacks (no tree, no text kept).
    xml = DefusedXMLParser(target=object(), forbid_dtd=True)
    start = _Start(source, xml.parser)
    try:
        if not feed_all(xml, stream, source):
            raise InputError(f"{source}: empty file")
        start.closing = True
        xml.close()
    except ParseError as err:
        raise InputError(_syntax_message(source, err, start)) from None
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as err:
        raise InputError(declaration_message(source, err)) from None
    except (LookupError, ValueError) as err:
        if start.reader is not None:  # past the XML declaration: a bug, not bad input
            raise
        raise InputError(f"{source}: unsupported encoding ({one_line(str(err))})") from None
    if start.reader is None:  # expat reports a missing root itself; this keeps types exact
        raise InputError(f"{source}: no XML element found")
    return start.reader.finish()


def _syntax_message(source: str, err: ParseError, start: _Start) -> str:
    what = one_line(ErrorString(err.code) if isinstance(err.code, int) else str(err))
    line, column = err.position
    if start.closing and start.reader is None:
        return f"{source}: no XML element found"
    if start.closing:
        return f"{source}: truncated XML ({what} at line {line}, column {column})"
    return f"{source}: not well-formed XML ({what} at line {line}, column {column})"


class _Start:
    """Tells the format by the root element and hands expat's callbacks to its reader."""

    def __init__(self, source: str, expat: Any) -> None:
        self.source = source
        self.expat = expat
        self.reader: Reader | None = None
        self.closing = False  # the final feed: an error now means the file ends too soon
        expat.ordered_attributes = False  # attributes as a dict
        expat.StartElementHandler = self.root

    def root(self, name: str, attrs: Attrs) -> None:
        local = name.rpartition("}")[2]  # expat reports namespaced names as "uri}local"
        reader_class = _READERS.get(local)
        if reader_class is None:
            raise InputError(f"{self.source}: not JUnit XML (root element <{one_line(local)}>)")
        reader = self.reader = reader_class(self.source, local, self.expat)
        if local == name:
            self.expat.StartElementHandler = reader.start
            self.expat.EndElementHandler = reader.end
        else:
            self.expat.StartElementHandler = lambda n, a: reader.start(n.rpartition("}")[2], a)
            self.expat.EndElementHandler = lambda n: reader.end(n.rpartition("}")[2])
        reader.start(local, attrs)


_READERS: dict[str, Callable[[str, str, Any], Reader]] = {
    "testsuites": JUnitReader,
    "testsuite": JUnitReader,
    "test-run": NUnitReader,
    "test-results": NUnitReader,
    "test-suite": NUnitReader,
    "assemblies": XUnitReader,
    "assembly": XUnitReader,
    "TestRun": TrxReader,
}
