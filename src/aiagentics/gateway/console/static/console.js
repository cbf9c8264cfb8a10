// The console's only script (no inline scripts: the CSP forbids them). Every value from a run
// is put on the page with textContent or as an attribute, never as HTML.
"use strict";

(function () {
  const TERMINAL = ["run.completed", "run.failed", "run.cancelled"];

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function postJSON(url, body) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const message = (data.error && data.error.message) || res.statusText;
      throw new Error(message);
    }
    return data;
  }

  function localTimes() {
    document.querySelectorAll("time[data-ts]").forEach((t) => {
      const ts = Number(t.getAttribute("data-ts"));
      if (ts) t.textContent = new Date(ts * 1000).toLocaleString();
    });
  }

  // One input per property of the tool's JSON Schema (its arguments, read-only), then the
  // output the person answers with (JSON when it parses, else the text).
  function actionForm(box, runId, action, schemas, onSent) {
    box.textContent = "";
    const calls = (action && action.tool_calls) || [];
    const form = el("form", "action-form");
    form.id = "tool-form";
    form.appendChild(el("h3", "", "The run waits for a client tool"));
    calls.forEach((call, i) => {
      const fs = el("fieldset", "tool-call");
      fs.appendChild(el("legend", "", call.name + " (" + call.id + ")"));
      const schema = schemas[call.name] || { type: "object", properties: {} };
      const args = call.arguments || {};
      Object.entries(schema.properties || {}).forEach(([name, prop]) => {
        const label = el("label", "", name + (prop && prop.type ? " (" + prop.type + ")" : ""));
        const input = el("input");
        input.readOnly = true;
        input.value = args[name] === undefined ? "" : typeof args[name] === "string" ? args[name] : JSON.stringify(args[name]);
        label.appendChild(input);
        fs.appendChild(label);
      });
      const out = el("label", "", "Output");
      const area = el("textarea");
      area.name = "output";
      area.id = "tool-output-" + i;
      area.rows = 2;
      area.dataset.callId = call.id;
      area.required = true;
      out.appendChild(area);
      fs.appendChild(out);
      form.appendChild(fs);
    });
    const send = el("button", "", "Submit outputs");
    send.type = "submit";
    send.id = "tool-submit";
    form.appendChild(send);
    const err = el("p", "error hidden");
    form.appendChild(err);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const outputs = Array.from(form.querySelectorAll("textarea")).map((a) => {
        let value = a.value;
        try { value = JSON.parse(a.value); } catch (_) { /* plain text */ }
        return { tool_call_id: a.dataset.callId, output: value };
      });
      send.disabled = true;
      try {
        await postJSON("/console/runs/" + encodeURIComponent(runId) + "/submit_tool_outputs", { tool_outputs: outputs });
        box.textContent = "";
        if (onSent) onSent();
      } catch (e) {
        err.textContent = e.message;
        err.classList.remove("hidden");
        send.disabled = false;
      }
    });
    box.appendChild(form);
  }

  // Follow a run's events: tokens appended as they arrive, tool calls listed, the client-tool
  // form on requires_action; `done(event)` once the run ends.
  function follow(runId, after, ui) {
    const url = "/console/runs/" + encodeURIComponent(runId) + "/events?after=" + (after || 0);
    const source = new EventSource(url);
    const on = (name, fn) => source.addEventListener(name, (m) => fn(JSON.parse(m.data)));
    const status = (s) => { if (ui.status) { ui.status.textContent = s; ui.status.className = "status s-" + s; } };
    on("run.created", (d) => status(d.status || "in_progress"));
    on("token", (d) => { ui.output.textContent += d.delta; });
    on("tool.requested", (d) => {
      ui.events.appendChild(el("div", "event tool", "→ " + d.tool + " " + JSON.stringify(d.args)));
    });
    on("tool.completed", (d) => {
      const text = "← " + d.tool + (d.is_error ? " failed" : "") + " in " + Math.round(d.latency_ms) + " ms: " + JSON.stringify(d.output);
      ui.events.appendChild(el("div", "event tool-done" + (d.is_error ? " failed" : ""), text));
    });
    on("run.requires_action", (d) => {
      status("requires_action");
      if (ui.action) {
        actionForm(ui.action, runId, d.required_action, ui.schemas || {}, () => status("in_progress"));
      }
    });
    TERMINAL.forEach((name) => on(name, (d) => {
      source.close();
      status(d.status || name.split(".")[1]);
      if (d.error && ui.events) ui.events.appendChild(el("div", "event error", (d.error.code || "error") + ": " + (d.error.message || "")));
      if (ui.done) ui.done(d);
    }));
    source.onerror = () => { if (source.readyState === EventSource.CLOSED && ui.status) status("disconnected"); };
    return source;
  }

  function schemas() {
    const block = document.getElementById("client-tools");
    if (!block) return {};
    try { return JSON.parse(block.textContent || "{}") || {}; } catch (_) { return {}; }
  }

  function agentPage() {
    const form = document.getElementById("try-form");
    if (!form) return;
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const input = document.getElementById("try-input");
      const box = document.getElementById("try-run");
      const output = document.getElementById("try-output");
      const events = document.getElementById("try-events");
      output.textContent = "";
      events.textContent = "";
      box.classList.remove("hidden");
      try {
        const run = await postJSON("/console/agents/" + encodeURIComponent(form.dataset.agent) + "/runs", { input: input.value });
        const link = document.getElementById("try-link");
        link.textContent = run.id;
        link.setAttribute("href", run.url);
        follow(run.id, 0, {
          output, events,
          status: document.getElementById("try-status"),
          action: document.getElementById("try-action"),
          schemas: schemas(),
        });
      } catch (e) {
        events.appendChild(el("div", "event error", e.message));
      }
    });
  }

  function runPage() {
    const live = document.getElementById("live");
    if (live) {
      follow(live.dataset.run, Number(live.dataset.after || 0), {
        output: document.getElementById("live-output"),
        events: document.getElementById("live-events"),
        status: document.getElementById("run-status"),
        action: document.getElementById("client-tools") ? document.getElementById("live-action") : null,
        schemas: schemas(),
        done: () => window.setTimeout(() => window.location.reload(), 300),
      });
    }
    const openStep = () => {
      const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
      if (target && target.tagName === "DETAILS") target.open = true;
    };
    window.addEventListener("hashchange", openStep);
    openStep();
  }

  function runsPage() {
    const rows = document.getElementById("runs-rows");
    if (!rows) return;
    // Live list: the server renders (and escapes) the rows; they replace the old ones.
    window.setInterval(async () => {
      if (document.hidden) return;
      const res = await fetch(rows.dataset.live, { credentials: "same-origin" });
      if (res.redirected) { window.location.assign("/console/login"); return; }  // session ended
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString("<table><tbody>" + (await res.text()) + "</tbody></table>", "text/html");
      const fresh = doc.querySelector("tbody");
      if (fresh) { rows.replaceChildren(...fresh.children); localTimes(); }
    }, 2000);
    document.querySelectorAll("#run-filters select").forEach((s) => s.addEventListener("change", () => s.form.submit()));
  }

  document.addEventListener("DOMContentLoaded", () => {
    localTimes();
    const page = document.body.dataset.page;
    if (page === "agent") agentPage();
    if (page === "run") runPage();
    if (page === "runs") runsPage();
  });
})();
