"""Secret-bearing fields: which they are, where they sit in a body, and their fingerprints.

A field is *sensitive* when it is declared secret here (`SECRET_FIELDS`, by kind) or when
its value came from `${ENV}` in the files (the compiler lists those paths). Sensitive
values are write-only through the API: stored sealed, reported only as a fingerprint.

Paths are dotted (`headers.Authorization`); `*` in a declared pattern matches any key of
a mapping (or index of a list). A fingerprint is a salted scrypt digest,
`scrypt$<n>$<r>$<p>$<salt>$<digest>`: a reader who sees it can check a guess, but each guess
costs a memory-hard hash, so a short secret is not recovered by a fast dictionary run;
whoever knows the value (`aia plan`) can check it locally, without asking the API.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# Declared once: every field listed here is write-only, whatever its value's origin.
# The API, the planner and export all read this table. A Tool's `headers` (http and
# streamable_http mcp) and `env` (the environment of a stdio mcp server: where its tokens
# go) are write-only.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "Tool": ("headers.*", "env.*"),
}

# scrypt cost: n=2**13, r=8 takes 8 MiB and tens of milliseconds per value.
_N, _R, _P = 2**13, 8, 1
_DKLEN = 16
_FINGERPRINT = re.compile(
    r"scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{16,64})\Z"
)

Path = tuple[str, ...]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(value: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        value.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_DKLEN, maxmem=64 * 1024 * 1024
    )


def fingerprint(value: str, salt: bytes | None = None) -> str:
    """A new salted fingerprint of `value` (random salt unless given)."""
    salt = os.urandom(16) if salt is None else salt
    digest = _scrypt(value, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def is_fingerprint(value: Any) -> bool:
    """Whether `value` has the shape of a fingerprint."""
    return isinstance(value, str) and _FINGERPRINT.match(value) is not None


# (sha256 of a value, fingerprint) -> whether they match: a plan checks each value once.
_CHECKED: dict[tuple[bytes, str], bool] = {}


def _check(value: str, fp: str) -> bool:
    match = _FINGERPRINT.match(fp)
    if match is None:
        return False
    n, r, p = (int(x) for x in match.group(1, 2, 3))
    if n > 2**16 or r > 16 or p > 4:  # a forged fingerprint must not cost minutes
        return False
    digest = _scrypt(value, _unb64(match.group(4)), n, r, p)
    return hmac.compare_digest(digest, _unb64(match.group(5)))


def matches(value: Any, fp: Any) -> bool:
    """Whether `value` is what fingerprint `fp` was made from (False when `fp` is not one)."""
    if not isinstance(value, str) or not is_fingerprint(fp):
        return False
    key = (hashlib.sha256(value.encode("utf-8")).digest(), str(fp))
    if key not in _CHECKED:
        if len(_CHECKED) >= 4096:
            _CHECKED.clear()
        _CHECKED[key] = _check(value, str(fp))
    return _CHECKED[key]


def _walk(node: Any, pattern: Path, done: Path) -> Iterator[Path]:
    if not pattern:
        yield done
        return
    head, rest = pattern[0], pattern[1:]
    if isinstance(node, Mapping):
        keys = [str(k) for k in node] if head == "*" else [head] if head in node else []
        for key in keys:
            yield from _walk(node[key], rest, (*done, key))
    elif isinstance(node, list):
        indices = range(len(node)) if head == "*" else [int(head)] if head.isdigit() else []
        for i in indices:
            if i < len(node):
                yield from _walk(node[i], rest, (*done, str(i)))


def declared_paths(kind: str, body: Mapping[str, Any]) -> list[str]:
    """The dotted paths of `body` that are secret by declaration (only string values)."""
    out = []
    for pattern in SECRET_FIELDS.get(kind, ()):
        for path in _walk(body, tuple(pattern.split(".")), ()):
            if isinstance(get_path(body, path), str):
                out.append(".".join(path))
    return out


def is_declared(kind: str, dotted: str) -> bool:
    """Whether a dotted path matches one of the kind's declared secret patterns (or lies in one)."""
    parts = dotted.split(".")
    for pattern in SECRET_FIELDS.get(kind, ()):
        want = pattern.split(".")
        if len(parts) < len(want) - 1:
            continue
        if all(w in ("*", p) for w, p in zip(want, parts, strict=False)):
            return True
    return False


def resolve(body: Any, dotted: str) -> Path | None:
    """The key path a dotted path names in `body` (keys may contain dots), or None."""
    parts = dotted.split(".")

    def go(node: Any, i: int) -> Path | None:
        if i == len(parts):
            return ()
        if isinstance(node, Mapping):
            for j in range(len(parts), i, -1):  # the longest key first
                key = ".".join(parts[i:j])
                if key in node:
                    rest = go(node[key], j)
                    if rest is not None:
                        return (key, *rest)
            return None
        if isinstance(node, list) and parts[i].isdigit() and int(parts[i]) < len(node):
            rest = go(node[int(parts[i])], i + 1)
            return None if rest is None else (parts[i], *rest)
        return None

    return go(body, 0)


def get_path(body: Any, path: Path) -> Any:
    """The value at a key path (None when absent)."""
    node = body
    for key in path:
        if isinstance(node, Mapping):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def set_path(body: Any, path: Path, value: Any) -> None:
    """Set the value at an existing key path, in place."""
    node = body
    for key in path[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(path[-1])] = value
    else:
        node[path[-1]] = value


def sensitive_paths(kind: str, body: Mapping[str, Any], extra: Iterable[str] = ()) -> list[str]:
    """Declared secret paths plus `extra` (from `${ENV}`) that hold a string in `body`, sorted."""
    paths = set(declared_paths(kind, body))
    for dotted in extra:
        path = resolve(body, dotted)
        if path is not None and isinstance(get_path(body, path), str) and path[0] != "name":
            paths.add(".".join(path))
    return sorted(paths)


def env_name(*parts: str) -> str:
    """An environment variable name made of `parts` (`crm`, `X-Api-Key` -> CRM_X_API_KEY)."""
    text = "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_") for p in parts if p)
    text = re.sub(r"_+", "_", text).upper() or "SECRET"
    return text if not text[0].isdigit() else f"_{text}"


# (salt, sha256 of a value) -> its fingerprint: a compile and its plan hash each value once.
_STABLE: dict[tuple[bytes, bytes], str] = {}


def hashable_view(
    kind: str, body: Mapping[str, Any], sensitive: Iterable[str], context: str
) -> Mapping[str, Any]:
    """`body` with each sensitive value replaced by a stable fingerprint, for published hashes.

    A hash that others read (the `aia.spec_hash` label, a plan file's state hash) must
    still change when a secret changes, yet must not let a reader test guesses at the
    cost of one sha256 each: the value enters it as a memory-hard digest, salted by
    `context` (the resource's address) and the path, so equal inputs give equal hashes.
    """
    paths = sensitive_paths(kind, body, sensitive)
    if not paths:
        return body
    out = copy.deepcopy(dict(body))
    for dotted in paths:
        path = resolve(out, dotted)
        if path is None:
            continue
        value = str(get_path(out, path))
        salt = hashlib.sha256(f"aiagentics-hash\0{context}\0{dotted}".encode()).digest()[:16]
        key = (salt, hashlib.sha256(value.encode("utf-8")).digest())
        if key not in _STABLE:
            if len(_STABLE) >= 4096:
                _STABLE.clear()
            _STABLE[key] = fingerprint(value, salt)
        set_path(out, path, _STABLE[key])
    return out
