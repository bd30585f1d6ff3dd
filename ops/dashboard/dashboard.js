// The operator's dashboard: plain browser JavaScript, no build step. It signs
// in through the API's own login, follows /ops/api/events (Server-Sent Events,
// read with fetch so the token goes in a header), and calls /ops/api for the
// rest. Every value from the server goes into the page as text, never as HTML.

const TOKEN_KEY = "ops.accessToken";
const SAGA_STATES = ["RUNNING", "COMPENSATING", "NEEDS_ATTENTION", "COMPLETED", "FAILED"];
const FINAL_STATES = new Set(["COMPLETED", "FAILED"]);
const SAGAS_PER_PAGE = 20;
const RECONNECT_MS = 2_000;

const $ = (id) => document.getElementById(id);

const session = {
  token: sessionStorage.getItem(TOKEN_KEY),
  stream: null,
};
const view = { page: 0, filter: {}, sagaId: null, deadLetterTopic: null, listing: false };

// ---- talking to the gateway ----

class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw await refusal(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** The gateway's one error shape as an ApiError; a 401 also signs out. */
async function refusal(response) {
  const body = await response.json().catch(() => null);
  const error = body?.error ?? { status: response.status, type: "ERROR", message: response.statusText };
  if (response.status === 401) signOut("Your session has ended; sign in again.");
  return new ApiError(error.status, error.type, error.message);
}

const describe = (error) => (error instanceof ApiError ? `${error.status} ${error.type}: ${error.message}` : String(error.message ?? error));

function notify(message, kind = "info") {
  const notice = $("notice");
  notice.textContent = message;
  notice.className = kind;
  notice.hidden = !message;
}

// ---- signing in and out ----

async function signIn(email, password) {
  const tokens = await call("POST", "/api/v1/account/auth/login", { email, password });
  session.token = tokens.access_token;
  try {
    // Whether this account may use the dashboard at all: anything but an operator is a 403.
    await call("GET", "/ops/api/overview");
  } catch (error) {
    session.token = null;
    throw error;
  }
  sessionStorage.setItem(TOKEN_KEY, session.token);
  show();
}

function signOut(message) {
  session.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  session.stream?.abort();
  session.stream = null;
  notify(message ?? "");
  show();
}

function show() {
  const signedIn = Boolean(session.token);
  $("login").hidden = signedIn;
  $("dashboard").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  $("who").textContent = signedIn ? `signed in as ${subjectOf(session.token)}` : "";
  if (signedIn && !session.stream) {
    follow();
    void refreshSagas();
  }
}

function subjectOf(token) {
  try {
    return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub;
  } catch {
    return "?";
  }
}

// ---- the live overview ----

/** Reads the overview stream until it ends, then reconnects (while signed in). */
async function follow() {
  const controller = new AbortController();
  session.stream = controller;
  try {
    const response = await fetch("/ops/api/events", { headers: { Authorization: `Bearer ${session.token}` }, signal: controller.signal });
    if (!response.ok) throw await refusal(response);
    $("live").hidden = false;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        onEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return;
    notify(`live updates interrupted: ${describe(error)}`, "error");
  } finally {
    $("live").hidden = true;
  }
  if (session.stream === controller) {
    session.stream = null;
    setTimeout(() => session.token && !session.stream && follow(), RECONNECT_MS);
  }
}

function onEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join("\n"));
  if (event === "overview") {
    renderOverview(payload);
    void refreshSagas();
    // A saga that has ended changes no more.
    if (view.sagaId && !FINAL_STATES.has($("timeline").dataset.status)) void refreshTimeline();
  } else if (event === "problem") {
    notify(payload.message, "error");
  }
}

function renderOverview(overview) {
  renderCounts(overview.sagas);
  renderThroughput(overview.throughput);
  renderOutbox(overview.outbox);
  renderConsumers(overview.consumers);
  renderDeadLetterCounts(overview.deadLetters);
  renderReplays(overview.replays);
  $("problems").hidden = overview.problems.length === 0;
  fill(
    $("problem-list"),
    overview.problems.map((problem) => element("li", problem)),
  );
}

// Unfinished sagas are counted all; ended ones (COMPLETED, FAILED) since counts.endedSince.
function renderCounts(counts) {
  const since = counts ? ` since ${new Date(counts.endedSince).toLocaleTimeString(undefined, { hour12: false, hour: "2-digit", minute: "2-digit" })}` : "";
  fill(
    $("counts"),
    SAGA_STATES.map((state) => {
      const tile = element("button", null, { type: "button", class: `tile state-${state}`, "data-state": state, title: `List ${state} sagas` });
      const ended = state === "COMPLETED" || state === "FAILED";
      tile.append(
        element("span", counts ? String(counts.byStatus[state]) : "?", { class: "count" }),
        element("span", `${state.replace("_", " ").toLowerCase()}${ended ? since : ""}`, { class: "label" }),
      );
      tile.addEventListener("click", () => {
        $("saga-filter").elements.status.value = state;
        searchSagas();
      });
      return tile;
    }),
  );
}

function renderThroughput(series) {
  sparkline($("spark-completed"), series.completed);
  sparkline($("spark-failed"), series.failed);
  const latest = (values) => (values.length ? values[values.length - 1].toFixed(1) : "–");
  $("rate-completed").textContent =
    `${latest(series.completed)}/s now (every ${series.intervalSeconds} s, last ${Math.round((series.completed.length * series.intervalSeconds) / 60)} min)`;
  $("rate-failed").textContent = `${latest(series.failed)}/s now`;
}

function sparkline(svg, values) {
  const width = 240;
  const height = 40;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(" ");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points || `0,${height - 2} ${width},${height - 2}`);
  svg.replaceChildren(line);
}

function renderOutbox(rows) {
  fill(
    $("outbox-rows"),
    rows.map((row) =>
      "error" in row
        ? tableRow([row.database, { text: row.error, colspan: 5, class: "error" }])
        : tableRow([
            row.database,
            row.rowsKeptEstimated ? `≈${row.rowsKept}` : row.rowsKept,
            { text: String(row.rowsWaiting), class: row.rowsWaiting > 0 ? "warn" : "" },
            row.oldestWaitingAt ? `${age(row.oldestWaitingAt)} ago` : "–",
            row.slotActive === null ? "no slot" : row.slotActive ? `active, ${bytes(row.slotLagBytes)} unconfirmed WAL` : "inactive",
            row.flow
              ? { text: row.flow.remedy ? `${row.flow.state}: ${row.flow.remedy}` : row.flow.state, class: row.flow.state === "flowing" ? "" : "warn" }
              : "–",
          ]),
    ),
  );
  const select = $("replay-form").elements.database;
  if (select.options.length === 0) for (const row of rows) select.append(element("option", row.database, { value: row.database }));
}

function renderConsumers(lags) {
  fill(
    $("consumer-rows"),
    lags === null
      ? [tableRow([{ text: "not readable now", colspan: 3 }])]
      : lags.map((l) => tableRow([l.group, l.topic, { text: String(l.messages), class: l.messages > 0 ? "warn" : "" }])),
  );
}

function renderDeadLetterCounts(counts) {
  if (counts === null) return fill($("dead-letter-counts"), [tableRow([{ text: "not readable now", colspan: 4 }])]);
  fill(
    $("dead-letter-counts"),
    counts.map((c) => {
      const open = element("button", "Show", { type: "button", "data-topic": c.topic });
      open.addEventListener("click", () => showDeadLetters(c.topic));
      return tableRow([c.topic, { text: String(c.kept), class: c.kept > c.requeued ? "warn" : "" }, c.requeued, { node: open }]);
    }),
  );
}

function renderReplays(replays) {
  fill(
    $("replay-rows"),
    replays.map((r) => {
      const cell = element("span");
      if (r.progress) {
        cell.append(element("progress", null, { value: String(r.progress.chunksRead), max: String(r.progress.chunksNeeded) }));
        cell.append(` ${r.progress.chunksRead}/${r.progress.chunksNeeded} chunks${r.progress.done ? ", done" : ""}`);
      } else cell.append("not read yet");
      return tableRow([r.database, `${time(r.from)} – ${time(r.to)}`, r.rows, r.requestedBy, { node: cell }], {
        "data-signal": r.signalId,
        "data-done": String(Boolean(r.progress?.done)),
      });
    }),
  );
}

// ---- sagas: the list and one saga's timeline ----

function searchSagas() {
  const form = $("saga-filter").elements;
  const filter = {};
  for (const name of ["status", "id", "customerId"]) if (form[name].value.trim()) filter[name] = form[name].value.trim();
  for (const name of ["changedSince", "changedBefore"]) if (form[name].value) filter[name] = new Date(form[name].value).toISOString();
  view.filter = filter;
  view.page = 0;
  void refreshSagas();
}

async function refreshSagas() {
  if (view.listing) return;
  view.listing = true;
  try {
    // One more than a page tells whether there is a next one.
    const query = new URLSearchParams({ ...view.filter, limit: String(SAGAS_PER_PAGE + 1), offset: String(view.page * SAGAS_PER_PAGE) });
    const sagas = await call("GET", `/ops/api/sagas?${query}`);
    $("saga-filter-error").hidden = true;
    fill(
      $("saga-rows"),
      sagas.slice(0, SAGAS_PER_PAGE).map((saga) => {
        const row = tableRow(
          [
            { node: shortId(saga.id) },
            { text: saga.status, class: `state-${saga.status}` },
            saga.stepName ?? "–",
            saga.attempt,
            { node: shortId(saga.data?.customerId ?? "") },
            time(saga.updatedAt),
          ],
          {
            "data-saga-id": saga.id,
            "data-status": saga.status,
            class: saga.id === view.sagaId ? "selected" : "",
          },
        );
        row.addEventListener("click", () => openSaga(saga.id));
        return row;
      }),
    );
    $("page-number").textContent = `page ${view.page + 1}`;
    $("page-previous").disabled = view.page === 0;
    $("page-next").disabled = sagas.length <= SAGAS_PER_PAGE;
  } catch (error) {
    $("saga-filter-error").textContent = describe(error);
    $("saga-filter-error").hidden = false;
  } finally {
    view.listing = false;
  }
}

function openSaga(id) {
  view.sagaId = id;
  $("related").hidden = true;
  for (const row of $("saga-rows").children) row.classList.toggle("selected", row.dataset.sagaId === id);
  void refreshTimeline();
}

const KIND_LABELS = {
  saga_started: "saga started",
  command_sent: "command sent",
  reply_accepted: "reply",
  reply_ignored: "reply ignored",
  event_ignored: "event ignored",
  deadline_passed: "deadline passed",
  step_failed: "step failed",
  compensation_skipped: "compensation skipped",
  step_compensated: "compensated",
  saga_parked: "parked",
  operator_retry: "operator retry",
  operator_abort: "operator abort",
  cancel_accepted: "cancelled",
  cancel_refused: "cancel refused",
  saga_completed: "completed",
  saga_failed: "failed",
};

async function refreshTimeline() {
  const id = view.sagaId;
  let saga;
  try {
    saga = await call("GET", `/ops/api/sagas/${encodeURIComponent(id)}`);
  } catch (error) {
    return notify(`saga ${id}: ${describe(error)}`, "error");
  }
  if (view.sagaId !== id) return;
  $("timeline").hidden = false;
  $("timeline").dataset.status = saga.status;
  $("timeline-id").textContent = saga.id;
  $("timeline-status").textContent = saga.status;
  $("timeline-status").className = `state-${saga.status}`;
  $("timeline-step").textContent = saga.stepName ?? "no step";
  $("timeline-attempt").textContent = String(saga.attempt);
  $("timeline-reason").textContent = saga.failureReason ?? "";
  $("timeline-reason").hidden = !saga.failureReason;
  $("retry").hidden = $("abort").hidden = saga.status !== "NEEDS_ATTENTION";
  const start = saga.log.length ? Date.parse(saga.log[0].at) : 0;
  let previous = start;
  fill(
    $("timeline-entries"),
    saga.log.map((entry) => {
      const at = Date.parse(entry.at);
      const resend = entry.kind === "command_sent" && Number(entry.detail.attempt) > 1;
      const item = element("li", null, {
        "data-kind": entry.kind,
        class: `kind-${entry.kind}${entry.detail.direction === "compensate" ? " compensating" : ""}`,
      });
      item.append(
        element("time", clock(entry.at), { datetime: entry.at, title: time(entry.at) }),
        element("span", `+${span(at - start)}`, { class: "offset", title: "since the saga started" }),
        element("span", resend ? "re-send" : (KIND_LABELS[entry.kind] ?? entry.kind), { class: "kind" }),
        element("span", entry.stepName ?? "", { class: "step" }),
        element("span", summary(entry.detail), { class: "detail" }),
        element("span", `took ${span(at - previous)}`, { class: "duration", title: "since the entry before" }),
      );
      previous = at;
      return item;
    }),
  );
}

/** What an entry records, briefly: the message, its direction and attempt, a reason, who. */
function summary(detail) {
  const parts = [];
  if (detail.type) parts.push(detail.type);
  if (detail.direction) parts.push(detail.direction);
  if (detail.attempt !== undefined) parts.push(`attempt ${detail.attempt}`);
  if (detail.reason) parts.push(detail.reason);
  if (detail.operator) parts.push(`by ${detail.operator}`);
  if (detail.requestedBy) parts.push(`asked by ${detail.requestedBy}`);
  return parts.join(", ");
}

async function retrySaga() {
  const id = view.sagaId;
  if (!confirm(`Retry saga ${id}? Its parked command is sent once more.`)) return;
  try {
    const saga = await call("POST", `/ops/api/sagas/${encodeURIComponent(id)}/retry`, {});
    notify(`Saga ${id} retried: ${saga.status} at ${saga.stepName} (attempt ${saga.attempt}).`);
  } catch (error) {
    notify(`Retry of saga ${id} refused: ${describe(error)}`, "error");
  }
  void refreshTimeline();
}

async function abortSaga() {
  const id = view.sagaId;
  const reason = prompt(`Abort saga ${id}: it ends FAILED, and what is left to undo is yours. Why?`);
  if (reason === null) return;
  if (!reason.trim()) return notify("An abort needs a reason.", "error");
  try {
    const saga = await call("POST", `/ops/api/sagas/${encodeURIComponent(id)}/abort`, { reason });
    notify(`Saga ${id} aborted: ${saga.failureReason}.`);
  } catch (error) {
    notify(`Abort of saga ${id} refused: ${describe(error)}`, "error");
  }
  void refreshTimeline();
}

async function showRelated(what) {
  try {
    const record = await call("GET", `/ops/api/purchases/${encodeURIComponent(view.sagaId)}/${what}`);
    $("related").textContent = record ? JSON.stringify(record, null, 2) : `This purchase has no ${what}.`;
  } catch (error) {
    $("related").textContent = `${what}: ${describe(error)}`;
  }
  $("related").hidden = false;
}

// ---- dead letters ----

async function showDeadLetters(topic) {
  view.deadLetterTopic = topic;
  $("dead-letter-topic").textContent = topic;
  $("dead-letter-list").hidden = false;
  fill($("dead-letter-rows"), [tableRow([{ text: "reading…", colspan: 7 }])]);
  let letters;
  try {
    letters = await call("GET", `/ops/api/dead-letters/${encodeURIComponent(topic)}`);
  } catch (error) {
    return fill($("dead-letter-rows"), [tableRow([{ text: describe(error), colspan: 7, class: "error" }])]);
  }
  if (letters.length === 0) return fill($("dead-letter-rows"), [tableRow([{ text: "none", colspan: 7 }])]);
  fill(
    $("dead-letter-rows"),
    letters.map((letter) => {
      const requeue = element("button", "Requeue", { type: "button" });
      requeue.disabled = Boolean(letter.requeued);
      requeue.addEventListener("click", () => requeueDeadLetter(topic, letter));
      return tableRow(
        [
          letter.partition,
          letter.offset,
          letter.type ?? "",
          { node: element("code", letter.id ?? "") },
          letter.reason ?? "",
          letter.requeued ? `${time(letter.requeued.at)} by ${letter.requeued.by}` : "",
          { node: requeue },
        ],
        { "data-message-id": letter.id ?? "", "data-requeued": String(Boolean(letter.requeued)) },
      );
    }),
  );
}

async function requeueDeadLetter(topic, letter) {
  if (!confirm(`Requeue ${letter.type ?? "message"} ${letter.id ?? ""} to ${letter.originalTopic}? Do it once its cause is fixed.`)) return;
  try {
    await call("POST", `/ops/api/dead-letters/${encodeURIComponent(topic)}/requeue`, { partition: letter.partition, offset: letter.offset });
    notify(`Requeued ${letter.type ?? "message"} ${letter.id ?? ""} to ${letter.originalTopic}.`);
  } catch (error) {
    notify(`Requeue refused: ${describe(error)}`, "error");
  }
  void showDeadLetters(topic);
}

// ---- replay ----

async function requestReplay(event) {
  event.preventDefault();
  const form = $("replay-form").elements;
  const error = $("replay-error");
  const from = new Date(form.from.value);
  const to = new Date(form.to.value);
  error.hidden = true;
  if (!(from < to)) {
    error.textContent = "A replay runs forward: From must come before To.";
    error.hidden = false;
    return;
  }
  try {
    const replay = await call("POST", "/ops/api/outbox/replays", { database: form.database.value, from: from.toISOString(), to: to.toISOString() });
    notify(`Replay of ${replay.database}'s ${replay.rows} outbox rows requested.`);
  } catch (failure) {
    error.textContent = describe(failure);
    error.hidden = false;
  }
}

// ---- small DOM helpers ----

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== null && text !== undefined) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) if (value !== "") node.setAttribute(name, value);
  return node;
}

/** A row; a cell is a value, or { text | node, colspan, class }. */
function tableRow(cells, attributes = {}) {
  const row = element("tr", null, attributes);
  for (const cell of cells) {
    const isSpec = cell !== null && typeof cell === "object";
    const td = element("td", isSpec ? cell.text : cell, isSpec ? { colspan: cell.colspan ? String(cell.colspan) : "", class: cell.class ?? "" } : {});
    if (isSpec && cell.node) td.append(cell.node);
    row.append(td);
  }
  return row;
}

const fill = (parent, children) => parent.replaceChildren(...children);
const time = (iso) => new Date(iso).toLocaleString(undefined, { hour12: false });
/** The time of day to the millisecond, for a timeline whose entries are milliseconds apart. */
const clock = (iso) => `${new Date(iso).toLocaleTimeString(undefined, { hour12: false })}.${String(new Date(iso).getMilliseconds()).padStart(3, "0")}`;
/** A duration: milliseconds up to a second, then seconds. */
const span = (ms) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
/** A UUID's first group, the whole one on hover: enough to tell rows apart. */
const shortId = (id) => element("code", id.split("-")[0], { title: id });

function age(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

function bytes(n) {
  if (n === null || n === undefined) return "?";
  return n < 1024 * 1024 ? `${Math.round(n / 1024)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

// ---- wiring ----

for (const state of SAGA_STATES) $("saga-filter").elements.status.append(element("option", state, { value: state }));
$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target.elements;
  try {
    notify("");
    await signIn(form.email.value, form.password.value);
  } catch (error) {
    notify(describe(error), "error");
  }
});
$("sign-out").addEventListener("click", () => signOut());
$("saga-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  searchSagas();
});
$("page-previous").addEventListener("click", () => {
  view.page = Math.max(0, view.page - 1);
  void refreshSagas();
});
$("page-next").addEventListener("click", () => {
  view.page += 1;
  void refreshSagas();
});
$("retry").addEventListener("click", retrySaga);
$("abort").addEventListener("click", abortSaga);
$("show-order").addEventListener("click", () => showRelated("order"));
$("show-payment").addEventListener("click", () => showRelated("payment"));
$("replay-form").addEventListener("submit", requestReplay);
show();
