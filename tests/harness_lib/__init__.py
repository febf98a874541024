"""Unit tests of the harness library modules (oracle, profiles, estimator, poller, history, ...)."""
