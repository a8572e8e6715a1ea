"""The commands' work at the edge: read inputs, call the pure core, render, write.

One module per command; `gather` reads what they share. `reportgen.cli` parses argv and the
environment and calls them."""
