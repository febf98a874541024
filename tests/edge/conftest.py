"""Small functions folders written for a test: a working pair, and broken variants."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

ECHO = """\
Deno.serve(async (request: Request): Promise<Response> => {
  const body = await request.text();
  console.log(JSON.stringify({ event: "echo.invoked", name: "%s" }));
  if (body.includes("sleep")) {
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  const url = new URL(request.url);
  const answer = { name: "%s", method: request.method, path: url.pathname, query: url.search, body };
  return Response.json({ ...answer, supabaseUrl: Deno.env.get("SUPABASE_URL") });
});
"""

FolderFactory = Callable[..., Path]


@pytest.fixture
def functions_folder(tmp_path: Path) -> FolderFactory:
    """Factory: `functions_folder(**{"name": "source of index.ts"})`, the required two echo."""

    def make(**sources: str) -> Path:
        folder = tmp_path / "functions"
        files: Mapping[str, str] = {
            "create-plan-job": ECHO % ("create-plan-job", "create-plan-job"),
            "process-plan-queue": ECHO % ("process-plan-queue", "process-plan-queue"),
            **{name.replace("_", "-"): source for name, source in sources.items()},
        }
        for name, source in files.items():
            if source:
                (folder / name).mkdir(parents=True, exist_ok=True)
                (folder / name / "index.ts").write_text(source)
        return folder

    return make
