"""Fault actions, one module each (Toxiproxy style), and `Action`, the union rules parse."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from fake_llm.actions.answer import AnswerAction
from fake_llm.actions.connection_reset import ConnectionResetAction
from fake_llm.actions.corrupt_envelope import CorruptEnvelopeAction
from fake_llm.actions.delay import DelayAction
from fake_llm.actions.empty_body import EmptyBodyAction
from fake_llm.actions.hang import HangAction
from fake_llm.actions.http_error import HttpErrorAction
from fake_llm.actions.keepalive_stall import KeepaliveStallAction
from fake_llm.actions.malformed_content import MalformedContentAction
from fake_llm.actions.slow_stream import SlowStreamAction
from fake_llm.actions.stream_cut import StreamCutAction
from fake_llm.actions.stream_error import StreamErrorAction
from fake_llm.actions.wrong_plan import WrongPlanAction

Action = Annotated[
    AnswerAction
    | DelayAction
    | HangAction
    | KeepaliveStallAction
    | HttpErrorAction
    | ConnectionResetAction
    | EmptyBodyAction
    | CorruptEnvelopeAction
    | MalformedContentAction
    | WrongPlanAction
    | SlowStreamAction
    | StreamCutAction
    | StreamErrorAction,
    Field(discriminator="type"),
]

__all__ = [
    "Action",
    "AnswerAction",
    "ConnectionResetAction",
    "CorruptEnvelopeAction",
    "DelayAction",
    "EmptyBodyAction",
    "HangAction",
    "HttpErrorAction",
    "KeepaliveStallAction",
    "MalformedContentAction",
    "SlowStreamAction",
    "StreamCutAction",
    "StreamErrorAction",
    "WrongPlanAction",
]
