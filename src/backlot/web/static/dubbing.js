// The dubbing page: browse scripts, hear a line, record (MediaRecorder) or upload,
// follow the job over EventSource, then scores, a pitch plot and feedback; my page.
"use strict";

const state = {
  line: null,
  recorder: null,
  chunks: [],
  source: null,
};

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
    button.textContent = "Open";
    button.addEventListener("click", () => onClick().catch((e) => say(e.message)));
    li.append(button);
  }
  return li;
}

async function show() {
  const signedIn = Boolean(session.token);
  $("#login").hidden = signedIn;
  $("#studio").hidden = !signedIn;
  $("#who").hidden = !signedIn;
  if (!signedIn) return;
  const me = shell.me();
  await Promise.all([searchScripts(), myPage()]);
}

async function searchScripts() {
  const form = $("#search");
  const query = new URLSearchParams({ sort: form.sort.value, limit: "50" });
  if (form.q.value.trim()) query.set("q", form.q.value.trim());
  const scripts = await api("GET", `/v1/scripts?${query}`);
  $("#scripts").replaceChildren(
    ...scripts.items.map((s) =>
      item(`${s.title} (${s.kind}, ${s.attempts} attempts)`, () => openScript(s), { script: s.id }),
    ),
  );
}

async function openScript(script) {
  $("#script-title").hidden = false;
  $("#script-title").textContent = script.title;
  const lines = await api("GET", `/v1/scripts/${script.id}/tokens?limit=100`);
  $("#lines").replaceChildren(
    ...lines.items.map((line) =>
      item(`${line.actor ? line.actor + ": " : ""}${line.text}`, () => openLine(line.id), {
        line: line.id,
      }),
    ),
  );
}

async function openLine(lineId) {
  const line = await api("GET", `/v1/tokens/${lineId}`);
  state.line = line;
  $("#practice").hidden = false;
  $("#line-text").textContent = line.text;
  $("#original").src = line.audio_url || "";
  $("#result").hidden = true;
  $("#progress").hidden = true;
  $("#stage").hidden = true;
  if (!line.audio_url) say("This line has no original recording yet.");
  else say("");
}

// --- recording -----------------------------------------------------------------------

async function startRecording() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  state.chunks = [];
  state.recorder = new MediaRecorder(stream);
  state.recorder.ondataavailable = (event) => {
    if (event.data.size) state.chunks.push(event.data);
  };
  state.recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    const blob = new Blob(state.chunks, { type: state.recorder.mimeType || "audio/webm" });
    send(blob, "recording.webm").catch((e) => say(e.message));
  };
  state.recorder.start();
  $("#record").disabled = true;
  $("#stop").disabled = false;
  say("Recording... press Stop when you are done.");
}

function stopRecording() {
  if (state.recorder && state.recorder.state === "recording") state.recorder.stop();
  $("#record").disabled = false;
  $("#stop").disabled = true;
}

async function send(blob, name) {
  const form = new FormData();
  form.append("file", blob, name);
  say("Uploading...");
  const job = await api("POST", `/v1/tokens/${state.line.id}/upload-audio`, form);
  say("");
  follow(job);
}

// --- progress and result ----------------------------------------------------------------

function follow(job) {
  if (state.source) state.source.close();
  const bar = $("#progress");
  const stage = $("#stage");
  bar.hidden = false;
  stage.hidden = false;
  bar.value = 0;
  // EventSource sends no headers: the URL carries a token for this job only, and the
  // browser resumes with Last-Event-ID by itself after a drop.
  const source = new EventSource(job.progress_url);
  state.source = source;
  const update = (event) => {
    const data = JSON.parse(event.data);
    bar.value = data.progress;
    stage.textContent = data.stage;
    if (data.state === "completed") {
      source.close();
      showResult(job.result_url).catch((e) => say(e.message));
    } else if (data.state === "failed") {
      source.close();
      say(`The analysis failed: ${data.reason}`);
    }
  };
  for (const name of ["queued", "decoding", "analysing", "retrying", "completed", "failed"]) {
    source.addEventListener(name, update);
  }
}

async function showResult(url) {
  const result = await api("GET", url);
  $("#result").hidden = false;
  const rows = Object.entries(result.scores)
    .filter(([, value]) => value !== null)
    .map(([name, value]) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      const td = document.createElement("td");
      th.textContent = name[0].toUpperCase() + name.slice(1);
      td.textContent = value.toFixed(1);
      tr.append(th, td);
      return tr;
    });
  $("#scores").replaceChildren(...rows);
  const feedback = result.detailed_feedback || {};
  $("#remarks").replaceChildren(
    ...(feedback.remarks || []).map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );
  plot(feedback.contours);
  await myPage();
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
  draw(contours.reference_pitch, "#2f6fed");
  draw(contours.attempt_pitch, "#e0572f");
}

// --- my page ------------------------------------------------------------------------------

async function myPage() {
  const [overview, dubbed, bookmarks] = await Promise.all([
    api("GET", "/v1/mypage/overview"),
    api("GET", "/v1/mypage/my-dubbed-tokens?limit=20"),
    api("GET", "/v1/mypage/bookmarks?limit=50"),
  ]);
  const best = overview.scores.overall.best;
  $("#overview").textContent =
    `${overview.attempts} attempts, ${overview.completed} scored` +
    (best === null ? "" : `, best overall ${best.toFixed(1)}`);
  $("#dubbed").replaceChildren(
    ...dubbed.items.map((d) =>
      item(
        `${d.text} — best ${d.best_overall === null ? "–" : d.best_overall.toFixed(1)} (${d.attempts}x)`,
        () => openLine(d.token_id),
        { line: d.token_id },
      ),
    ),
  );
  $("#bookmarks").replaceChildren(
    ...bookmarks.items.map((b) => item(b.token.text, () => openLine(b.token.id), { line: b.token.id })),
  );
}

async function toggleBookmark() {
  if (!state.line) return;
  await api("POST", "/v1/mypage/bookmarks", { token_id: state.line.id });
  await myPage();
}

// --- wiring ---------------------------------------------------------------------------------

startSignIn(show);
$("#search").addEventListener("submit", (event) => {
  event.preventDefault();
  searchScripts().catch((e) => say(e.message));
});
$("#record").addEventListener("click", () => startRecording().catch((e) => say(e.message)));
$("#stop").addEventListener("click", stopRecording);
$("#file").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) send(file, file.name).catch((e) => say(e.message));
});
$("#bookmark").addEventListener("click", () => toggleBookmark().catch((e) => say(e.message)));

