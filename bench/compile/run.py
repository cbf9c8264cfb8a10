"""Benchmark: validate+compile of generated projects next to a bare PyYAML C-loader parse of the same files.

    python bench/compile/run.py [--sizes 500,1000,2000,4000] [--repeat 3]

Each project holds N resources, half agents and half tools, one per file; every
agent references three tools and renders its instructions from a template
(inline with vars, or a shared file that extends and includes others). The
baseline reads the same files and parses them with `yaml.load_all(...,
Loader=yaml.CSafeLoader)`, in the same run. Reported times are the best of
`--repeat` runs. The last column is a recompile of the unchanged project with a
`ParseCache` (what `aia dev` can do on each reload).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import yaml

from aiagentics.compiler import ParseCache, compile_project
from aiagentics.project import load_project

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
    You are {{{{ agent.name }}}} of {{{{ vars.company }}}} ({{{{ env }}}}).
    Use your tools before answering. Team: {{{{ agent.labels.team }}}}.
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
  instructions_template: role-{role}.j2
  tools: [{tools}]
  guardrails: {{max_steps: 6}}
"""

CONFIG = """[project]
name = "bench"
paths = ["agents", "tools"]

[vars]
company = "Acme"

[models]
reasoning-pro = "openai/gpt-4.1"
"""


def generate(root: Path, resources: int) -> None:
    """Write a project of `resources` resources (half agents, half tools) under `root`."""
    (root / "agents").mkdir(parents=True)
    (root / "tools").mkdir()
    (root / "templates").mkdir()
    (root / "aiagentics.toml").write_text(CONFIG)
    (root / "templates/base.j2").write_text(
        "You work for {{ vars.company }}.\n{% block body %}{% endblock %}\n{% include 'footer.j2' %}\n"
    )
    (root / "templates/footer.j2").write_text("Never share secrets. Agent: {{ agent.name }}.")
    for role in range(10):
        (root / f"templates/role-{role}.j2").write_text(
            "{% extends 'base.j2' %}{% block body %}Role " + str(role) + " of {{ agent.name }}."
            "{% endblock %}"
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
        template = AGENT_INLINE if i % 2 == 0 else AGENT_FILE
        (root / f"agents/agent-{i}.yaml").write_text(
            template.format(i=i, team=i % 7, tools=names, t0=picks[0], role=i % 10)
        )


def bare_parse(root: Path) -> int:
    """The baseline: read every spec file and parse it with PyYAML's C loader."""
    count = 0
    for folder in ("agents", "tools"):
        for path in sorted((root / folder).glob("*.yaml")):
            count += len(
                list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
            )
    return count


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,1000,2000,4000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'resources':>9}  {'validate+compile s':>18}  {'bare C parse s':>14}  {'ratio':>5}"
        f"  {'bare, GC paused s':>17}  {'ratio':>5}  {'us/resource':>11}  {'recompile, cached s':>19}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            root = Path(tmp) / f"p{size}"
            generate(root, size)
            project = load_project(root)
            compile_s, result = best_of(
                args.repeat,
                lambda: compile_project(project, environ={}),  # noqa: B023
            )
            parse_s, parsed = best_of(args.repeat, lambda: bare_parse(root))  # noqa: B023
            # the compiler pauses the cyclic GC while it runs: show the baseline that way too
            gc.disable()
            try:
                paused_s, _ = best_of(args.repeat, lambda: bare_parse(root))  # noqa: B023
            finally:
                gc.enable()
            cache = ParseCache()
            compile_project(project, environ={}, cache=cache)
            touch_s, _ = best_of(
                args.repeat,
                lambda: compile_project(project, environ={}, cache=cache),  # noqa: B023
            )
            assert result.state is not None, result.diagnostics[:3]
            assert len(result.state.resources) == size == parsed
            print(
                f"{size:>9}  {compile_s:>18.3f}  {parse_s:>14.3f}  {compile_s / parse_s:>5.2f}"
                f"  {paused_s:>17.3f}  {compile_s / paused_s:>5.2f}  {compile_s / size * 1e6:>11.0f}"
                f"  {touch_s:>19.3f}"
            )


if __name__ == "__main__":
    main()
