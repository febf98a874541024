"""Root conftest: loads the harness plugin so `pytest scenarios --target X` works from the root,
and pytest's `pytester` (the harness's own tests run the plugin in child pytest processes)."""

pytest_plugins = ["harness.plugin", "pytester"]
