// A room's history (a dialog of the workspace page): its saved versions, newest first and
// a page at a time, with who saved each and when; one of them previewed read-only (drawn
// by Blockly, and its blocks listed as text); and brought back as a new version, which
// everyone in the room gets live (COMMIT_APPLY with the old workspace). Loaded before
// workspace.js; `roomId` and `tell` are its.
"use strict";

const VERSIONS_PER_PAGE = 10;

const roomHistory = {
  page: null, // {items, total, limit, offset} of the room's snapshots
  offset: 0,
  preview: null, // the snapshot shown: {version, author, created_at, restored_from, xml}
  workspace: null, // the read-only Blockly workspace drawing it
  message: () => "",
  tone: "info",
  refresh: null, // a pending reload after the room committed
};

const snapshotsPath = () => `/v1/workspace/rooms/${encodeURIComponent(roomId)}/snapshots`;

function sayInHistory(message, tone = "info") {
  roomHistory.message = message;
  roomHistory.tone = tone;
  const line = $("#history-message");
  line.textContent = message();
  line.dataset.tone = tone;
}

async function openHistory() {
  roomHistory.offset = 0;
  roomHistory.preview = null;
  roomHistory.page = null;
  $("#versions").replaceChildren();
  $("#versions-pager").hidden = true;
  drawPreview();
  sayInHistory(() => i18n.t("workspace.loading"));
  openDialog($("#history"), $("#history-title"));
  await loadVersions();
}

async function loadVersions() {
  const query = `limit=${VERSIONS_PER_PAGE}&offset=${roomHistory.offset}`;
  try {
    roomHistory.page = await api("GET", `${snapshotsPath()}?${query}`);
  } catch (error) {
    return sayInHistory(() => i18n.problem(error), "error");
  }
  sayInHistory(() => "");
  drawVersions();
}

// Who saved a version and when, and which one it brought back if it was a restore.
function versionAbout(snapshot) {
  const parts = [snapshot.author, i18n.date(snapshot.created_at)];
  if (snapshot.restored_from) parts.push(i18n.t("workspace.restoredFrom", { version: snapshot.restored_from }));
  return parts.join(" · ");
}

function versionItem(snapshot) {
  const item = document.createElement("li");
  item.dataset.version = snapshot.version;
  const about = document.createElement("div");
  about.className = "about";
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = i18n.t("workspace.versionN", { version: snapshot.version });
  const details = document.createElement("span");
  details.className = "details";
  details.textContent = versionAbout(snapshot);
  about.append(name, details);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.dataset.version = snapshot.version;
  button.append(i18n.t("workspace.preview"), hiddenText(` ${name.textContent}`));
  button.addEventListener("click", () => preview(snapshot.version));
  const shown = roomHistory.preview && roomHistory.preview.version === snapshot.version;
  if (shown) item.setAttribute("aria-current", "true");
  item.append(about, button);
  return item;
}

function drawVersions() {
  const page = roomHistory.page;
  if (page === null) return;
  // Redrawn while someone reads it (a language switch, a new version): the focus stays on
  // the same version's button.
  const focused = document.activeElement && document.activeElement.closest("#versions button");
  const items = page.items.map(versionItem);
  if (!items.length) {
    const empty = document.createElement("li");
    empty.textContent = i18n.t("workspace.noVersions");
    items.push(empty);
  }
  $("#versions").replaceChildren(...items);
  if (focused) {
    const again = $(`#versions button[data-version="${focused.dataset.version}"]`);
    (again || $("#history-title")).focus();
  }
  const { offset, total } = page;
  $("#versions-pager").hidden = offset === 0 && total <= VERSIONS_PER_PAGE;
  $("#versions-range").textContent = i18n.t("workspace.range", {
    from: i18n.number(Math.min(offset + 1, total)),
    to: i18n.number(offset + page.items.length),
    total: i18n.number(total),
  });
  $("#versions-newer").disabled = offset === 0;
  $("#versions-older").disabled = offset + VERSIONS_PER_PAGE >= total;
}

async function turnVersionPage(step, pressed, other) {
  roomHistory.offset = Math.max(0, roomHistory.offset + step * VERSIONS_PER_PAGE);
  await loadVersions();
  if (pressed.disabled) other.focus();
}

// While the history is open, versions the room saves meanwhile join the list.
function historyChanged() {
  if (!$("#history").open) return;
  clearTimeout(roomHistory.refresh);
  roomHistory.refresh = setTimeout(loadVersions, 300);
}

// --- one version, read-only -----------------------------------------------------------------

async function preview(version) {
  try {
    roomHistory.preview = await api("GET", `${snapshotsPath()}/${version}`);
  } catch (error) {
    return sayInHistory(() => i18n.problem(error), "error");
  }
  sayInHistory(() => "");
  drawVersions();
  drawPreview();
  $("#preview-title").focus();
}

function disposePreview() {
  if (roomHistory.workspace) roomHistory.workspace.dispose();
  roomHistory.workspace = null;
  $("#preview-blocks").replaceChildren();
  editorIsMain();
}

// Injecting a workspace makes it Blockly's "main" one; the room's editor stays that.
function editorIsMain() {
  if (state.workspace && Blockly.getMainWorkspace() !== state.workspace) Blockly.common.setMainWorkspace(state.workspace);
}

// The version drawn by Blockly, read-only (no toolbox, nothing can move), and its blocks
// as text, each top block on a line, for those who do not see the drawing.
function drawPreview() {
  const snapshot = roomHistory.preview;
  $("#preview").hidden = !snapshot;
  disposePreview();
  if (!snapshot) return;
  const version = snapshot.version;
  $("#preview-title").textContent = i18n.t("workspace.versionN", { version });
  $("#preview-about").textContent = versionAbout(snapshot);
  const lines = [];
  try {
    const workspace = Blockly.inject("preview-blocks", {
      readOnly: true,
      media: "/app/vendor/blockly-media/",
      zoom: { controls: false, wheel: false, startScale: 0.8, maxScale: 1, minScale: 0.3 },
      move: { scrollbars: true, drag: true, wheel: false },
    });
    roomHistory.workspace = workspace;
    if (snapshot.xml) Blockly.Xml.domToWorkspace(Blockly.utils.xml.textToDom(snapshot.xml), workspace);
    workspace.zoomToFit();
    editorIsMain();
    for (const block of workspace.getTopBlocks(true)) lines.push(blockName(block, 80));
  } catch (error) {
    console.warn("could not draw this version", error);
    lines.push(i18n.t("workspace.unreadable"));
  }
  if (!lines.length) lines.push(i18n.t("workspace.emptyVersion"));
  $("#preview-outline").replaceChildren(
    ...lines.map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }),
  );
  // Restoring needs a sign-in (the API says who did it); visitors read only.
  const signedIn = Boolean(browserSession.token());
  $("#restore").hidden = !signedIn;
  $("#restore").textContent = i18n.t("workspace.restoreVersion", { version });
  $("#restore-help").hidden = signedIn;
}

async function restoreShown() {
  const version = roomHistory.preview.version;
  const sure = await confirmed({
    title: ["workspace.restoreTitle", { version }],
    text: ["workspace.restoreText", {}],
    yes: "workspace.restoreYes",
    no: "workspace.cancel",
  });
  if (!sure) return;
  let restored;
  try {
    restored = await api("POST", `${snapshotsPath()}/${version}/restore`);
  } catch (error) {
    return sayInHistory(() => i18n.problem(error), "error");
  }
  // Done: the editor shows it (its COMMIT_APPLY), and the page says which version it is now.
  $("#history").close();
  tell(() => i18n.t("workspace.restoredAs", { version, as: restored.version }), "success");
}

$("#history-open").addEventListener("click", openHistory);
$("#history-close").addEventListener("click", () => $("#history").close());
$("#history").addEventListener("close", () => {
  clearTimeout(roomHistory.refresh);
  roomHistory.preview = null;
  disposePreview();
});
$("#versions-newer").addEventListener("click", () =>
  turnVersionPage(-1, $("#versions-newer"), $("#versions-older")),
);
$("#versions-older").addEventListener("click", () =>
  turnVersionPage(1, $("#versions-older"), $("#versions-newer")),
);
$("#restore").addEventListener("click", restoreShown);
