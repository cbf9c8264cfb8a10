"""Span names and attribute keys, after the OpenTelemetry GenAI semantic conventions.

Pinned: semantic conventions **v1.37.0** (the GenAI agent and framework spans, marked
Development there): `invoke_agent {gen_ai.agent.name}`, `chat {gen_ai.request.model}`,
`execute_tool {gen_ai.tool.name}`; `gen_ai.provider.name` (which replaced `gen_ai.system`
in that release). Our own attributes use the `aiagentics.` namespace. Changing a name here
changes what dashboards query: treat it as part of the API.
"""

from __future__ import annotations

import re

SEMCONV_VERSION = "1.37.0"
SCHEMA_URL = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"

INVOKE_AGENT = "invoke_agent"
CHAT = "chat"
EXECUTE_TOOL = "execute_tool"

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
AGENT_ID = "gen_ai.agent.id"
AGENT_NAME = "gen_ai.agent.name"
AGENT_VERSION = "gen_ai.agent.version"
CONVERSATION_ID = "gen_ai.conversation.id"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
FINISH_REASONS = "gen_ai.response.finish_reasons"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
ERROR_TYPE = "error.type"

RUN_ID = "aiagentics.run.id"
PROJECT = "aiagentics.project"
ENVIRONMENT = "aiagentics.environment"
RUN_STATUS = "aiagentics.run.status"
TOOL_KIND = "aiagentics.tool.type"  # our tool type: http, client, webhook, memory, ...

# The conventions' gen_ai.tool.type: `function` runs in the agent's process or an endpoint
# it calls; `extension` is carried out by another party (the caller, a webhook consumer).
DEFERRED_TOOL_TYPES = frozenset({"client", "webhook"})

TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")


def valid_traceparent(value: str | None) -> str | None:
    """`value` when it is a W3C traceparent we can join (version 00), else None (ignored,
    as the W3C recommendation asks of a malformed header)."""
    if value is None:
        return None
    value = value.strip().lower()
    return value if TRACEPARENT.match(value) else None
