// The Baton dashboard: renders GET /api/v1/overview and re-fetches it when
// the conductor pushes an event on /api/v1/events. Builds the DOM with
// textContent only, so nothing a worker or a case reports is ever run as HTML.
"use strict";

(() => {
  const OVERVIEW_URL = "/api/v1/overview";
  const EVENTS_URL = "/api/v1/events";
  const EVENT_NAMES = ["case", "worker", "alert", "check", "escalation", "notification", "remediation", "overview"];
  // Events can arrive many times a second (a heartbeat per worker); the page
  // re-reads the overview at most this often, and always after the last one.
  const REFRESH_AFTER_EVENT_MS = 1000;
  const FALLBACK_REFRESH_MS = 15000;  // heartbeat ages move even when nothing is pushed
  const TOKEN_KEY = "baton.api-token";

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function replace(container, ...children) {
    container.replaceChildren(...children.flat(Infinity).filter((c) => c));
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  }

  function bytes(n) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let value = Number(n) || 0;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
  }

  function time(text) {
    if (!text) return "—";
    const date = new Date(text);
    return isNaN(date) ? text : date.toLocaleString();
  }

  function pill(text, kind) {
    return el("span", { class: `pill pill-${kind || text}`, text });
  }

  function meter(label, percent, detail) {
    const known = percent !== null && percent !== undefined && isFinite(percent);
    const clamped = known ? Math.min(100, Math.max(0, percent)) : 0;
    const fill = el("span");
    fill.style.width = `${clamped}%`;
    return el("div", { class: "meter", title: detail || "" },
      el("span", { text: label }),
      el("div", { class: `bar${clamped >= 90 ? " high" : ""}`, role: "progressbar", "aria-label": label,
        "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(clamped) }, fill),
      el("span", { text: known ? `${Math.round(clamped)}%` : "—" }));
  }

  function table(headers, rows, optional) {
    const head = el("tr", {}, headers.map((h, i) => el("th", { class: optional && optional.includes(i) ? "optional" : null, text: h })));
    const body = rows.map((cells) => el("tr", { "data-id": cells.id }, cells.map((c, i) =>
      el("td", { class: optional && optional.includes(i) ? "optional" : null }, c))));
    return el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, head), el("tbody", {}, body)));
  }

  function empty(text) {
    return el("p", { class: "empty", text });
  }

  // ---- sections ----

  function renderHeader(o) {
    $("conductor-version").textContent = o.conductor ? `conductor ${o.conductor.version}` : "";
    const status = $("overall-status");
    status.textContent = o.status || "unknown";
    status.className = `pill pill-${o.status || "unknown"}`;
    const link = $("management-link");
    if (o.management_url) {
      link.href = o.management_url;
      link.hidden = false;
    } else {
      link.hidden = true;
    }
    const reasons = $("status-reasons");
    reasons.hidden = !(o.reasons && o.reasons.length);
    reasons.textContent = (o.reasons || []).join("; ");
  }

  function renderComponents(o) {
    const c = o.components || {};
    const set = (id, state, text) => {
      const card = $(id);
      card.className = `card component state-${state}`;
      card.querySelector(".value").textContent = text;
    };
    const db = c.database || {};
    set("component-database", db.status || "unknown", db.status === "up" ? "up" : `down${db.error ? ": " + db.error : ""}`);
    set("component-broker", (c.broker || {}).status || "unknown", (c.broker || {}).status === "up" ? "connected" : "disconnected");
    const w = c.workers || {};
    set("component-workers", w.status || "unknown", `${w.online || 0} online, ${w.offline || 0} offline`);
    set("component-uptime", "up", o.conductor ? duration(o.conductor.uptime_s) : "—");
  }

  function scoreClass(score) {
    return score <= 40 ? "score-good" : score <= 70 ? "score-fair" : "score-poor";
  }

  function workerCard(w) {
    const r = w.resources || {};
    const memTotal = Number(r.memory_total_bytes) || 0;
    const memUsed = memTotal ? memTotal - Number(r.memory_available_bytes || 0) : null;
    const disks = (r.disks || []).map((d) => {
      const total = Number(d.total_bytes) || 0;
      const used = Number(d.used_bytes) || 0;
      return meter(`disk ${d.path}`, total ? (100 * used) / total : null, `${bytes(used)} of ${bytes(total)}`);
    });
    const gpus = (r.gpus || []).map((g) => {
      const total = Number(g.memory_total_mib) || 0;
      const used = Number(g.memory_used_mib) || 0;
      return el("li", {}, `GPU ${g.index || 0}: ${Math.round(g.utilization_percent || 0)}% busy, `,
        `${used} / ${total} MiB, ${Math.round(g.temperature_celsius || 0)} °C`);
    });
    const score = w.health_score;
    const online = w.status !== "offline";
    return el("article", { class: "card worker", "data-worker": w.id },
      el("div", { class: "worker-head" },
        el("span", { class: "worker-id", text: w.id }),
        pill(w.status)),
      el("div", { class: "worker-meta muted" },
        `${w.hostname || "unknown host"} · heartbeat ${duration(w.heartbeat_age_s)} ago · `,
        `${w.free_slots}/${w.slots} slots free`,
        w.labels && w.labels.length ? ` · ${w.labels.join(", ")}` : ""),
      online ? el("div", {},
        el("div", { class: "worker-meta" }, "Health ",
          score === null || score === undefined ? el("span", { class: "muted", text: "no sample yet" })
            : el("span", { class: `score ${scoreClass(score)}`,
              title: "0.4×memory + 0.3×CPU + 0.3×load: 0 idle … 100 saturated", text: String(score) })),
        meter("CPU", r.cpu_percent),
        meter("memory", memTotal ? (100 * memUsed) / memTotal : null, memTotal ? `${bytes(memUsed)} of ${bytes(memTotal)}` : ""),
        disks,
        gpus.length ? el("ul", { class: "gpus" }, gpus) : null)
        : el("p", { class: "empty", text: w.offline_reason ? `Offline: ${w.offline_reason}` : "Offline" }));
  }

  function renderWorkers(o) {
    const workers = o.workers || [];
    replace($("workers-list"), workers.length ? workers.map(workerCard) : empty("No workers have registered yet."));
  }

  function progressCell(c) {
    if (c.progress === null || c.progress === undefined) return el("span", { class: "muted", text: c.progress_message || "—" });
    const wrap = meter("", c.progress, c.progress_message);
    wrap.classList.add("progress");
    return wrap;
  }

  function renderActive(o) {
    const active = (o.cases && o.cases.active) || [];
    const rows = active.map((c) => Object.assign([
      el("span", { class: "case-id", text: c.id }),
      c.workflow,
      pill(c.status),
      `${c.step_name || "step"} (#${c.current_step + 1}, attempt ${c.attempt})`,
      c.worker_id || "—",
      progressCell(c),
      duration(c.age_seconds),
    ], { id: c.id }));
    replace($("active-list"), rows.length
      ? table(["Case", "Workflow", "Status", "Current step", "Worker", "Progress", "Age"], rows, [1, 6])
      : empty("No case is running right now."));
  }

  function renderQueued(o) {
    const queued = (o.cases && o.cases.queued) || [];
    const rows = queued.map((c) => Object.assign([
      el("span", { class: "case-id", text: c.id }), c.workflow, String(c.priority), c.message || "", duration(c.age_seconds),
    ], { id: c.id }));
    replace($("queued-list"), rows.length
      ? table(["Case", "Workflow", "Priority", "Why it waits", "Age"], rows, [1, 2])
      : empty("Nothing is waiting."));
  }

  function renderRecent(o) {
    const recent = (o.cases && o.cases.recent) || [];
    const rows = recent.map((c) => Object.assign([
      el("span", { class: "case-id", text: c.id }), c.workflow, pill(c.status), time(c.updated_at), c.message || "",
    ], { id: c.id }));
    replace($("recent-list"), rows.length
      ? table(["Case", "Workflow", "Status", "Finished", "Message"], rows, [1, 4])
      : empty("No case has finished yet."));
  }

  function sparkline(values) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const width = 300;
    const height = 60;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("preserveAspectRatio", "none");
    const max = Math.max(1, ...values);
    const step = values.length > 1 ? width / (values.length - 1) : width;
    const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`);
    const area = document.createElementNS(ns, "polygon");
    area.setAttribute("class", "area");
    area.setAttribute("points", `0,${height} ${points.join(" ")} ${width},${height}`);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    svg.append(area, line);
    return svg;
  }

  function renderThroughput(o) {
    const t = o.throughput || {};
    const values = t.cases_completed_per_min || [];
    const total = values.reduce((a, b) => a + b, 0);
    replace($("sparkline"), sparkline(values.length ? values : [0, 0]));
    $("throughput-caption").textContent =
      `${total} case${total === 1 ? "" : "s"} completed in the last ${t.window_minutes || values.length} minutes` +
      (values.length ? ` (peak ${Math.max(...values)}/min)` : "");
    const counts = (o.cases && o.cases.counts) || {};
    replace($("case-counts"), Object.entries(counts).map(([status, n]) =>
      el("div", {}, el("dt", { text: status }), el("dd", { "data-status": status, text: String(n) }))));
  }

  function alertRow(a) {
    const text = a.summary || a.key;
    const button = el("button", { type: "button", text: a.acknowledged ? "Acked" : "Ack", disabled: !!a.acknowledged,
      onclick: () => ack(a.id, button) });
    return Object.assign([
      pill(a.severity || "unknown", (a.severity || "").toLowerCase()),
      el("span", { class: "alert-text", text }),
      a.worker_id || "—",
      // 0-based in the API (-1: nobody notified yet); L1..L4 to people.
      a.escalation_level >= 0 ? `level ${a.escalation_level + 1}` : "—",
      time(a.first_seen),
      button,
    ], { id: a.id });
  }

  function renderAlerts(o) {
    const open = (o.alerts && o.alerts.open) || [];
    replace($("alerts-list"), open.length
      ? table(["Severity", "Alert", "Where", "Escalation", "Since", ""], open.map(alertRow), [2, 4])
      : empty("No open alerts."));
    const failing = (o.checks && o.checks.failing) || [];
    replace($("checks-list"), failing.length
      ? table(["State", "Check", "Worker", "Output"], failing.map((c) => Object.assign([
        pill(c.state, c.state.toLowerCase()), c.check, c.worker_id, c.output,
      ], { id: `${c.worker_id}/${c.check}` })), [3])
      : empty("No failing checks."));
  }

  async function ack(id, button) {
    const message = $("ack-message");
    const token = $("api-token").value.trim();
    button.disabled = true;
    try {
      const headers = { "Content-Type": "application/json" };
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fetch(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, {
        method: "POST", headers, body: JSON.stringify({ comment: "acknowledged from the dashboard", author: "dashboard" }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(response.status === 401 ? "the API needs a token: type it in the box above" : body.error || `HTTP ${response.status}`);
      message.className = "banner banner-ok";
      message.textContent = `Alert ${id} acknowledged.`;
      scheduleRefresh();
    } catch (error) {
      button.disabled = false;
      message.className = "banner banner-error";
      message.textContent = `Could not acknowledge alert ${id}: ${error.message}`;
    }
    message.hidden = false;
  }

  // ---- data flow ----

  let inFlight = false;
  let again = false;
  let pending = null;

  async function refresh() {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      const response = await fetch(OVERVIEW_URL, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const overview = await response.json();
      for (const render of [renderHeader, renderComponents, renderAlerts, renderWorkers, renderActive, renderQueued, renderThroughput, renderRecent]) {
        try {
          render(overview);
        } catch (error) {
          console.error(`rendering ${render.name} failed`, error);
        }
      }
      $("load-error").hidden = true;
      $("updated-at").textContent = new Date().toLocaleTimeString();
      document.body.dataset.loaded = "true";
    } catch (error) {
      $("load-error").textContent = `Cannot load the overview: ${error.message}`;
      $("load-error").hidden = false;
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        scheduleRefresh();
      }
    }
  }

  function scheduleRefresh() {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      refresh();
    }, REFRESH_AFTER_EVENT_MS);
  }

  function setLive(state) {
    const live = $("live");
    live.textContent = state;
    live.className = `live live-${state}`;
  }

  function subscribe() {
    if (!window.EventSource) {
      setLive("polling");
      return;
    }
    const source = new EventSource(EVENTS_URL);
    source.onopen = () => {
      setLive("live");
      scheduleRefresh();  // whatever changed while disconnected
    };
    source.onerror = () => setLive("reconnecting");
    source.onmessage = scheduleRefresh;
    for (const name of EVENT_NAMES) source.addEventListener(name, scheduleRefresh);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const token = $("api-token");
    token.value = sessionStorage.getItem(TOKEN_KEY) || "";
    token.addEventListener("change", () => sessionStorage.setItem(TOKEN_KEY, token.value.trim()));
    refresh();
    subscribe();
    setInterval(refresh, FALLBACK_REFRESH_MS);
  });
})();
