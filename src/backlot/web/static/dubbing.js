// The dubbing page: browse scripts, hear a line, record (MediaRecorder) or upload,
// follow the job over EventSource, then scores, a pitch plot and feedback; my page.
// What the API gave is kept in `state`, so a language switch redraws it in place.
"use strict";

const state = {
  scripts: null, // the last search's scripts, or null before one
  searched: false, // whether that search had words (no match, rather than no scripts)
  script: null,
  lines: [],
  line: null,
  progress: null, // the job's last progress event
  result: null,
  mine: null, // {overview, dubbed, bookmarks}
  history: null, // {line: {id, text}, items, total}: my attempts at one line
  recorder: null,
  chunks: [],
  source: null,
  message: () => "", // what the status line says, in the current language
};

// The status line, kept as a function so a language switch says it again in the new one.
function tell(message, tone = "info") {
  state.message = message;
  state.tone = tone;
  say(message(), tone);
}

function failed(error) {
  tell(() => i18n.problem(error), "error");
}

// Messages next to the control they are about (a wrong file, a failed attempt), each
// kept as a function so a language switch says it again: id -> {message, tone}.
const nearby = {};

function sayNear(id, message, tone = "info") {
  nearby[id] = { message, tone };
  const line = document.getElementById(id);
  line.textContent = message();
  line.dataset.tone = tone;
}

const failedNear = (id) => (error) => sayNear(id, () => i18n.problem(error), "error");

function redrawNearby() {
  for (const [id, { message, tone }] of Object.entries(nearby)) sayNear(id, message, tone);
}

// Who may edit the catalogue: superusers, and admins of a company (for its scripts).
function editor(me = shell.me()) {
  return Boolean(me && (me.is_superuser || (me.role === "admin" && me.corporation)));
}

const fmt = (value) => (value === null ? "–" : i18n.number(Math.round(value * 10) / 10));

function item(text, onClick, data = {}) {
  const li = document.createElement("li");
  Object.assign(li.dataset, data);
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = text;
  li.append(name);
  if (onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = i18n.t("dubbing.open");
    button.setAttribute("aria-label", i18n.t("dubbing.openNamed", { name: text }));
    button.addEventListener("click", () => onClick().catch(failed));
    li.append(button);
  }
  return li;
}

async function show() {
  const signedIn = Boolean(session.token);
  $("#login").hidden = signedIn;
  $("#studio").hidden = !signedIn;
  if (!signedIn) return;
  if (window.catalogueEditor) window.catalogueEditor.reset();
  await Promise.all([searchScripts(), myPage()]);
}

// --- scripts and lines -------------------------------------------------------------------

async function searchScripts() {
  const form = $("#search");
  const query = new URLSearchParams({ sort: form.sort.value, limit: "50" });
  if (form.q.value.trim()) query.set("q", form.q.value.trim());
  state.scripts = (await api("GET", `/v1/scripts?${query}`)).items;
  state.searched = Boolean(form.q.value.trim());
  drawScripts();
}

function drawScripts() {
  const scripts = state.scripts || [];
  $("#scripts").replaceChildren(
    ...scripts.map((s) => {
      const info = i18n.t("dubbing.scriptInfo", {
        kind: i18n.t(`dubbing.kind.${s.kind}`),
        attempts: i18n.number(s.attempts),
      });
      return item(`${s.title} (${info})`, () => openScript(s), { script: s.id });
    }),
  );
  drawEmpty(state.scripts !== null && scripts.length === 0);
}

// No scripts: say how they come to be, for this user (an admin adds them).
function drawEmpty(empty) {
  const box = $("#empty");
  box.hidden = !empty;
  if (!empty) return;
  const me = shell.me();
  const admin = editor(me);
  let key = "dubbing.empty.member";
  if (admin) key = "dubbing.empty.admin";
  else if (me && !me.corporation && !me.is_superuser) key = "dubbing.empty.personal";
  const p = document.createElement("p");
  p.textContent = i18n.t(state.searched ? "dubbing.noMatch" : key);
  box.replaceChildren(p);
  if (admin && !state.searched) {
    // The editor is on this page: lead there, and put the cursor in the title.
    const next = document.createElement("p");
    const link = document.createElement("a");
    link.href = "#new-title";
    link.textContent = i18n.t("dubbing.empty.create");
    link.addEventListener("click", (event) => {
      event.preventDefault();
      // The editor may have been drawn before the header knew who is signed in.
      if (window.catalogueEditor) window.catalogueEditor.reset();
      $("#new-title").scrollIntoView({ block: "center" });
      $("#new-title").focus();
    });
    next.append(link);
    box.append(next);
  }
}

async function openScript(script) {
  state.script = script;
  state.lines = (await api("GET", `/v1/scripts/${script.id}/tokens?limit=100`)).items;
  drawLines();
  if (window.catalogueEditor) await window.catalogueEditor.open(script, state.lines);
}

function drawLines() {
  if (!state.script) return;
  $("#script-title").hidden = false;
  $("#script-title").textContent = state.script.title;
  const lines = state.lines.map((line) =>
    item(`${line.actor ? line.actor + ": " : ""}${line.text}`, () => openLine(line.id), {
      line: line.id,
    }),
  );
  if (!lines.length) lines.push(item(i18n.t("dubbing.noLines")));
  $("#lines").replaceChildren(...lines);
}

async function openLine(lineId) {
  const line = await api("GET", `/v1/tokens/${lineId}`);
  state.line = line;
  state.progress = null;
  state.result = null;
  $("#practice").hidden = false;
  $("#line-text").textContent = line.text;
  $("#original").src = line.audio_url || "";
  $("#result").hidden = true;
  $("#progress").hidden = true;
  $("#stage").hidden = true;
  sayNear("practice-message", () => "");
  drawBookmark();
  tell(() => (line.audio_url ? "" : i18n.t("dubbing.noOriginal")));
  $("#line-text").scrollIntoView({ block: "nearest" });
  $("#record").focus(); // the next thing to do, by keyboard too
}

// --- recording -----------------------------------------------------------------------

async function startRecording() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch {
    return sayNear("practice-message", () => i18n.t("dubbing.noMicrophone"), "error");
  }
  state.chunks = [];
  state.recorder = new MediaRecorder(stream);
  state.recorder.ondataavailable = (event) => {
    if (event.data.size) state.chunks.push(event.data);
  };
  state.recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    const blob = new Blob(state.chunks, { type: state.recorder.mimeType || "audio/webm" });
    send(blob, "recording.webm").catch(failedNear("practice-message"));
  };
  state.recorder.start();
  $("#record").disabled = true;
  $("#stop").disabled = false;
  $("#stop").focus(); // Record is disabled now: focus must not be lost with it
  sayNear("practice-message", () => i18n.t("dubbing.recording"));
}

function stopRecording() {
  if (state.recorder && state.recorder.state === "recording") state.recorder.stop();
  $("#record").disabled = false;
  $("#stop").disabled = true;
  $("#record").focus();
}

async function send(blob, name) {
  const form = new FormData();
  form.append("file", blob, name);
  clearResult(); // the scores on the page are the previous attempt's: not this one's
  sayNear("practice-message", () => i18n.t("dubbing.uploading"));
  const job = await api("POST", `/v1/tokens/${state.line.id}/upload-audio`, form);
  sayNear("practice-message", () => "");
  follow(job);
}

// --- progress and result ----------------------------------------------------------------

// The job's failure reason is the analyser's English text: said here in words by kind.
function reasonKey(reason) {
  const text = String(reason || "").toLowerCase();
  if (/silent|quarter second|no speech/.test(text)) return "dubbing.reason.silent";
  if (/longer than|too long/.test(text)) return "dubbing.reason.tooLong";
  if (/unreadable|no audio/.test(text)) return "dubbing.reason.unreadable";
  if (/reference/.test(text)) return "dubbing.reason.noReference";
  return "dubbing.reason.other";
}

function clearResult() {
  state.result = null;
  $("#result").hidden = true;
  $("#scores").replaceChildren();
  $("#remarks").replaceChildren();
  plot(null);
}

function follow(job) {
  if (state.source) state.source.close();
  $("#progress").hidden = false;
  $("#stage").hidden = false;
  $("#progress").value = 0;
  // EventSource sends no headers: the URL carries a token for this job only, and the
  // browser resumes with Last-Event-ID by itself after a drop.
  const source = new EventSource(job.progress_url);
  state.source = source;
  const update = (event) => {
    const data = JSON.parse(event.data);
    state.progress = data;
    drawProgress();
    if (data.state === "completed") {
      source.close();
      showResult(job.result_url).catch(failedNear("practice-message"));
    } else if (data.state === "failed") {
      source.close();
      clearResult(); // no old scores left standing as if they were this attempt's
      $("#progress").hidden = true;
      const reason = reasonKey(data.reason);
      sayNear("practice-message", () => i18n.t("dubbing.failed", { reason: i18n.t(reason) }), "error");
      myPage().catch(failed); // the attempt counts on my page too
      showHistory(state.line).catch(failed);
    }
  };
  for (const name of ["queued", "decoding", "analysing", "retrying", "completed", "failed"]) {
    source.addEventListener(name, update);
  }
}

function drawProgress() {
  const data = state.progress;
  if (!data) return;
  $("#progress").value = data.progress;
  const key = `dubbing.stage.${data.stage}`;
  $("#stage").textContent = i18n.has(key) ? i18n.t(key) : i18n.t("dubbing.stage.analysing");
}

async function showResult(url) {
  state.result = await api("GET", url);
  drawResult();
  sayNear("practice-message", () => i18n.t("dubbing.scored"), "success");
  await Promise.all([myPage(), showHistory(state.line)]);
}

function drawResult() {
  const result = state.result;
  if (!result) return;
  $("#result").hidden = false;
  const rows = Object.entries(result.scores)
    .filter(([, value]) => value !== null)
    .map(([name, value]) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      const td = document.createElement("td");
      th.scope = "row";
      const key = `dubbing.score.${name}`;
      th.textContent = i18n.has(key) ? i18n.t(key) : name;
      td.textContent = fmt(value);
      tr.append(th, td);
      return tr;
    });
  $("#scores").replaceChildren(...rows);
  const feedback = result.detailed_feedback || {};
  $("#remarks").replaceChildren(
    ...(feedback.remarks || []).map((text) => {
      const li = document.createElement("li");
      li.textContent = text; // the API's words, shown as they come
      return li;
    }),
  );
  plot(feedback.contours);
}

function plot(contours) {
  const canvas = $("#plot");
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!contours || !contours.time.length) return;
  const values = [...contours.reference_pitch, ...contours.attempt_pitch].filter((v) => v !== null);
  const low = Math.min(-6, ...values);
  const high = Math.max(6, ...values);
  const end = contours.time[contours.time.length - 1] || 1;
  const x = (t) => 10 + (t / end) * (canvas.width - 20);
  const y = (v) => canvas.height - 10 - ((v - low) / (high - low)) * (canvas.height - 20);
  const draw = (series, colour) => {
    context.strokeStyle = colour;
    context.lineWidth = 2;
    context.beginPath();
    let drawing = false;
    series.forEach((value, index) => {
      if (value === null) {
        drawing = false;
        return;
      }
      const [px, py] = [x(contours.time[index]), y(value)];
      if (drawing) context.lineTo(px, py);
      else context.moveTo(px, py);
      drawing = true;
    });
    context.stroke();
  };
  draw(contours.reference_pitch, "#1f4fb8");
  draw(contours.attempt_pitch, "#b8401c");
}

// --- my page ------------------------------------------------------------------------------

async function myPage() {
  const [overview, dubbed, bookmarks] = await Promise.all([
    api("GET", "/v1/mypage/overview"),
    api("GET", "/v1/mypage/my-dubbed-tokens?limit=20"),
    api("GET", "/v1/mypage/bookmarks?limit=50"),
  ]);
  state.mine = { overview, dubbed: dubbed.items, bookmarks: bookmarks.items };
  drawMine();
}

function drawMine() {
  if (!state.mine) return;
  const { overview, dubbed, bookmarks } = state.mine;
  const best = overview.scores.overall.best;
  const counts = { attempts: i18n.number(overview.attempts), completed: i18n.number(overview.completed) };
  $("#overview").textContent =
    best === null
      ? i18n.t("dubbing.overview", counts)
      : i18n.t("dubbing.overviewBest", { ...counts, best: fmt(best) });
  $("#dubbed").replaceChildren(
    ...dubbed.map((d) => {
      const li = item(
        i18n.t("dubbing.dubbedLine", { text: d.text, best: fmt(d.best_overall), attempts: i18n.number(d.attempts) }),
        () => openLine(d.token_id),
        { line: d.token_id },
      );
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = i18n.t("dubbing.history.button");
      button.setAttribute("aria-label", i18n.t("dubbing.history.named", { text: d.text }));
      button.addEventListener("click", () =>
        showHistory({ id: d.token_id, text: d.text })
          .then(() => $("#history-heading").focus())
          .catch(failed),
      );
      li.append(button);
      return li;
    }),
  );
  $("#dubbed-empty").hidden = dubbed.length > 0;
  $("#bookmarks-empty").hidden = bookmarks.length > 0;
  trend(overview.by_day);
  $("#bookmarks").replaceChildren(
    ...bookmarks.map((b) => item(b.token.text, () => openLine(b.token.id), { line: b.token.id })),
  );
  drawBookmark();
}

// The overall score over time: the average of each day's scored attempts, on a canvas
// (like the pitch plot); its label says the same in words for screen readers.
function trend(days) {
  const canvas = $("#trend");
  canvas.hidden = !days.length;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!days.length) return;
  const day = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    dateStyle: "medium",
    timeZone: "UTC",
  });
  const words = days.map((d) => `${day.format(new Date(d.date))} ${fmt(d.average_overall)}`).join(", ");
  canvas.setAttribute("aria-label", i18n.t("dubbing.trend", { days: words }));
  const [left, right, top, bottom] = [36, canvas.width - 12, 10, canvas.height - 20];
  const x = (i) => (days.length === 1 ? (left + right) / 2 : left + (i / (days.length - 1)) * (right - left));
  const y = (v) => bottom - (v / 100) * (bottom - top);
  context.strokeStyle = "#dde1e8";
  context.fillStyle = "#4a5160";
  context.font = "11px sans-serif";
  context.lineWidth = 1;
  for (const mark of [0, 50, 100]) {
    context.beginPath();
    context.moveTo(left, y(mark));
    context.lineTo(right, y(mark));
    context.stroke();
    context.fillText(String(mark), 6, y(mark) + 4);
  }
  context.strokeStyle = "#1f4fb8";
  context.fillStyle = "#1f4fb8";
  context.lineWidth = 2;
  context.beginPath();
  days.forEach((d, i) => (i ? context.lineTo(x(i), y(d.average_overall)) : context.moveTo(x(i), y(d.average_overall))));
  context.stroke();
  days.forEach((d, i) => {
    context.beginPath();
    context.arc(x(i), y(d.average_overall), 4, 0, 2 * Math.PI);
    context.fill();
  });
}

// My attempts at one line, newest first, a page at a time.
async function showHistory(line, more = false) {
  if (!line) return;
  const offset = more && state.history ? state.history.items.length : 0;
  const page = await api("GET", `/v1/mypage/my-dubbed-tokens/${line.id}/attempts?limit=20&offset=${offset}`);
  const before = more && state.history ? state.history.items : [];
  state.history = { line: { id: line.id, text: line.text }, items: [...before, ...page.items], total: page.total };
  drawHistory();
}

function drawHistory() {
  const history = state.history;
  $("#history").hidden = !history;
  if (!history) return;
  $("#history-heading").textContent = i18n.t("dubbing.history.title", { text: history.line.text });
  $("#history-heading").tabIndex = -1;
  $("#attempts tbody").replaceChildren(
    ...history.items.map((attempt) => {
      const tr = document.createElement("tr");
      const when = document.createElement("td");
      const result = document.createElement("td");
      when.textContent = i18n.date(attempt.created_at);
      if (attempt.scores) result.textContent = i18n.t("dubbing.history.score", { overall: fmt(attempt.scores.overall) });
      else if (attempt.state === "failed") result.textContent = i18n.t("dubbing.history.failed");
      else result.textContent = i18n.t("dubbing.history.waiting");
      tr.append(when, result);
      return tr;
    }),
  );
  $("#history-more").hidden = history.items.length >= history.total;
}

const bookmarked = () =>
  Boolean(state.line && state.mine && state.mine.bookmarks.some((b) => b.token.id === state.line.id));

function drawBookmark() {
  const on = bookmarked();
  $("#bookmark").setAttribute("aria-pressed", String(on));
  $("#bookmark").textContent = i18n.t(on ? "dubbing.bookmarked" : "dubbing.bookmark");
}

// A toggle: pressed again, the bookmark goes.
async function toggleBookmark() {
  if (!state.line) return;
  if (bookmarked()) await api("DELETE", `/v1/mypage/bookmarks/${state.line.id}`);
  else await api("POST", "/v1/mypage/bookmarks", { token_id: state.line.id });
  await myPage();
}

// --- wiring ---------------------------------------------------------------------------------

// The tab's title in the page's language too.
const retitle = () => (document.title = `Backlot · ${i18n.t("shell.dubbing")}`);
retitle();
i18n.apply($("#main"));
i18n.onChange(() => {
  retitle();
  drawScripts();
  drawLines();
  drawProgress();
  drawResult();
  drawMine();
  drawHistory();
  redrawNearby();
  say(state.message(), state.tone);
});
$("#history-more").addEventListener("click", () => showHistory(state.history && state.history.line, true).catch(failed));
// The session ended: no job to follow, no microphone left open.
startSignIn(show, () => {
  if (state.source) state.source.close();
  if (state.recorder && state.recorder.state === "recording") state.recorder.stop();
  $("#record").disabled = false;
  $("#stop").disabled = true;
  // The next one to sign in here sees nothing of this user's: history, messages, editor.
  state.history = null;
  drawHistory();
  for (const id of Object.keys(nearby)) sayNear(id, () => "");
  if (window.catalogueEditor) window.catalogueEditor.close();
});
$("#search").addEventListener("submit", (event) => {
  event.preventDefault();
  searchScripts().catch(failed);
});
$("#record").addEventListener("click", () => startRecording().catch(failedNear("practice-message")));
$("#stop").addEventListener("click", stopRecording);
$("#file").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) send(file, file.name).catch(failedNear("practice-message"));
  event.target.value = ""; // the same file may be chosen again
});
$("#bookmark").addEventListener("click", () => toggleBookmark().catch(failed));
