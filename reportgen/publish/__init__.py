"""Where reports are sent beyond files: the GitHub comment today; the only network code."""
