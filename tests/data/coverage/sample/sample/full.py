"""Fully covered, with every branch taken both ways."""


def clamp(value: int, low: int, high: int) -> int:
    """Keep value within [low, high]."""
    if value < low:
        return low
    if value > high:
        return high
    return value


def total(values: list[int]) -> int:
    """Sum with a loop that runs to its end."""
    result = 0
    for value in values:
        result += value
    return result
