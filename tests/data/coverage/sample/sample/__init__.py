"""A package measured by coverage.py to make test data: this module has no statements."""
