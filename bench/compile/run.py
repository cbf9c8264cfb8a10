"""Benchmark: validate+compile of generated projects next to a bare PyYAML C-loader parse of the same files.

    python bench/compile/run.py [--sizes 500,2000,4000] [--repeat 3]

Each project holds N resources, half agents and half tools, one per file; every
agent references three tools and has its own instructions of a few hundred
words, as real prompts do: 50% plain text (half of them with a JSON example in
braces), 20% with `{{ vars.x }}` and `{{ agent.name }}`, 10% with `{% if %}` on
the environment and a `{# #}` note, 5% including a shared policy template, 10%
a shared role template file that extends a base and includes a footer, 5%
their own template file (which includes the footer).

The baseline reads the same files and parses them with `yaml.load_all(...,
Loader=yaml.CSafeLoader)`, in the same run, and every figure is also given as a
ratio to it. Columns:
  - no cache: compile with the persistent template cache off (`aia validate --no-cache`)
  - cold: with an empty cache folder (the first run; it fills the cache)
  - warm: with the cache the cold run left, nothing changed (a later `aia validate`)
  - dev reload: a recompile of the unchanged project with a `ParseCache` (`aia dev`)
Times are the best of `--repeat` rounds, each round running every column once
(so a change in the machine's load touches them alike); by default the process's
CPU time (user + system, file reads included), which other processes competing
for the cores disturb far less than wall time; `--clock wall` for wall time.
Each compile starts from a new cache object, so only what is on disk carries
over between runs, as between processes.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from aiagentics.compiler import ParseCache, compile_project
from aiagentics.project import load_project

try:  # absent before the persistent cache existed: the bench then shows "no cache" only
    from aiagentics.compiler import TemplateCache
except ImportError:  # pragma: no cover
    TemplateCache = None  # type: ignore[assignment,misc]

TOOL = """apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: tool-{i}
  labels: {{team: team-{team}}}
spec:
  type: {type}
  description: Looks up record {i} and returns its status.
  parameters:
    type: object
    properties:
      record_id: {{type: string, description: The record id}}
      verbose: {{type: boolean}}
    required: [record_id]
{extra}"""

HTTP_EXTRA = """  handler_url: https://records.example.com/v1/lookup/{i}
  method: POST
  headers:
    Authorization: Bearer ${{RECORDS_TOKEN:-dev}}
  timeout_seconds: 10
"""

AGENT_INLINE = """apiVersion: aiagentics.io/v1
kind: Agent
metadata:
  name: agent-{i}
  description: Agent number {i}
  labels: {{team: team-{team}, tier: gold}}
spec:
  model: scripted
  instructions: |
{instructions}
  tools: [{tools}]
  guardrails: {{max_steps: 8, timeout_seconds: 60}}
  model_options:
    temperature: 0.2
    script:
      - tool_calls: [{{name: tool-{t0}, arguments: {{record_id: r{i}}}}}]
      - content: Record r{i} is fine.
"""

AGENT_FILE = """apiVersion: aiagentics.io/v1
kind: Agent
metadata:
  name: agent-{i}
  description: Agent number {i}
  labels: {{team: team-{team}}}
spec:
  model: reasoning-pro
  instructions_template: {template}
  tools: [{tools}]
  guardrails: {{max_steps: 6}}
"""

CONFIG = """[project]
name = "bench"
paths = ["agents", "tools"]

[vars]
company = "Acme"
product = "Ledger"
support_hours = "9-17 CET"
strict = true

[env.prod.vars]
strict = true

[models]
reasoning-pro = "openai/gpt-4.1"
"""

WORDS = (  # noqa: SIM905 (one string reads better than 70 quoted words)
    "account invoice customer refund policy order shipment record status ticket escalate "
    "verify identity summary answer question tool search lookup careful concise polite "
    "never always before after check confirm explain reason step detail amount date "
    "balance payment card transfer fraud risk review approve decline notify team manager "
    "report issue error retry timeout limit quota region language tone brief formal "
    "friendly apologise clarify missing field value format table list bullet example"
).split()


def prose(rng: random.Random, words: int) -> list[str]:
    """Paragraph lines of about `words` words, different for every seed."""
    lines, count = [], 0
    while count < words:
        n = rng.randint(8, 16)
        sentence = " ".join(rng.choice(WORDS) for _ in range(n))
        lines.append(sentence[0].upper() + sentence[1:] + ".")
        count += n
    return lines


def instructions(i: int, all_jinja: bool = False) -> str:
    """Agent i's own inline instructions (some with template syntax), a few hundred words."""
    rng = random.Random(i)
    lines = prose(rng, rng.randint(200, 400))
    kind = (14, 16)[i % 2] if all_jinja else i % 20
    if kind < 5:
        lines.insert(2, 'Reply with JSON only, like {"status": "ok", "record": "r1"}.')
    elif 10 <= kind < 14:
        lines.insert(0, "You are {{ agent.name }}, an assistant of {{ vars.company }}.")
        lines.insert(len(lines) // 2, "Team {{ agent.labels.team }} owns {{ vars.product }}.")
        lines.append("Support hours: {{ vars.support_hours }}.")
    elif kind in (14, 15):
        lines.insert(0, "{# reviewed by the prompt owners #}")
        lines.insert(
            3,
            "{% if env == 'prod' %}Real customers: double-check every amount."
            "{% else %}Test data only.{% endif %}",
        )
        lines.append("{% if vars.strict %}Refuse anything outside {{ vars.product }}.{% endif %}")
    elif kind == 16:
        lines.append("{% include 'policy.j2' %}")
        lines.insert(1, "Speak for {{ vars.company }}.")
    return "\n".join("    " + line for line in lines)


def generate(root: Path, resources: int, all_jinja: bool = False) -> None:
    """Write a project of `resources` resources (half agents, half tools) under `root`.

    `all_jinja`: every inline prompt has an `{% if %}` or an `{% include %}` (the worst case).
    """
    (root / "agents").mkdir(parents=True)
    (root / "tools").mkdir()
    (root / "templates").mkdir()
    (root / "aiagentics.toml").write_text(CONFIG)
    (root / "templates/base.j2").write_text(
        "You work for {{ vars.company }}.\n{% block body %}{% endblock %}\n{% include 'footer.j2' %}\n"
    )
    (root / "templates/footer.j2").write_text("Never share secrets. Agent: {{ agent.name }}.")
    (root / "templates/policy.j2").write_text(
        "\n".join(prose(random.Random(-1), 120)) + "\nEscalate to {{ vars.company }} staff.\n"
    )
    for role in range(10):
        (root / f"templates/role-{role}.j2").write_text(
            "{% extends 'base.j2' %}{% block body %}Role "
            + str(role)
            + " of {{ agent.name }}.\n"
            + "\n".join(prose(random.Random(-2 - role), 200))
            + "{% endblock %}"
        )
    tools = resources // 2
    for i in range(tools):
        kind = "http" if i % 2 == 0 else "client"
        extra = HTTP_EXTRA.format(i=i) if kind == "http" else ""
        (root / f"tools/tool-{i}.yaml").write_text(
            TOOL.format(i=i, team=i % 7, type=kind, extra=extra)
        )
    for i in range(resources - tools):
        picks = [(i * 3 + k) % tools for k in range(3)]
        names = ", ".join(f"tool-{p}" for p in picks)
        fields: dict[str, Any] = {"i": i, "team": i % 7, "tools": names, "t0": picks[0]}
        if i % 20 in (17, 18):
            text = AGENT_FILE.format(template=f"role-{i % 10}.j2", **fields)
        elif i % 20 == 19:
            own = f"agent-{i}.j2"
            (root / "templates" / own).write_text(
                "Agent {{ agent.name }} of {{ vars.company }}.\n"
                + "\n".join(prose(random.Random(i), 250))
                + "\n{% include 'footer.j2' %}\n"
            )
            text = AGENT_FILE.format(template=own, **fields)
        else:
            text = AGENT_INLINE.format(instructions=instructions(i, all_jinja), **fields)
        (root / f"agents/agent-{i}.yaml").write_text(text)


def bare_parse(root: Path) -> int:
    """The baseline: read every spec file and parse it with PyYAML's C loader."""
    count = 0
    for folder in ("agents", "tools"):
        for path in sorted((root / folder).glob("*.yaml")):
            count += len(
                list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
            )
    return count


CLOCK = time.process_time


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds by CLOCK, result) of one call, started with nothing left for the collector."""
    gc.collect()
    start = CLOCK()
    result = fn()
    return CLOCK() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000,4000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    parser.add_argument(
        "--all-jinja",
        action="store_true",
        help="every inline prompt needs Jinja (an if or an include): the worst case for cold",
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    sizes = [int(s) for s in args.sizes.split(",")]
    cached = (
        TemplateCache is not None
        and "template_cache" in inspect.signature(compile_project).parameters
    )
    names = ["bare", "no cache", *(["cold", "warm"] if cached else []), "dev reload"]
    header = f"{'resources':>9}  {'bare parse s':>12}"
    for name in names[1:]:
        header += f"  {name + ' s':>{max(8, len(name) + 2)}}  {'ratio':>5}"
    mix = "every inline prompt with an if or include" if args.all_jinja else "the usual mix"
    print(f"{args.clock} seconds, best of {args.repeat}, {mix}")
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            root = Path(tmp) / f"p{size}"
            generate(root, size, args.all_jinja)
            store = Path(tmp) / f"cache{size}"
            project = load_project(root)
            dev = ParseCache()
            compile_project(project, environ={}, cache=dev)

            def compile_with(folder: Path | None) -> Any:
                if not cached:
                    return compile_project(project, environ={})  # noqa: B023
                cache = TemplateCache(folder) if folder is not None else None
                return compile_project(project, environ={}, template_cache=cache)  # noqa: B023

            def cold() -> Any:
                shutil.rmtree(store, ignore_errors=True)  # noqa: B023
                return timed(lambda: compile_with(store))  # noqa: B023

            runs: dict[str, Callable[[], tuple[float, Any]]] = {
                "bare": lambda: timed(lambda: bare_parse(root)),  # noqa: B023
                "no cache": lambda: timed(lambda: compile_with(None)),
                "cold": cold,  # fills the cache the warm run then reads
                "warm": lambda: timed(lambda: compile_with(store)),  # noqa: B023
                "dev reload": lambda: timed(
                    lambda: compile_project(project, environ={}, cache=dev)  # noqa: B023
                ),
            }
            # round by round, so that a change in the machine's load touches every column alike
            best = dict.fromkeys(names, float("inf"))
            last: dict[str, Any] = {}
            for _ in range(args.repeat):
                for name in names:
                    last.pop(name, None)
                    seconds, last[name] = runs[name]()
                    best[name] = min(best[name], seconds)
            assert last["bare"] == size, last["bare"]
            states = [last[name].state for name in names[1:]]
            assert states[0] is not None, last["no cache"].diagnostics[:3]
            assert all(state == states[0] for state in states), "a cache changed the result"
            assert len(states[0].resources) == size
            row = f"{size:>9}  {best['bare']:>12.3f}"
            for name in names[1:]:
                row += (
                    f"  {best[name]:>{max(8, len(name) + 2)}.3f}  {best[name] / best['bare']:>5.2f}"
                )
            print(row, flush=True)


if __name__ == "__main__":
    main()
