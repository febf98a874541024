"""Root conftest: pytest's `pytester` (the harness's own tests run the plugin in child pytest
processes), and the harness plugin for runs with plugin autoloading off (it is otherwise
loaded through its `pytest11` entry point, under the same name)."""

pytest_plugins = ["harness.plugin", "pytester"]
