// Adding files to the open project (every member may): a file registered by name, and
// images uploaded many at once, chosen or dropped, a few at a time, each with its own
// progress and, when refused, a sentence saying why. The grid (labeling.js) is reloaded
// through `labelingPage` when files have landed; while the annotator is open, a compact
// line above it says how the upload goes, with its Cancel, and how it ended.
"use strict";

const UPLOAD_PARALLEL = 3;

// A status line that says a text again in the other language when the language changes,
// as long as it still shows that text.
function statusLine(selector) {
  let said = null;
  let tone = "info";
  let shown = "";
  function draw() {
    shown = said ? said() : "";
    const line = $(selector);
    line.textContent = shown;
    line.dataset.tone = tone;
  }
  i18n.onChange(() => {
    if (said && $(selector).textContent === shown) draw();
  });
  return (text, chosenTone = "info") => {
    said = text;
    tone = chosenTone;
    draw();
  };
}

const currentProject = () => {
  const value = Number($("#project").value);
  return value > 0 ? value : null;
};

// The page's own status line (#message) is labeling.js's: one line, one source.
const pageSays = (text, tone = "info") => window.labelingPage.say(text, tone);
const uploadSays = statusLine("#upload-status");

$("#add-file").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = event.target.elements.name;
  const project = currentProject();
  if (project === null) return;
  try {
    const path = `/v1/labeling/projects/${project}/files`;
    const file = await api("POST", path, { name: input.value });
    input.value = "";
    pageSays(() => i18n.t("labelingUpload.registered", { name: file.name }), "success");
    await window.labelingPage.reloadFiles();
  } catch (error) {
    pageSays(() => i18n.problem(error), "error");
  }
});

// --- bulk upload ----------------------------------------------------------------------

let batch = null; // the upload running: {items, cancelled, requests}
let listed = []; // the images listed below the form, from the latest upload
let brief = false; // the compact line is due (shown only while the annotator is open)
let briefCancelled = false;

function drawBrief() {
  const box = $("#upload-brief");
  box.hidden = !brief;
  if (!brief) return;
  const count = i18n.number(listed.length);
  const over = listed.filter((item) => item.state === "done" || item.state === "failed").length;
  $("#upload-brief-text").textContent = batch
    ? i18n.t("labelingUpload.brief", { done: i18n.number(over), count })
    : summary(listed, briefCancelled);
  const cancel = $("#upload-brief-cancel");
  if (!batch && document.activeElement === cancel) $("#stage").focus(); // it is going away
  cancel.hidden = !batch;
}

const annotating = () => document.querySelector("main").dataset.view === "annotator";
// Once the annotator closes, the form below says it all again.
new MutationObserver(() => {
  if (!annotating() && !batch && brief) {
    brief = false;
    drawBrief();
  }
}).observe(document.querySelector("main"), { attributes: true, attributeFilter: ["data-view"] });

function bytes(count) {
  if (count >= 1024 * 1024) {
    const n = i18n.number(Math.round((count / (1024 * 1024)) * 10) / 10);
    return i18n.t("labelingUpload.mb", { n });
  }
  return i18n.t("labelingUpload.kb", { n: i18n.number(Math.round(count / 1024)) });
}

// Why one image did not land, in a sentence about that image.
function refusal(item) {
  const name = item.file.name;
  const error = item.error;
  if (error.name === "AbortError") return i18n.t("labelingUpload.stopped", { name });
  const problem = error.problem;
  if (!problem) return i18n.t("labelingUpload.lost", { name });
  // The image's own size: the limit the answer names may count the form around it too.
  if (problem.status === 413) return i18n.t("labelingUpload.tooLarge", { name, size: bytes(item.file.size) });
  if (problem.status === 415) return i18n.t("labelingUpload.notImage", { name });
  if (problem.code === "file_exists") return i18n.t("labelingUpload.nameTaken", { name });
  if (problem.code === "empty_file") return i18n.t("labelingUpload.empty", { name });
  if (problem.code === "validation_failed") return i18n.t("labelingUpload.badName", { name });
  return i18n.t("labelingUpload.other", { name, problem: i18n.problem(error) });
}

function drawItem(item) {
  if (!item.row) {
    item.row = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = item.file.name;
    const progress = document.createElement("progress");
    progress.max = 100;
    const state = document.createElement("span");
    state.className = "state";
    item.row.append(name, progress, state);
    $("#upload-list").append(item.row);
  }
  const progress = item.row.querySelector("progress");
  progress.value = Math.round(item.fraction * 100);
  progress.setAttribute("aria-label", i18n.t("labelingUpload.progressOf", { name: item.file.name }));
  progress.hidden = item.state === "failed";
  item.row.dataset.state = item.state;
  let text = i18n.t("labelingUpload.waiting");
  if (item.state === "sending") {
    text = i18n.t("labelingUpload.percent", { percent: i18n.number(progress.value) });
  } else if (item.state === "done") text = i18n.t("labelingUpload.done");
  else if (item.state === "failed") text = refusal(item);
  item.row.querySelector(".state").textContent = text;
  if (brief) drawBrief();
}

// One image by XMLHttpRequest (fetch reports no upload progress). Resolves with the
// answer; rejects with the problem, a TypeError when the connection failed, or an
// AbortError when cancelled.
function send(project, item, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    batch.requests.add(xhr);
    const done = () => batch.requests.delete(xhr);
    xhr.open("POST", `/v1/labeling/projects/${project}/files/upload`);
    if (session.token) xhr.setRequestHeader("Authorization", `Bearer ${session.token}`);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("abort", () => {
      done();
      reject(new DOMException("cancelled", "AbortError"));
    });
    xhr.addEventListener("error", () => {
      done();
      reject(new TypeError("network"));
    });
    xhr.addEventListener("load", () => {
      done();
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        return reject(new TypeError("unreadable answer"));
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(Object.assign(new Error(data.detail), { problem: data }));
    });
    const body = new FormData();
    body.append("file", item.file, item.file.name);
    xhr.send(body);
  });
}

async function uploadOne(project, item) {
  item.state = "sending";
  drawItem(item);
  const progress = (fraction) => {
    item.fraction = fraction;
    drawItem(item);
  };
  try {
    try {
      await send(project, item, progress);
    } catch (error) {
      // An access token that lapsed meanwhile: renewed once, then the image again.
      const expired = error.problem && error.problem.status === 401;
      if (!expired || batch.cancelled || !(await browserSession.renew())) throw error;
      await send(project, item, progress);
    }
    item.state = "done";
    item.fraction = 1;
  } catch (error) {
    item.state = "failed";
    item.error = error;
  }
  drawItem(item);
}

function summary(items, cancelled) {
  const count = i18n.number(items.length);
  const done = items.filter((item) => item.state === "done").length;
  const failed = items.length - done;
  if (cancelled) return i18n.t("labelingUpload.cancelled", { done: i18n.number(done), count });
  if (!failed) return i18n.t("labelingUpload.finished", { count });
  return i18n.t("labelingUpload.finishedFailed", {
    done: i18n.number(done),
    failed: i18n.number(failed),
    count,
  });
}

async function uploadAll(files) {
  const project = currentProject();
  if (project === null) return;
  if (batch) return uploadSays(() => i18n.t("labelingUpload.busy"), "error");
  if (!files.length) return uploadSays(() => i18n.t("labelingUpload.nothing"), "error");
  const items = files.map((file) => ({ file, state: "waiting", fraction: 0, error: null, row: null }));
  batch = { items, cancelled: false, requests: new Set() };
  listed = items;
  brief = true;
  const list = $("#upload-list");
  list.replaceChildren();
  list.hidden = false;
  items.forEach(drawItem);
  const submit = $("#upload button[type=submit]");
  submit.disabled = true;
  $("#upload-cancel").hidden = false;
  const parallel = Math.min(UPLOAD_PARALLEL, items.length);
  uploadSays(() => i18n.t("labelingUpload.started", { count: i18n.number(items.length), parallel }));
  let next = 0;
  const worker = async () => {
    while (!batch.cancelled && next < items.length) await uploadOne(project, items[next++]);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const cancelled = batch.cancelled;
  for (const item of items.filter((item) => item.state === "waiting")) {
    item.state = "failed";
    item.error = new DOMException("cancelled", "AbortError");
    drawItem(item);
  }
  const failed = items.some((item) => item.state === "failed");
  uploadSays(() => summary(items, cancelled), failed ? "error" : "success");
  submit.disabled = false;
  if ($("#upload-cancel") === document.activeElement) submit.focus(); // it is going away
  $("#upload-cancel").hidden = true;
  $("#upload").reset();
  batch = null;
  briefCancelled = cancelled;
  brief = annotating(); // the outcome stays said above the annotator until it closes
  drawBrief();
  if (items.some((item) => item.state === "done")) await window.labelingPage.reloadFiles();
}

$("#upload").addEventListener("submit", (event) => {
  event.preventDefault();
  uploadAll([...$("#upload-files").files]).catch((error) => uploadSays(() => i18n.problem(error), "error"));
});

function cancelUpload() {
  if (!batch) return;
  batch.cancelled = true;
  for (const xhr of batch.requests) xhr.abort();
}
$("#upload-cancel").addEventListener("click", cancelUpload);
$("#upload-brief-cancel").addEventListener("click", cancelUpload);

// Dropping images on the zone uploads them at once; the file input beside the words is
// the same for keyboard users.
const drop = $("#drop");
const dragging = (event) => event.dataTransfer && [...event.dataTransfer.types].includes("Files");
drop.addEventListener("dragover", (event) => {
  if (!dragging(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "copy";
  drop.classList.add("over");
});
drop.addEventListener("dragleave", (event) => {
  if (!drop.contains(event.relatedTarget)) drop.classList.remove("over");
});
drop.addEventListener("drop", (event) => {
  if (!dragging(event)) return;
  event.preventDefault();
  drop.classList.remove("over");
  uploadAll([...event.dataTransfer.files]).catch((error) => uploadSays(() => i18n.problem(error), "error"));
});

i18n.onChange(() => {
  listed.forEach(drawItem);
  drawBrief();
});
