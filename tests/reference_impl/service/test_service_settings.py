"""The service's queue settings from the environment: the backoff between attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reference_impl.settings import QueueSettings, ServiceSettings, ServiceSettingsError

BASE_ENV = {"DATABASE_URL": "postgresql://localhost/plans"}


def test_backoff_defaults_are_the_contracts() -> None:
    queue = ServiceSettings.from_env(BASE_ENV).queue

    assert (queue.retry_base, queue.retry_cap) == (timedelta(seconds=10), timedelta(minutes=10))


def test_backoff_is_read_in_milliseconds() -> None:
    env = {**BASE_ENV, "PLAN_JOB_RETRY_BASE_MS": "50", "PLAN_JOB_RETRY_CAP_MS": "400"}

    queue = ServiceSettings.from_env(env).queue

    assert (queue.retry_base, queue.retry_cap) == (timedelta(milliseconds=50), timedelta(milliseconds=400))


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"PLAN_JOB_RETRY_BASE_MS": "0"}, "PLAN_JOB_RETRY_BASE_MS"),
        ({"PLAN_JOB_RETRY_CAP_MS": "soon"}, "PLAN_JOB_RETRY_CAP_MS"),
        ({"PLAN_JOB_RETRY_CAP_MS": "86400001"}, "PLAN_JOB_RETRY_CAP_MS"),
        ({"PLAN_JOB_RETRY_BASE_MS": "5000", "PLAN_JOB_RETRY_CAP_MS": "1000"}, "PLAN_JOB_RETRY_CAP_MS"),
    ],
)
def test_a_bad_backoff_setting_is_refused_naming_it(overrides: dict[str, str], named: str) -> None:
    with pytest.raises(ServiceSettingsError, match=named):
        ServiceSettings.from_env({**BASE_ENV, **overrides})


def test_a_cap_below_the_base_is_refused_in_code_too() -> None:
    with pytest.raises(ServiceSettingsError, match="must not be shorter"):
        QueueSettings(retry_base=timedelta(seconds=5), retry_cap=timedelta(seconds=1))


def test_the_password_hash_cost_is_read_and_bounded() -> None:
    assert ServiceSettings.from_env(BASE_ENV).password_hash_cost == 14
    assert ServiceSettings.from_env({**BASE_ENV, "AUTH_PASSWORD_HASH_COST": "10"}).password_hash_cost == 10
    with pytest.raises(ServiceSettingsError, match="AUTH_PASSWORD_HASH_COST must be from 4 to 20, got 3"):
        ServiceSettings.from_env({**BASE_ENV, "AUTH_PASSWORD_HASH_COST": "3"})
