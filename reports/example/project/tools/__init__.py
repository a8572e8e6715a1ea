"""Operational tools for the market-making stack: soak runs, shadow runs, drills."""
