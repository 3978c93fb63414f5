// The catalogue editor of the dubbing page, for superusers and company admins: scripts
// (create, rename, describe, delete), actors, lines (add, edit, reorder, delete) and each
// line's original recording, recorded here or picked from a file, seen as a waveform and
// heard before it is saved. Every action is one API call; dubbing.js draws the rest.
"use strict";

const edit = {
  script: null, // the script being edited (ScriptDetail), or null
  line: null, // the line in the line form, or null for a new one
  recorder: null,
  chunks: [],
  blob: null, // the recording or file waiting to be saved
  url: null, // its object URL, for the preview player
};

function mayEdit(script) {
  const me = shell.me();
  if (!me || !script) return false;
  if (me.is_superuser) return true;
  return editor(me) && script.corporation_id === me.corporation.id;
}

function resetEditor() {
  $("#editor").hidden = !editor();
  if (!edit.script) $("#edit-script").hidden = $("#edit-lines-box").hidden = true;
}

async function openForEditing(script) {
  resetEditor();
  if (!mayEdit(script)) {
    edit.script = null;
    $("#edit-script").hidden = $("#edit-lines-box").hidden = true;
    return;
  }
  edit.script = await api("GET", `/v1/scripts/${script.id}`);
  const form = $("#script-form");
  form.title.value = edit.script.title;
  form.kind.value = edit.script.kind;
  form.description.value = edit.script.description;
  $("#edit-script").hidden = $("#edit-lines-box").hidden = false;
  drawEditor();
  startLine(null);
}

function drawEditor() {
  if (!edit.script) return;
  $("#edit-script-heading").textContent = i18n.t("dubbing.edit.scriptHeading", { title: edit.script.title });
  const names = edit.script.actors.map((a) => a.name).join(", ");
  $("#actors").textContent = names ? i18n.t("dubbing.edit.actors", { names }) : i18n.t("dubbing.edit.noActors");
  const select = $("#line-actor");
  const chosen = select.value;
  const none = new Option(i18n.t("dubbing.edit.noActor"), "");
  select.replaceChildren(none, ...edit.script.actors.map((a) => new Option(a.name, String(a.id))));
  select.value = chosen;
  $("#line-form-heading").textContent = i18n.t(edit.line ? "dubbing.edit.editLine" : "dubbing.edit.addLine");
  drawEditLines();
  drawReference();
}

function lineButton(label, named, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-label", named);
  button.addEventListener("click", () => onClick().catch(failedNear("line-message")));
  return button;
}

function drawEditLines() {
  const lines = state.lines;
  const items = lines.map((line, index) => {
    const li = document.createElement("li");
    li.dataset.line = line.id;
    const name = document.createElement("span");
    name.className = "name";
    const audio = i18n.t(line.audio_url ? "dubbing.edit.hasAudio" : "dubbing.edit.noAudio");
    name.textContent = `${line.actor ? line.actor + ": " : ""}${line.text} (${audio})`;
    const text = line.text;
    const buttons = document.createElement("span");
    buttons.className = "bar";
    buttons.append(
      lineButton(i18n.t("dubbing.edit.editButton"), i18n.t("dubbing.edit.editNamed", { text }), async () => {
        startLine(line);
        $("#line-text-input").focus();
      }),
    );
    if (index > 0) {
      buttons.append(
        lineButton(i18n.t("dubbing.edit.up"), i18n.t("dubbing.edit.upNamed", { text }), () => move(index, -1, "up")),
      );
    }
    if (index < lines.length - 1) {
      buttons.append(
        lineButton(i18n.t("dubbing.edit.down"), i18n.t("dubbing.edit.downNamed", { text }), () => move(index, 1, "down")),
      );
    }
    buttons.append(
      lineButton(i18n.t("dubbing.edit.delete"), i18n.t("dubbing.edit.deleteNamed", { text }), () => removeLine(line)),
    );
    li.append(name, buttons);
    return li;
  });
  if (!items.length) {
    const li = document.createElement("li");
    li.textContent = i18n.t("dubbing.edit.firstLine");
    items.push(li);
  }
  $("#edit-lines").replaceChildren(...items);
}

async function reloadLines() {
  state.lines = (await api("GET", `/v1/scripts/${edit.script.id}/tokens?limit=100`)).items;
  drawLines();
  drawEditLines();
}

// Swaps a line with its neighbour; the keyboard stays on the line that moved.
async function move(index, delta, direction) {
  const ids = state.lines.map((line) => line.id);
  [ids[index], ids[index + delta]] = [ids[index + delta], ids[index]];
  await api("PUT", `/v1/scripts/${edit.script.id}/tokens/order`, { token_ids: ids });
  await reloadLines();
  const moved = $(`#edit-lines li[data-line="${ids[index + delta]}"]`);
  const buttons = moved ? [...moved.querySelectorAll("button")] : [];
  const same = buttons.find((b) => b.textContent === i18n.t(`dubbing.edit.${direction}`));
  (same || buttons[0] || $("#line-text-input")).focus();
  sayNear("line-message", () => i18n.t("dubbing.edit.moved"), "success");
}

async function removeLine(line) {
  if (!window.confirm(i18n.t("dubbing.edit.confirmLine", { text: line.text }))) return;
  await api("DELETE", `/v1/tokens/${line.id}`);
  if (edit.line && edit.line.id === line.id) startLine(null);
  await reloadLines();
  $("#line-text-input").focus();
  sayNear("line-message", () => i18n.t("dubbing.edit.lineDeleted"), "success");
}

// The line form: empty for a new line, or filled with the line being edited.
function startLine(line) {
  edit.line = line;
  const form = $("#line-form");
  form.text.value = line ? line.text : "";
  form.actor.value = line && line.actor_id ? String(line.actor_id) : "";
  form.start.value = line && line.start_time !== null ? line.start_time : "";
  form.end.value = line && line.end_time !== null ? line.end_time : "";
  $("#line-form-heading").textContent = i18n.t(line ? "dubbing.edit.editLine" : "dubbing.edit.addLine");
  sayNear("line-message", () => "");
  forgetPreview();
  sayNear("reference-message", () => "");
  drawReference();
}

const seconds = (value) => (value === "" ? null : Number(value));

async function saveLine() {
  const form = $("#line-form");
  const body = {
    text: form.text.value,
    actor_id: form.actor.value ? Number(form.actor.value) : null,
    start_time: seconds(form.start.value),
    end_time: seconds(form.end.value),
  };
  let line;
  if (edit.line) {
    line = await api("PATCH", `/v1/tokens/${edit.line.id}`, body);
  } else {
    const order = state.lines.reduce((most, l) => Math.max(most, l.order + 1), 0);
    line = await api("POST", `/v1/scripts/${edit.script.id}/tokens`, { ...body, order });
  }
  const added = !edit.line;
  await reloadLines();
  startLine(line);
  sayNear(
    "line-message",
    () => i18n.t(added && !line.audio_url ? "dubbing.edit.lineAdded" : "dubbing.edit.lineSaved"),
    "success",
  );
  if (added) $("#ref-record").focus(); // the next step: its original recording
}

// --- the original recording of the line --------------------------------------------------

function drawReference() {
  const line = edit.line;
  $("#reference").hidden = !line;
  if (!line) return;
  $("#reference-now").textContent = i18n.t(line.audio_url ? "dubbing.edit.hasReference" : "dubbing.edit.noReference");
  const player = $("#reference-current");
  player.hidden = !line.audio_url;
  if (line.audio_url && player.getAttribute("src") !== line.audio_url) player.src = line.audio_url;
}

function forgetPreview() {
  if (edit.url) URL.revokeObjectURL(edit.url);
  edit.blob = edit.url = null;
  $("#ref-preview-box").hidden = true;
  $("#ref-preview").removeAttribute("src");
}

async function startReference() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch {
    return sayNear("reference-message", () => i18n.t("dubbing.noMicrophone"), "error");
  }
  forgetPreview();
  edit.chunks = [];
  edit.recorder = new MediaRecorder(stream);
  edit.recorder.ondataavailable = (event) => {
    if (event.data.size) edit.chunks.push(event.data);
  };
  edit.recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    if (!edit.line) return; // signed out meanwhile
    const blob = new Blob(edit.chunks, { type: edit.recorder.mimeType || "audio/webm" });
    preview(blob).catch(failedNear("reference-message"));
  };
  edit.recorder.start();
  $("#ref-record").disabled = true;
  $("#ref-stop").disabled = false;
  $("#ref-stop").focus();
  sayNear("reference-message", () => i18n.t("dubbing.recording"));
}

function stopReference() {
  if (edit.recorder && edit.recorder.state === "recording") edit.recorder.stop();
  $("#ref-record").disabled = false;
  $("#ref-stop").disabled = true;
  $("#ref-record").focus();
}

// Decoded by the browser (Web Audio) to draw it: what cannot be decoded is refused here,
// next to the control, before anything is sent.
async function preview(blob) {
  let audio;
  const context = new AudioContext();
  try {
    audio = await context.decodeAudioData(await blob.arrayBuffer());
  } catch {
    forgetPreview();
    return sayNear("reference-message", () => i18n.t("dubbing.edit.notAudio"), "error");
  } finally {
    context.close();
  }
  forgetPreview();
  edit.blob = blob;
  edit.url = URL.createObjectURL(blob);
  $("#ref-preview").src = edit.url;
  $("#ref-preview-box").hidden = false;
  waveform(audio.getChannelData(0));
  sayNear(
    "reference-message",
    () => i18n.t("dubbing.edit.listen", { seconds: i18n.number(Math.round(audio.duration * 10) / 10) }),
  );
}

// Each column of pixels shows the loudest sample among those it covers.
function waveform(samples) {
  const canvas = $("#wave");
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  context.fillStyle = "#1f4fb8";
  const per = Math.max(1, Math.floor(samples.length / width));
  for (let x = 0; x < width; x++) {
    let peak = 0;
    for (let i = x * per; i < Math.min(samples.length, (x + 1) * per); i++) peak = Math.max(peak, Math.abs(samples[i]));
    const h = Math.max(1, peak * height);
    context.fillRect(x, (height - h) / 2, 1, h);
  }
}

async function saveReference() {
  if (!edit.blob || !edit.line) return;
  const form = new FormData();
  const name = edit.blob.name || "original.webm";
  form.append("file", edit.blob, name);
  sayNear("reference-message", () => i18n.t("dubbing.uploading"));
  const line = await api("PUT", `/v1/tokens/${edit.line.id}/audio`, form);
  forgetPreview();
  edit.line = line;
  await reloadLines();
  drawReference();
  sayNear("reference-message", () => i18n.t("dubbing.edit.audioSaved"), "success");
  $("#ref-record").focus();
}

// --- scripts and actors --------------------------------------------------------------------

async function createScript() {
  const form = $("#new-script");
  const script = await api("POST", "/v1/scripts", {
    title: form.title.value,
    kind: form.kind.value,
    description: form.description.value,
  });
  form.reset();
  sayNear("new-script-message", () => i18n.t("dubbing.edit.created"), "success");
  $("#search").q.value = "";
  await searchScripts();
  await openScript(script);
  $("#line-text-input").focus(); // the next step: its first line
}

async function saveScript() {
  const form = $("#script-form");
  const script = await api("PATCH", `/v1/scripts/${edit.script.id}`, {
    title: form.title.value,
    kind: form.kind.value,
    description: form.description.value,
  });
  Object.assign(edit.script, script);
  state.script = script;
  drawEditor();
  drawLines();
  await searchScripts();
  sayNear("script-message", () => i18n.t("dubbing.edit.scriptSaved"), "success");
}

async function deleteScript() {
  if (!window.confirm(i18n.t("dubbing.edit.confirmScript", { title: edit.script.title }))) return;
  await api("DELETE", `/v1/scripts/${edit.script.id}`);
  edit.script = state.script = null;
  edit.line = null;
  state.lines = [];
  $("#script-title").hidden = true;
  $("#lines").replaceChildren();
  resetEditor();
  await searchScripts();
  sayNear("new-script-message", () => i18n.t("dubbing.edit.scriptDeleted"), "success");
  $("#new-title").focus();
}

async function addActor() {
  const form = $("#actor-form");
  await api("POST", `/v1/scripts/${edit.script.id}/actors`, { name: form.name.value });
  form.reset();
  edit.script = await api("GET", `/v1/scripts/${edit.script.id}`);
  drawEditor();
  sayNear("script-message", () => i18n.t("dubbing.edit.actorAdded"), "success");
}

// --- wiring ---------------------------------------------------------------------------------

const submitted = (selector, action, message) =>
  $(selector).addEventListener("submit", (event) => {
    event.preventDefault();
    action().catch(failedNear(message));
  });
submitted("#new-script", createScript, "new-script-message");
submitted("#script-form", saveScript, "script-message");
submitted("#actor-form", addActor, "script-message");
submitted("#line-form", saveLine, "line-message");
$("#delete-script").addEventListener("click", () => deleteScript().catch(failedNear("script-message")));
$("#new-line").addEventListener("click", () => {
  startLine(null);
  $("#line-text-input").focus();
});
$("#ref-record").addEventListener("click", () => startReference().catch(failedNear("reference-message")));
$("#ref-stop").addEventListener("click", stopReference);
$("#ref-file").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) preview(file).catch(failedNear("reference-message"));
  event.target.value = ""; // the same file may be chosen again
});
$("#ref-save").addEventListener("click", () => saveReference().catch(failedNear("reference-message")));
i18n.onChange(drawEditor);

// Signed out: no script left open for editing, no microphone left on.
function closeEditor() {
  if (edit.recorder && edit.recorder.state === "recording") edit.recorder.stop();
  $("#ref-record").disabled = false;
  $("#ref-stop").disabled = true;
  edit.script = edit.line = null;
  forgetPreview();
  resetEditor();
}

window.catalogueEditor = { open: openForEditing, reset: resetEditor, close: closeEditor };
resetEditor();
