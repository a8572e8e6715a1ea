"""Keep the project's own test run out of the sample project's tests: they are data."""

collect_ignore = ["sample"]
