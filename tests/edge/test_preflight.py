"""Before any stack: a functions folder is checked, its dependencies cached, its types checked
and each function started once; whatever is wrong stops the run with one line naming the file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.edge.deno_binary import Deno
from harness.edge.preflight import prepare
from harness.errors import HarnessSetupError
from tests.edge.conftest import FolderFactory

pytestmark = pytest.mark.slow


def test_a_working_folder_is_ready_and_its_cold_start_measured(functions_folder: FolderFactory) -> None:
    preflight = prepare(functions_folder())

    assert preflight.folder.functions == ("create-plan-job", "process-plan-queue")
    assert 0 < preflight.cold_start_s < 30
    assert preflight.header().startswith("edge functions: create-plan-job, process-plan-queue from ")


def test_a_missing_required_function_is_named(functions_folder: FolderFactory) -> None:
    folder = functions_folder(process_plan_queue="")

    with pytest.raises(HarnessSetupError, match=r"process-plan-queue/index.ts is missing"):
        prepare(folder)


def test_a_type_error_names_the_file_and_line(functions_folder: FolderFactory) -> None:
    folder = functions_folder(
        process_plan_queue='const limit: number = "ten";\nDeno.serve(() => new Response(String(limit)));\n'
    )

    with pytest.raises(HarnessSetupError) as raised:
        prepare(folder)

    assert str(raised.value) == (
        f"type error in {folder}/process-plan-queue/index.ts:1:7: "
        "TS2322 Type 'string' is not assignable to type 'number'."
    )


def test_a_function_that_throws_at_import_is_named_with_its_line(functions_folder: FolderFactory) -> None:
    folder = functions_folder(
        create_plan_job='const ready = false;\nif (!ready) {\n  throw new Error("no settings");\n}\n'
        "Deno.serve(() => new Response());\n"
    )

    with pytest.raises(HarnessSetupError) as raised:
        prepare(folder)

    assert str(raised.value) == (
        f"edge function create-plan-job failed to start: {folder}/create-plan-job/index.ts:3:9: "
        "Error: no settings"
    )
    assert _bootstraps_running(folder) == [], "nothing of a failed start is left running"


def test_a_function_that_never_serves_is_named(functions_folder: FolderFactory) -> None:
    folder = functions_folder(create_plan_job="export const nothing = 1;\n")

    with pytest.raises(HarnessSetupError, match=r"create-plan-job/index.ts never called Deno.serve"):
        prepare(folder)


def test_a_deno_that_cannot_start_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "deno"
    broken.write_text("#!/bin/sh\necho 'deno: cannot execute binary file' >&2\nexit 126\n")
    broken.chmod(0o755)
    monkeypatch.setattr("deno.find_deno_bin", lambda: str(broken))

    with pytest.raises(HarnessSetupError, match=r"Deno at .*/deno cannot start \(exit 126\): deno: cannot"):
        Deno.find()


def test_later_runs_start_without_the_registry(
    functions_folder: FolderFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = functions_folder(
        create_plan_job='import { createClient } from "npm:@supabase/supabase-js@2";\n'
        "Deno.serve(() => Response.json({ client: typeof createClient }));\n"
    )
    prepare(folder)  # the first run may fetch

    # every request to the registry now fails: a dead proxy for all of Deno's traffic
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    again = prepare(folder)

    assert again.cold_start_s > 0
    # the control: with an empty cache the same run needs the registry, and says so
    monkeypatch.setenv("PLAN_CONFORMANCE_DENO_DIR", str(folder.parent / "empty-cache"))
    with pytest.raises(HarnessSetupError, match=r"could not be fetched: Failed loading https://registry"):
        prepare(folder)


def _bootstraps_running(folder: Path) -> list[str]:
    listed = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listed.splitlines() if "bootstrap.ts" in line and str(folder) in line]


def test_the_harness_own_typescript_meets_the_deno_bar() -> None:
    deno = Deno.find()
    bootstrap = Path(__file__).resolve().parents[2] / "harness" / "edge" / "bootstrap.ts"
    env = {**os.environ, **deno.environment()}
    for command in (["check"], ["lint"], ["fmt", "--check", "--line-width", "110"]):
        completed = subprocess.run(
            [str(deno.executable), *command, str(bootstrap)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert completed.returncode == 0, f"deno {command[0]}: {completed.stdout}{completed.stderr}"
