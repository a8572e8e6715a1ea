"""Never imported by any test: measured only because the run names the package as its source."""


def shout(text: str) -> str:
    """Upper-case text, with a branch."""
    if not text:
        return ""
    return text.upper() + "!"


class Greeter:
    """A class nobody uses."""

    def greet(self, name: str) -> str:
        return f"hello {name}"
