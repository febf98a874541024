"""Delay: wait a fixed or distributed time, then answer normally (WireMock delays)."""

from __future__ import annotations

import math
import random
import time
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext


class UniformDelay(BaseModel):
    """Uniform between `lower_ms` and `upper_ms`, both inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["uniform"]
    lower_ms: float = Field(ge=0)
    upper_ms: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> UniformDelay:
        if self.upper_ms < self.lower_ms:
            raise ValueError("upper_ms must not be below lower_ms")
        return self

    def draw_ms(self, rng: random.Random) -> float:
        """One delay in milliseconds."""
        return rng.uniform(self.lower_ms, self.upper_ms)


class LognormalDelay(BaseModel):
    """Lognormal with the given median and sigma, optionally capped."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["lognormal"]
    median_ms: float = Field(gt=0)
    sigma: float = Field(ge=0)
    max_ms: float | None = Field(default=None, gt=0)

    def draw_ms(self, rng: random.Random) -> float:
        """One delay in milliseconds."""
        drawn = rng.lognormvariate(math.log(self.median_ms), self.sigma)
        return min(drawn, self.max_ms) if self.max_ms is not None else drawn


Distribution = Annotated[UniformDelay | LognormalDelay, Field(discriminator="type")]


class DelayAction(ActionSpec):
    """Wait `ms` (or a draw from `distribution`, seeded by the run), then answer normally."""

    type: Literal["delay"]
    ms: float | None = Field(default=None, ge=0)
    distribution: Distribution | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DelayAction:
        if (self.ms is None) == (self.distribution is None):
            raise ValueError("give exactly one of `ms` and `distribution`")
        return self

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Wait, then send the normal answer."""
        delay_ms = self.distribution.draw_ms(ctx.draws()) if self.distribution is not None else self.ms or 0.0
        waited_s = time.perf_counter() - ctx.record.started  # the delay counts from arrival
        if not await ctx.pause(delay_ms / 1000 - waited_s):
            return ctx.end_for_shutdown()
        return await ctx.send_default()
