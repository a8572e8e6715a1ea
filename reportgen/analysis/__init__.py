"""The pure core: the models every input is parsed into, the numbers as coverage.py computes
them, the coverage and test diffs, the criteria and the step that joins them. No I/O here."""
