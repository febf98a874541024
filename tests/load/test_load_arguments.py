"""`plan-load`'s arguments: every refusal names its flag; unbounded runs are refused; where
the target's URL and keys come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.load.cli import main
from harness.load.settings import LoadSettings, LoadSettingsError, LoadTarget, parse_duration

ANON = "anon-key-0123456789abcdef"
SERVICE = "service-key-0123456789abcdef"
TARGET = ["--url", "http://127.0.0.1:9", "--anon-key", ANON, "--service-role-key", SERVICE]


def refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    assert exited.value.code == 2
    message = capsys.readouterr().err
    assert ANON not in message and SERVICE not in message
    return message.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("flags", "flag", "says"),
    [
        (["--users", "0"], "--users", "from 1 to 2000"),
        (["--users", "5000"], "--users", "from 1 to 2000"),
        (["--spawn-rate", "0"], "--spawn-rate", "must be > 0"),
        (["--run-time", "0"], "--run-time", "bounded in time"),
        (["--run-time", "2 hours"], "--run-time", "is not a duration"),
        (["--run-time", "3h"], "--run-time", "from 1 to 3600 seconds"),
        (["--jobs-per-user", "0"], "--jobs-per-user", "from 1 to 100"),
        (["--users", "2000", "--jobs-per-user", "20"], "--jobs-per-user", "40000 jobs; at most 20000"),
        (["--users", "2", "--workers", "3"], "--workers", "3 workers for 2 users"),
        (["--workers", "17"], "--workers", "from 0 to 16"),
        (["--poll-initial-ms", "0"], "--poll-initial-ms", "must be > 0"),
        (["--poll-backoff", "0.5"], "--poll-backoff", "must be >= 1"),
        (["--poll-max-interval-ms", "10"], "--poll-max-interval-ms", "must be >= --poll-initial-ms"),
        (["--max-wait", "20m"], "--max-wait", "(0, 900] seconds"),
        (["--health-interval", "0.1s"], "--health-interval", "from 0.2 to 300 seconds"),
        (["--url", "ftp://127.0.0.1"], "--url", "must start with http:// or https://"),
    ],
)
def test_a_wrong_setting_is_refused_naming_its_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flags: list[str], flag: str, says: str
) -> None:
    line = refusal(capsys, *TARGET, *flags, "--out", str(tmp_path / "out"))

    assert line.startswith(f"plan-load: error: {flag}: ") and says in line
    assert not (tmp_path / "out").exists()  # nothing written for a refused run


def test_argparse_refusals_name_the_flag_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert "argument --users: invalid int value: 'many'" in refusal(capsys, *TARGET, "--users", "many")
    assert "argument --signup: invalid choice: 'magic'" in refusal(capsys, *TARGET, "--signup", "magic")


def test_a_missing_key_names_the_flag_and_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"):
        monkeypatch.delenv(name, raising=False)

    line = refusal(capsys, "--url", "http://127.0.0.1:9", "--anon-key", ANON)

    assert line.startswith("plan-load: error: --service-role-key: no SUPABASE_SERVICE_ROLE_KEY")


def test_an_output_folder_with_files_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text("{}")

    line = refusal(capsys, *TARGET, "--out", str(tmp_path))

    assert line.startswith("plan-load: error: --out: ") and "not an empty folder" in line
    assert [path.name for path in tmp_path.iterdir()] == ["summary.json"]


def test_a_missing_env_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = refusal(capsys, "--env-file", str(tmp_path / "nope.env"))

    assert line.startswith("plan-load: error: --env-file: ") and "no such file" in line


def test_flags_win_over_the_env_file_which_wins_over_the_environment(tmp_path: Path) -> None:
    env_file = tmp_path / "stack.env"
    env_file.write_text(
        "SUPABASE_URL=http://127.0.0.1:1111/\nSUPABASE_ANON_KEY=file-anon\nDATABASE_URL=postgresql://x\n"
    )
    environ = {
        "SUPABASE_URL": "https://staging.example.invalid",
        "SUPABASE_ANON_KEY": "env-anon",
        "SUPABASE_SERVICE_ROLE_KEY": "env-service",
    }

    from_file = LoadTarget.resolve(
        url=None, anon_key=None, service_role_key=None, env_file=env_file, environ=environ
    )
    flagged = LoadTarget.resolve(
        url="http://127.0.0.1:2222", anon_key="flag-anon", service_role_key=None, env_file=env_file,
        environ=environ,
    )  # fmt: skip

    assert (from_file.url, from_file.anon_key, from_file.service_role_key) == (
        "http://127.0.0.1:1111",
        "file-anon",
        "env-service",
    )
    assert (flagged.url, flagged.anon_key) == ("http://127.0.0.1:2222", "flag-anon")
    assert "file-anon" not in repr(from_file) and "env-service" not in repr(from_file)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90.0), ("90s", 90.0), ("1.5m", 90.0), ("1h", 3600.0), ("250ms", 0.25)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration("--run-time", text) == seconds


def test_settings_know_their_job_count() -> None:
    assert LoadSettings(users=7, spawn_rate=1, run_time_s=10, jobs_per_user=3).max_jobs == 21
    with pytest.raises(LoadSettingsError) as refused:
        LoadSettings(users=1, spawn_rate=1, run_time_s=10, signup="sms")
    assert refused.value.flag == "--signup"
