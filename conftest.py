"""Root conftest: loads the harness plugin so `pytest scenarios --target X` works from the root."""

pytest_plugins = ["harness.plugin"]
