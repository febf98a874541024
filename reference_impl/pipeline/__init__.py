"""One attempt of weekly-plan generation: prompts, DeepSeek, extraction, fixer, validator.

The service calls `run_attempt` for a claimed job and maps the outcome onto
`complete_plan_job` / `fail_plan_job`; `create-plan-job` uses `parse_profile` and
`compute_targets`.
"""

from __future__ import annotations

from reference_impl.pipeline.attempt import AttemptResult, run_attempt
from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.profile import FieldError, Profile, ProfileInvalid, parse_profile
from reference_impl.pipeline.settings import PipelineSettings, SettingsError
from reference_impl.pipeline.targets import Targets, compute_targets

__all__ = [
    "AttemptResult",
    "ErrorCode",
    "FieldError",
    "PipelineError",
    "PipelineSettings",
    "Profile",
    "ProfileInvalid",
    "SettingsError",
    "Targets",
    "compute_targets",
    "parse_profile",
    "run_attempt",
]
