"""`plan-chaos`: settings refused with the flag, the schedule printed and replayable, deployed
targets refused what they cannot do before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chaos.cli import main, replay_command
from harness.chaos.settings import ChaosSettings, ChaosSettingsError, parse_nemeses


@pytest.mark.parametrize(
    ("text", "expected"),
    [("kill", ("kill",)), ("faults, kill", ("kill", "faults")), ("none", ())],
)
def test_nemeses_are_read_in_their_own_order(text: str, expected: tuple[str, ...]) -> None:
    assert parse_nemeses(text) == expected


@pytest.mark.parametrize(
    ("text", "wrong"), [("kill,flood", "'flood' is not a nemesis"), ("kill,kill", "twice"), ("", "nothing")]
)
def test_a_wrong_nemesis_is_named(text: str, wrong: str) -> None:
    with pytest.raises(ChaosSettingsError, match=wrong) as raised:
        parse_nemeses(text)
    assert raised.value.flag == "--nemesis"


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({"jobs": 0}, "--jobs"),
        ({"jobs": 20_001}, "--jobs"),
        ({"duration_s": 1}, "--duration"),
        ({"users": 11, "jobs": 10}, "--users"),
        ({"workers": 9}, "--workers"),
        ({"settle_s": 0}, "--settle"),
        ({"stuck_after_ms": 100}, "--stuck-after"),
    ],
)
def test_settings_out_of_bounds_are_refused_with_the_flag(changes: dict[str, float], flag: str) -> None:
    with pytest.raises(ChaosSettingsError, match=flag):
        ChaosSettings(**changes)  # type: ignore[arg-type]


def test_users_default_to_one_per_five_jobs_within_bounds() -> None:
    assert [ChaosSettings(jobs=jobs).user_count for jobs in (2, 10, 100, 1000)] == [2, 3, 20, 100]


def test_schedule_only_prints_the_schedule_and_how_to_replay_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seed", "5", "--duration", "12s", "--jobs", "30", "--schedule-only"]) == 0
    first = capsys.readouterr().out
    assert main(["--seed", "5", "--duration", "12s", "--jobs", "30", "--schedule-only"]) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("schedule (seed 5): 12 s, 6 users")
    replay = first.strip().splitlines()[-1]
    assert replay == (
        "replay: plan-chaos --seed 5 --duration 12s --jobs 30 --users 6 --workers 3 "
        "--nemesis kill,pause,db-restart,fake-restart,faults --stuck-after 3000"
    )


def test_the_replay_command_gives_the_same_settings_back(capsys: pytest.CaptureFixture[str]) -> None:
    settings = ChaosSettings(seed=9, duration_s=15, jobs=40, nemeses=("pause", "faults"))
    command = replay_command(settings, ("pause", "faults")).split()[1:]
    assert main([*command, "--schedule-only"]) == 0
    assert "nemesis: " in capsys.readouterr().out
    assert command[command.index("--nemesis") + 1] == "pause,faults"


def test_a_bad_duration_is_refused_with_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--duration", "soon", "--schedule-only"])
    assert exited.value.code == 2
    assert "--duration: 'soon' is not a duration" in capsys.readouterr().err


def _env_file(tmp_path: Path, **values: str) -> Path:
    path = tmp_path / "target.env"
    base = {
        "SUPABASE_URL": "http://127.0.0.1:9",
        "SUPABASE_ANON_KEY": "anon-key-value",
        "SUPABASE_SERVICE_ROLE_KEY": "service-key-value",
        **values,
    }
    path.write_text("".join(f"{name}={value}\n" for name, value in base.items()))
    return path


def test_a_deployed_target_needs_its_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--env-file", str(_env_file(tmp_path)), "--out", str(tmp_path / "out")])
    assert exited.value.code == 2
    assert "no DATABASE_URL: a chaos run reads the target's database" in capsys.readouterr().err


def test_a_deployed_target_refuses_kills_with_the_reason_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env_file(tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:9/none")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exited:
        main(["--env-file", str(env), "--nemesis", "kill,faults", "--out", str(out)])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "this target cannot do kill (the target's workers are not processes this run started)" in error
    assert "faults (no fake DeepSeek under the harness's control" in error
    assert not out.exists()


def test_local_stack_options_are_refused_for_a_deployed_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env_file(tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:9/none")
    with pytest.raises(SystemExit) as exited:
        main(["--env-file", str(env), "--migrations", str(tmp_path), "--out", str(tmp_path / "out")])
    assert exited.value.code == 2
    assert "--migrations: is for the local stack" in capsys.readouterr().err
