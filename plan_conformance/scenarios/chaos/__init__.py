"""A small chaos run under a nemesis, checked for violations."""
