"""The queue benchmark's parts: the systems compared, the worker processes, server CPU."""
