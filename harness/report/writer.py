"""Writes a run's `results.json` and `report.html` into `reports/<run>/`, redacted, and
points `reports/latest` at it (a symlink, or a copy where symlinks are not available)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from harness.redact import Redactor
from harness.report.html import render_html
from harness.report.model import RunResults

Symlink = Callable[[str, Path], None]


def _symlink_dir(target: str, link: Path) -> None:
    os.symlink(target, link, target_is_directory=True)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def point_latest(reports_dir: Path, run_dir: Path, symlink: Symlink = _symlink_dir) -> Path:
    """Make `reports_dir/latest` show `run_dir`; replaces any previous link or copy."""
    latest = reports_dir / "latest"
    staged = reports_dir / f".latest-{run_dir.name}"
    _remove(staged)
    try:
        symlink(run_dir.name, staged)
    except (OSError, NotImplementedError):
        shutil.copytree(run_dir, staged)
    if latest.is_dir() and not latest.is_symlink():
        shutil.rmtree(latest)
    os.replace(staged, latest)
    return latest


def redact_file(path: Path, redactor: Redactor) -> None:
    """Redact a report file written by someone else (e.g. pytest's `junit.xml`) in place."""
    text = path.read_text(encoding="utf-8")
    redacted = redactor.text(text)
    if redacted != text:
        path.write_text(redacted, encoding="utf-8")


def write_report(
    results: RunResults,
    reports_dir: Path,
    redactor: Redactor,
    symlink: Symlink = _symlink_dir,
) -> Path:
    """Write `results.json` and `report.html` for `results`; return the run's folder."""
    clean = RunResults.model_validate(redactor.value(results.model_dump(mode="json")))
    run_dir = reports_dir / clean.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(clean.model_dump(mode="json"), indent=2, sort_keys=True)
    (run_dir / "results.json").write_text(payload + "\n", encoding="utf-8")
    (run_dir / "report.html").write_text(render_html(clean), encoding="utf-8")
    point_latest(reports_dir, run_dir, symlink)
    return run_dir


def read_results(run_dir: Path) -> RunResults:
    """The results a previous run wrote, validated."""
    return RunResults.model_validate_json((run_dir / "results.json").read_text(encoding="utf-8"))
