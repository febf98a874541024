"""The models the fake serves, with the limits and thinking mode of each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    """One model id as `/models` lists it, plus what the fake needs to imitate it."""

    id: str
    max_output_tokens: int
    thinks: bool


def known_models() -> tuple[ModelInfo, ...]:
    """Every model id DeepSeek accepts: the v3 aliases and the v4 names."""
    return (
        ModelInfo("deepseek-chat", max_output_tokens=8192, thinks=False),
        ModelInfo("deepseek-reasoner", max_output_tokens=65536, thinks=True),
        ModelInfo("deepseek-v4-flash", max_output_tokens=65536, thinks=False),
        ModelInfo("deepseek-v4-pro", max_output_tokens=65536, thinks=False),
    )


def find_model(model_id: str) -> ModelInfo | None:
    """The model called `model_id`, or None when DeepSeek would answer `Model Not Exist`."""
    return next((model for model in known_models() if model.id == model_id), None)


def models_listing() -> dict[str, object]:
    """The body of `GET /models`."""
    return {
        "object": "list",
        "data": [{"id": m.id, "object": "model", "owned_by": "deepseek"} for m in known_models()],
    }
