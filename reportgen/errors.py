"""The errors reportgen reports to its user: one line, exit status 2.

Anything else that escapes is a bug and keeps its traceback.
"""


class ReportgenError(Exception):
    """A problem with the user's input or options; the message is one line."""


class InputError(ReportgenError):
    """An input file is missing, unreadable or not what it should be."""


class SpecError(ReportgenError):
    """The milestone spec has a bad key or value."""


class TemplateError(ReportgenError):
    """A template does not load, does not compile, or broke the sandbox."""


class OutputError(ReportgenError):
    """An output cannot be written (or would silently replace an archived report)."""
