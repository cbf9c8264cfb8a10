"""Dense embeddings from an OpenAI-compatible `/embeddings` endpoint, and vector helpers."""

from __future__ import annotations

import array
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

__all__ = ["Embedder", "EmbeddingError", "cosine", "pack", "unpack"]

BATCH = 64


class EmbeddingError(RuntimeError):
    """The embeddings endpoint failed or answered something unexpected."""


def pack(vector: Sequence[float]) -> bytes:
    """A unit-normalised float32 blob (so cosine is a dot product)."""
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return array.array("f", (x / norm for x in vector)).tobytes()


def unpack(blob: bytes) -> array.array[float]:
    """The float32 vector of a blob."""
    vec = array.array("f")
    vec.frombytes(blob)
    return vec


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Dot product of two unit vectors."""
    return float(sum(map(operator.mul, a, b)))


@dataclass
class Embedder:
    """Client of `POST {base_url}/embeddings` {model, input: [...]} -> {data: [{index, embedding}]}.

    The endpoint is operator configuration (like a model provider), not user input, so it
    is called with a plain client: a local embedding server on loopback is a normal setup.
    """

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 30.0

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        out: list[list[float]] = []
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        async with httpx.AsyncClient(timeout=self.timeout, trust_env=False) as client:
            for i in range(0, len(texts), BATCH):
                batch = list(texts[i : i + BATCH])
                try:
                    resp = await client.post(
                        self.base_url.rstrip("/") + "/embeddings",
                        json={"model": self.model, "input": batch},
                        headers=headers,
                    )
                except httpx.HTTPError as exc:
                    raise EmbeddingError(f"embeddings endpoint unreachable: {exc}") from exc
                if resp.status_code != 200:
                    raise EmbeddingError(f"embeddings endpoint answered {resp.status_code}")
                try:
                    data = sorted(resp.json()["data"], key=lambda d: d["index"])
                    vectors = [[float(x) for x in d["embedding"]] for d in data]
                except (ValueError, KeyError, TypeError) as exc:
                    raise EmbeddingError(f"unexpected embeddings response: {exc}") from exc
                if len(vectors) != len(batch):
                    raise EmbeddingError(
                        "the embeddings endpoint returned a wrong number of vectors"
                    )
                out.extend(vectors)
        return out
