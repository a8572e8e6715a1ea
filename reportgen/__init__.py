"""reportgen: milestone reports from coverage snapshots and JUnit results."""

__version__ = "0.1.0"
