"""The Locust user of `plan-load`: one simulated phone at a time, doing what the app does.

Each journey signs a new account up (`/auth/v1/signup`, or the admin API with the service
key), creates a job (`/functions/v1/create-plan-job`) with a generated profile, polls the
job as the plan-building screen does (`harness.poller` with the app's backoff and max
wait), and reads the saved plan from `/rest/v1/weekly_base_plans`. A user makes
`--plan-jobs-per-user` journeys, then stops; the master ends the run once every user has
stopped, so a run ends as soon as every job it created has reached its end.

Every job event goes to the master as a Locust message and the master appends it to the
file named by PLAN_LOAD_JOBS_FILE. This file is only ever loaded by Locust (gevent patches
the process that imports it); `plan-load` runs it in subprocesses.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.rpc.protocol import Message
from locust.runners import WORKER_REPORT_INTERVAL, MasterRunner, WorkerRunner
from locust.stats import CSV_STATS_INTERVAL_SEC

from harness.estimator import DurationEstimator
from harness.load import protocol
from harness.poller import JobSnapshot, PlanBuildingPoller, PollOutcome, PollPolicy, UiState
from harness.profiles import ProfileFactory
from harness.seeds import DEFAULT_SEED

JOB_READ_NAME = "/rest/v1/plan_generation_jobs?id=eq.[job]"
PLAN_READ_NAME = "/rest/v1/weekly_base_plans?user_id=eq.[user]&is_active=eq.true"
ERROR_EXCERPT_CHARS = 200
_user_numbers = itertools.count()


@events.init_command_line_parser.add_listener
def add_plan_options(parser: Any, **_: Any) -> None:
    group = parser.add_argument_group("plan-load", "set by plan-load; see docs/load.md")
    group.add_argument(protocol.OPTION_RUN_ID, default="manual", help="tag in the e-mail of every account")
    group.add_argument(protocol.OPTION_JOBS_PER_USER, type=int, default=1, help="journeys per user")
    group.add_argument(protocol.OPTION_SIGNUP, choices=protocol.SIGNUP_MODES, default="signup")
    group.add_argument(protocol.OPTION_SEED, type=int, default=DEFAULT_SEED, help="profile seed")
    group.add_argument(protocol.OPTION_POLL_INITIAL_MS, type=float, default=1000.0)
    group.add_argument(protocol.OPTION_POLL_BACKOFF, type=float, default=1.5)
    group.add_argument(protocol.OPTION_POLL_MAX_INTERVAL_MS, type=float, default=10_000.0)
    group.add_argument(protocol.OPTION_MAX_WAIT_S, type=float, default=0.0, help="0: from the estimator")


class JobEventLog:
    """On the master: appends every message to jobs.jsonl and ends the run when all users are done."""

    def __init__(self, environment: Environment, path: Path, expected_users: int) -> None:
        self._file: TextIO = path.open("a", encoding="utf-8")
        self._expected_users = expected_users
        self._users_done = 0
        for message_type in protocol.MESSAGE_TYPES:
            environment.runner.register_message(message_type, self.on_message)  # type: ignore[union-attr]
        environment.events.quit.add_listener(lambda **_: self._file.close())

    def write(self, event: str, data: Mapping[str, Any]) -> None:
        self._file.write(json.dumps({"event": event, **data}, sort_keys=True) + "\n")
        self._file.flush()

    def on_message(self, environment: Environment, msg: Message, **_: Any) -> None:
        self.write(msg.type, msg.data)
        if msg.type != protocol.USER_DONE:
            return
        self._users_done += 1
        if self._users_done == self._expected_users:
            self.write(protocol.ALL_USERS_DONE, {"users": self._users_done, "at": time.time()})
            # not from this greenlet: in a standalone run it is a user's, which quitting kills
            gevent.spawn(self._quit_when_reported, environment)

    @staticmethod
    def _quit_when_reported(environment: Environment) -> None:
        """Quit once the last requests are in the stats and Locust's CSV writer has seen them:
        workers report every WORKER_REPORT_INTERVAL, the CSV is rewritten every
        CSV_STATS_INTERVAL_SEC, and neither is brought up to date at quit."""
        runner = environment.runner
        assert runner is not None
        distributed = isinstance(runner, MasterRunner)
        gevent.sleep((WORKER_REPORT_INTERVAL if distributed else 0) + CSV_STATS_INTERVAL_SEC + 0.5)
        runner.quit()


@events.init.add_listener
def on_locust_init(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    options = environment.parsed_options
    jobs_file = os.environ.get(protocol.JOBS_FILE_ENV)
    if jobs_file is None or options is None:
        raise SystemExit(f"plan-load's locustfile needs {protocol.JOBS_FILE_ENV} (run it through plan-load)")
    JobEventLog(environment, Path(jobs_file), int(options.num_users or 1))


class JourneyFailed(Exception):
    """A journey ended before its job did: which step, and what the target answered."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.message = message
        self.job_id: str | None = None


def _answer(response: Any) -> str:
    """Status and an excerpt of an error body (never a successful body: it may hold a token)."""
    text = response.text or ""
    return f"HTTP {response.status_code} {text[:ERROR_EXCERPT_CHARS]}".strip()


class RestJobSource:
    """The poller's `JobSource` over the user's Locust client, as the app reads its job."""

    def __init__(self, user: AppUser, token: str) -> None:
        self._user = user
        self._token = token

    def get_job(self, job_id: str) -> JobSnapshot | None:
        with self._user.client.get(
            "/rest/v1/plan_generation_jobs",
            params={"id": f"eq.{job_id}", "select": "*"},
            headers=self._user.headers(self._token),
            name=JOB_READ_NAME,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(_answer(response))
                raise JourneyFailed("poll", _answer(response))
            rows = response.json()
        return JobSnapshot.from_row(rows[0]) if rows else None

    def cancel_job(self, job_id: str) -> None:
        raise NotImplementedError("plan-load does not press the app's retry button")

    def reset_stuck_job(self, job_id: str) -> None:
        raise NotImplementedError("plan-load does not press the app's retry button")


class AppUser(FastHttpUser):
    """One phone: sign up, create a plan job, wait for it like the app, read the plan."""

    wait_time = constant(0)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        assert options is not None
        self.options = options
        self.anon_key = os.environ[protocol.ANON_KEY_ENV]
        self.service_key = os.environ.get(protocol.SERVICE_ROLE_KEY_ENV, "")
        runner = self.environment.runner
        self.worker_index = runner.worker_index if runner is not None else 0
        self.user_number = next(_user_numbers)
        seed = int(options.plan_seed) + 100_000 * self.worker_index + self.user_number
        self.profiles = ProfileFactory(seed)
        max_wait_s = float(options.plan_max_wait_s)
        self.policy = PollPolicy(
            initial_interval_ms=float(options.plan_poll_initial_ms),
            backoff_factor=float(options.plan_poll_backoff),
            max_interval_ms=float(options.plan_poll_max_interval_ms),
            max_wait_ms=max_wait_s * 1000 if max_wait_s > 0 else None,
        )

    def headers(self, token: str, *, apikey: str | None = None) -> dict[str, str]:
        return {
            "apikey": apikey or self.anon_key,
            "Authorization": f"Bearer {token}",
            "X-Client-Info": "plan-load",
        }

    def send(self, message_type: str, data: Mapping[str, Any]) -> None:
        runner = self.environment.runner
        assert runner is not None
        runner.send_message(message_type, {"worker": self.worker_index, "user": self.user_number, **data})

    @task
    def journeys(self) -> None:
        """Every journey once, then this user stops. A user stopped by the run time never
        says it is done (the greenlet exits), so the master does not take the run as finished."""
        for number in range(int(self.options.plan_jobs_per_user)):
            try:
                self.journey(number)
            except JourneyFailed as failed:
                self.send(
                    protocol.JOURNEY_FAILED,
                    {"stage": failed.stage, "error": failed.message, "job_id": failed.job_id},
                )
            except StopUser:
                raise
            except Exception as error:  # a bug or a malformed answer: report it, do not repeat the task
                self.send(
                    protocol.JOURNEY_FAILED,
                    {
                        "stage": "unexpected",
                        "error": f"{type(error).__name__}: {error}"[:300],
                        "job_id": None,
                    },
                )
        self.send(protocol.USER_DONE, {"at": time.time()})
        raise StopUser()

    def journey(self, number: int) -> None:
        email = (
            f"plan-load-{self.options.plan_run_id}-w{self.worker_index}"
            f"-u{self.user_number}-{number}@example.test"
        )
        password = secrets.token_urlsafe(18)
        token, user_id = self.sign_up(email, password)
        started = time.monotonic()
        job_id = self.create_job(token, self.profiles.make())
        self.send(protocol.JOB_CREATED, {"job_id": job_id, "at": time.time()})
        poller = PlanBuildingPoller(
            RestJobSource(self, token), self.policy, DurationEstimator(), sleep=gevent.sleep
        )
        try:
            outcome = poller.poll(job_id)
            if outcome.ui_state is UiState.COMPLETED:
                self.read_plan(token, user_id, outcome)
        except JourneyFailed as failed:
            failed.job_id = job_id
            raise
        self.send(
            protocol.JOB_FINISHED,
            {
                "job_id": job_id,
                "ui_state": outcome.ui_state.value,
                "detail": outcome.detail,
                "polls": outcome.polls,
                "seen_seconds": round(time.monotonic() - started, 3),
                "plan_read": outcome.ui_state is UiState.COMPLETED,
                "at": time.time(),
            },
        )

    def sign_up(self, email: str, password: str) -> tuple[str, str]:
        """A new account and its access token, by the route the options name."""
        if self.options.plan_signup == "admin":
            with self.client.post(
                "/auth/v1/admin/users",
                json={"email": email, "password": password, "email_confirm": True},
                headers=self.headers(self.service_key, apikey=self.service_key),
                catch_response=True,
            ) as created:
                if created.status_code not in (200, 201):
                    created.failure(_answer(created))
                    raise JourneyFailed("signup", _answer(created))
            with self.client.post(
                "/auth/v1/token?grant_type=password",
                json={"email": email, "password": password},
                headers=self.headers(self.anon_key),
                catch_response=True,
            ) as session:
                return self._session(session)
        with self.client.post(
            "/auth/v1/signup",
            json={"email": email, "password": password},
            headers=self.headers(self.anon_key),
            catch_response=True,
        ) as session:
            return self._session(session)

    def _session(self, response: Any) -> tuple[str, str]:
        if response.status_code != 200:
            response.failure(_answer(response))
            raise JourneyFailed("signup", _answer(response))
        body = response.json()
        if not body.get("access_token"):
            message = "the answer has no session (e-mail confirmation on?); use --signup admin"
            response.failure(message)
            raise JourneyFailed("signup", message)
        return str(body["access_token"]), str(body["user"]["id"])

    def create_job(self, token: str, profile: Mapping[str, Any]) -> str:
        with self.client.post(
            "/functions/v1/create-plan-job",
            json={"profile": dict(profile)},
            headers=self.headers(token),
            catch_response=True,
        ) as response:
            if response.status_code != 202:
                response.failure(_answer(response))
                raise JourneyFailed("create", _answer(response))
            return str(response.json()["jobId"])

    def read_plan(self, token: str, user_id: str, outcome: PollOutcome) -> None:
        """The plan screen's read: the user's active plan, which must be the job's plan."""
        with self.client.get(
            "/rest/v1/weekly_base_plans",
            params={"user_id": f"eq.{user_id}", "is_active": "eq.true", "select": "*"},
            headers=self.headers(token),
            name=PLAN_READ_NAME,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(_answer(response))
                raise JourneyFailed("plan", _answer(response))
            rows = response.json()
            plan_id = outcome.last_snapshot.plan_id if outcome.last_snapshot else None
            if len(rows) != 1 or str(rows[0].get("id")) != plan_id:
                message = f"{len(rows)} active plan(s); expected the job's plan {plan_id}"
                response.failure(message)
                raise JourneyFailed("plan", message)
