"""Parsers of the inputs: coverage JSON, test results (one module per format family), the spec.
Each reads bytes it is handed into the immutable models of `reportgen.analysis`."""
