"""What the Locust processes and `plan-load` agree on: environment names, custom Locust
options, and the job events the master writes to `jobs.jsonl`.

Keys travel only in the environment of the Locust processes, never on a command line or in
an option that Locust could print or put in its report.
"""

from __future__ import annotations

ANON_KEY_ENV = "PLAN_LOAD_ANON_KEY"
SERVICE_ROLE_KEY_ENV = "PLAN_LOAD_SERVICE_ROLE_KEY"
JOBS_FILE_ENV = "PLAN_LOAD_JOBS_FILE"  # read by the master (or the standalone process) only

# Custom Locust options (given to the master, which passes them to its workers).
OPTION_RUN_ID = "--plan-run-id"
OPTION_JOBS_PER_USER = "--plan-jobs-per-user"
OPTION_SIGNUP = "--plan-signup"
OPTION_SEED = "--plan-seed"
OPTION_POLL_INITIAL_MS = "--plan-poll-initial-ms"
OPTION_POLL_BACKOFF = "--plan-poll-backoff"
OPTION_POLL_MAX_INTERVAL_MS = "--plan-poll-max-interval-ms"
OPTION_MAX_WAIT_S = "--plan-max-wait-s"

SIGNUP_MODES = ("signup", "admin")

# Messages from the users to the master; each becomes one line of jobs.jsonl.
JOB_CREATED = "job_created"
JOB_FINISHED = "job_finished"
JOURNEY_FAILED = "journey_failed"
USER_DONE = "user_done"
ALL_USERS_DONE = "all_users_done"  # written by the master when it stops the run early
MESSAGE_TYPES = (JOB_CREATED, JOB_FINISHED, JOURNEY_FAILED, USER_DONE)
