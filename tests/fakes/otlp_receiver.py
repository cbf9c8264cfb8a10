"""A real OTLP/HTTP trace receiver on loopback: decodes `ExportTraceServiceRequest` protobuf
bodies (the opentelemetry-proto package) into plain span dicts, as a collector would."""

from __future__ import annotations

import asyncio
import gzip
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from tests.fakes.loopback import LoopbackServer


def _value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


class OtlpReceiver(LoopbackServer):
    """Collects every span POSTed to /v1/traces (`spans`) and the request headers."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The spans, once `predicate(spans)` holds (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            spans = list(self.spans)
            if predicate(spans):
                return spans
            time.sleep(0.05)
        raise AssertionError(f"spans never matched; got {[s['name'] for s in self.spans]}")

    def _decode(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        {
                            "name": span.name,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex() or None,
                            "kind": span.kind,  # 1 internal, 3 client
                            "attributes": {a.key: _value(a.value) for a in span.attributes},
                            "status": span.status.code,  # 2 error
                            "start": span.start_time_unix_nano,
                            "end": span.end_time_unix_nano,
                            "resource": resource,
                            "scope": scope_spans.scope.name,
                            "schema_url": scope_spans.schema_url,
                        }
                    )

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                status = 404
                answer = b""
                if method == "POST" and target == "/v1/traces":
                    self.headers.append(headers)
                    self._decode(body)
                    status, answer = 200, ExportTraceServiceResponse().SerializeToString()
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-type: application/x-protobuf\r\n"
                    f"content-length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
