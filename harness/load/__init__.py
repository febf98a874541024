"""`plan-load`: load on a plan-generation target with Locust, as the app's users would make it.

The Locust user lives in `locustfile.py` and runs only in Locust's own processes (gevent
patches the interpreter there); everything else here runs in the ordinary `plan-load`
process: settings and bounds, the Locust master and workers as subprocesses, the queue's
health sampled through `plan_job_health`, and the time-to-plan summary. See docs/load.md.
"""

from __future__ import annotations

from pathlib import Path

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
