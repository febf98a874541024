"""Tests of the harness itself; `pytester` runs the plugin in child pytest processes."""

pytest_plugins = ["pytester"]
