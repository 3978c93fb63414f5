// The workspace page: a real Blockly editor speaking seed 002's protocol over a raw
// WebSocket. Selecting a block locks it (LOCK_ACQUIRE); finishing a drag or an edit
// commits it (COMMIT with the Blockly events and the whole workspace as XML), which
// releases the lock; others replay the events from COMMIT_APPLY. Without a room id the
// page lists the rooms (workspace.rooms.js); a room's history is workspace.history.js.
"use strict";

// The room this page is in; emptied when the room is deleted (the page goes to the list).
let roomId = decodeURIComponent(location.pathname.split("/")[3] || "");
const HEARTBEAT_MS = 10000;
const ACTIVITY_KEPT = 200;

const state = {
  ws: null,
  nickname: localStorage.getItem("backlot.nickname") || "",
  me: null,
  users: new Map(), // clientId -> {nickname, color}
  locks: new Map(), // blockId -> {owner, nickname, token, expiresAt}
  seq: 0,
  version: 0,
  workspace: null,
  editing: null, // the block this client has asked to lock
  pending: [], // local Blockly events not yet committed
  flushTimer: null,
  releaseTimer: null,
  heartbeat: null,
  retryMs: 500,
  stopped: false,
  token: null, // the access token this socket last proved itself with
  joined: false, // the nickname was given: the room is open on this page
  needsSignIn: false, // the room refused us for want of a (live) sign-in
  online: false,
  title: "",
  activity: [], // [key, vars], newest first: redrawn in the current language
  message: () => "", // the status line, said again on a language switch
};

const TOOLBOX = {
  kind: "flyoutToolbox",
  contents: [
    { kind: "block", type: "controls_if" },
    { kind: "block", type: "logic_compare" },
    { kind: "block", type: "controls_repeat_ext" },
    { kind: "block", type: "math_number" },
    { kind: "block", type: "math_arithmetic" },
    { kind: "block", type: "text" },
    { kind: "block", type: "text_print" },
  ],
};

function tell(message, tone) {
  state.message = message;
  state.tone = tone;
  say(message(), tone);
}

// What the room socket said went wrong (an ERROR frame's or a close reason's code), in
// a sentence: the workspace's own words for it, else the API's (i18n.problem).
function socketProblem(code) {
  const key = `workspace.problem.${code}`;
  if (i18n.has(key)) return i18n.t(key);
  if (i18n.has(`problem.${code}`)) return i18n.problem({ problem: { code, status: 400 } });
  return i18n.t("workspace.problem.refused");
}

function log(key, vars) {
  state.activity.unshift([key, vars]);
  state.activity.length = Math.min(state.activity.length, ACTIVITY_KEPT);
  drawActivity();
}

function drawActivity() {
  $("#activity").replaceChildren(
    ...state.activity.map(([key, vars]) => {
      const item = document.createElement("li");
      item.textContent = i18n.t(key, vars);
      return item;
    }),
  );
}

function send(t, payload) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ t, payload }));
  }
}

// --- the editor --------------------------------------------------------------------

function startEditor() {
  // On a phone the toolbox is a row below the program, not a column over it: the program
  // keeps the whole width (a side flyout took 150 of 355 px and hid what lay under it).
  const phone = matchMedia("(max-width: 760px)").matches;
  state.workspace = Blockly.inject("blockly", {
    toolbox: TOOLBOX,
    horizontalLayout: phone,
    toolboxPosition: phone ? "end" : "start",
    media: "/app/vendor/blockly-media/",
    trashcan: true,
    // A phone shows more of the program a little smaller.
    zoom: { controls: true, wheel: true, startScale: phone ? 0.8 : 1 },
    move: { scrollbars: true, drag: true, wheel: false },
  });
  state.workspace.addChangeListener(onLocalEvent);
  // Pressing on a block starts editing it, even one Blockly keeps selected after a
  // refusal (no new SELECTED event): a refused block is asked for again on each press.
  $("#blockly").addEventListener(
    "pointerdown",
    (event) => {
      const group = event.target.closest && event.target.closest("g[data-id]");
      if (group && state.workspace.getBlockById(group.dataset.id)) select(group.dataset.id);
    },
    true,
  );
  window.backlotWorkspace = state.workspace; // for people poking at it in the console
}

function xmlText() {
  return Blockly.Xml.domToText(Blockly.Xml.workspaceToDom(state.workspace));
}

function silently(action) {
  // Remote changes must not come back to us as local events.
  Blockly.Events.disable();
  try {
    action();
  } finally {
    Blockly.Events.enable();
  }
}

function load(xml) {
  silently(() => {
    state.workspace.clear();
    if (xml) Blockly.Xml.domToWorkspace(Blockly.utils.xml.textToDom(xml), state.workspace);
  });
  decorate();
}

function replay(events) {
  try {
    silently(() => {
      for (const json of events) Blockly.Events.fromJson(json, state.workspace).run(true);
    });
  } catch (error) {
    console.warn("could not replay a commit; reloading the room", error);
    reconnect(null); // a fresh INIT_STATE carries the whole workspace
  }
  decorate();
}

function onLocalEvent(event) {
  if (event.type === Blockly.Events.SELECTED) return select(event.newElementId);
  // A drop's move event comes after its drag event: commit once the gesture settles.
  if (event.type === Blockly.Events.BLOCK_DRAG) {
    if (!event.isStart) scheduleCommit(150);
    return;
  }
  if (event.isUiEvent || !event.recordUndo) return;
  state.pending.push(event.toJson());
  if (!state.workspace.isDragging()) scheduleCommit(150);
}

function select(blockId) {
  clearTimeout(state.releaseTimer);
  if (!blockId) {
    // Blockly deselects and reselects around a drag: release only if it stays so.
    state.releaseTimer = setTimeout(() => {
      commit(true); // a commit with no events when nothing changed: the lock goes
      state.editing = null;
    }, 300);
    return;
  }
  if (blockId === state.editing) return;
  if (state.editing) commit(true);
  state.editing = blockId;
  const lock = state.locks.get(blockId);
  if (lock && lock.owner !== state.me) tell(() => i18n.t("workspace.editing", { nickname: lock.nickname }));
  send("LOCK_ACQUIRE", { blockId });
}

function scheduleCommit(delayMs) {
  clearTimeout(state.flushTimer);
  state.flushTimer = setTimeout(() => commit(false), delayMs);
}

function commit(release) {
  clearTimeout(state.flushTimer);
  const blockId = state.editing;
  const events = state.pending;
  const lock = blockId ? state.locks.get(blockId) : null;
  const mine = lock && lock.owner === state.me;
  if (!blockId || (!events.length && !(release && mine))) return;
  state.pending = [];
  const payload = { blockId, events, workspaceXml: xmlText() };
  if (mine) payload.token = lock.token;
  send("COMMIT", payload);
  const block = state.workspace.getBlockById(blockId);
  if (block && Blockly.getSelected() === block && events.length) {
    send("LOCK_ACQUIRE", { blockId }); // still editing it: keep it
  }
}

function decorate() {
  if (!state.workspace) return;
  for (const block of state.workspace.getAllBlocks(false)) {
    const lock = state.locks.get(block.id);
    const theirs = Boolean(lock && lock.owner !== state.me);
    block.setMovable(!theirs);
    block.setEditable(!theirs);
    block.setDeletable(!theirs);
    const svg = block.getSvgRoot();
    if (!svg) continue;
    svg.classList.toggle("backlot-locked", theirs);
    svg.classList.toggle("backlot-mine", Boolean(lock && lock.owner === state.me));
    const holder = lock && state.users.get(lock.owner);
    svg.style.setProperty("--holder", holder ? holder.color : "#e0a100");
  }
  render();
}

// --- the protocol --------------------------------------------------------------------

// A signed-in page joins with a single-use ticket, so its access token never sits in a
// socket URL (proxies and logs keep URLs). When the API refuses one, the socket is asked
// with the token and says why in its own words; when the server cannot be reached, the
// page retries later as for a dropped socket.
async function ticketFor() {
  try {
    const path = `/v1/workspace/rooms/${encodeURIComponent(roomId)}/ticket`;
    return (await api("POST", path)).ticket;
  } catch (error) {
    if (error && error.problem) return null;
    throw error;
  }
}

function retryLater(since) {
  if (state.stopped) return;
  setReconnecting();
  setTimeout(() => connect(since), state.retryMs);
  state.retryMs = Math.min(state.retryMs * 2, 10000);
}

async function connect(since) {
  const params = new URLSearchParams({ nickname: state.nickname });
  const token = browserSession.token();
  let ticket = null;
  if (token) {
    try {
      ticket = await ticketFor();
    } catch (error) {
      return retryLater(since);
    }
  }
  if (ticket) params.set("ticket", ticket);
  else if (token) params.set("token", token); // members rooms need one or the other
  state.token = token;
  if (since) params.set("since", String(since));
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/ws/workspace/${encodeURIComponent(roomId)}/?${params}`;
  const ws = new WebSocket(url);
  state.ws = ws;
  ws.onmessage = (message) => receive(JSON.parse(message.data));
  ws.onopen = () => {
    state.ticketRetried = false;
  };
  ws.onclose = (closed) => {
    if (state.ws !== ws) return;
    setOnline(false);
    clearInterval(state.heartbeat);
    // 4400-4499 refuse this request itself (bad nickname, full room, no access): asking
    // again will not help. Anything else (restart, network, idle) reconnects and resumes.
    const code = (closed.reason || "").split(":")[0];
    if (closed.code === 4410) return roomGone();
    if (closed.code === 4401) return refusedSignIn(code);
    if (closed.code >= 4400 && closed.code < 4500 && closed.code !== 4408) {
      hideRoom(); // refused: no editor is drawn for a room we are not in
      tell(() => socketProblem(code), "error");
      $("#join").hidden = false;
      return;
    }
    retryLater(state.seq);
  };
}

// The server closes a signed-in socket when its access token expires (4401) unless AUTH
// brings a fresh one of the same user: the browser session renews the token before that
// (session.js), and the socket sends each new one on.
function renewToken() {
  const token = browserSession.token();
  if (state.token && token && token !== state.token) {
    send("AUTH", { token });
    state.token = token;
  }
}

// 4401: the room wants a sign-in it does not have (a members room, a token that expired
// or was refused, a session that ended). An expired token is first renewed from the
// session's cookie; otherwise the sign-in form comes, and a sign-in reconnects (show).
async function refusedSignIn(code) {
  if (code === "token_expired" && state.token && (await browserSession.renew())) {
    return reconnect(state.seq);
  }
  // A ticket lapses after seconds (a slow network); one new ticket is worth a try.
  if (code === "invalid_ticket" && !state.ticketRetried) {
    state.ticketRetried = true;
    return reconnect(state.seq);
  }
  if (code === "session_ended" || code === "token_expired") await browserSession.renew();
  state.needsSignIn = true;
  hideRoom();
  $("#login").hidden = false;
  tell(() => socketProblem(code));
  const known = ["not_authenticated", "token_expired", "session_ended", "invalid_token"];
  if (!known.includes(code)) tell(() => i18n.t("workspace.signInAgain"));
}

function reconnect(since) {
  const old = state.ws;
  state.ws = null;
  if (old) old.close();
  connect(since);
}

function receive(message) {
  const p = message.payload || {};
  if (typeof p.seq === "number") state.seq = Math.max(state.seq, p.seq);
  switch (message.t) {
    case "INIT_STATE":
      return init(p);
    case "USER_JOINED":
      state.users.set(p.clientId, p);
      if (p.clientId !== state.me) log("workspace.joined", { nickname: p.nickname });
      return render();
    case "USER_LEFT":
      state.users.delete(p.clientId);
      log("workspace.left", { nickname: p.nickname });
      return render();
    case "LOCK_UPDATE":
      return lockUpdate(p);
    case "LOCK_DENIED":
      tell(() =>
        i18n.t("workspace.lockDenied", {
          nickname: p.nickname,
          seconds: i18n.number(Math.ceil(p.ttlMs / 1000)),
        }),
      );
      if (state.editing === p.blockId) state.editing = null; // a click asks again
      return;
    case "COMMIT_APPLY":
      return applyCommit(p);
    case "ERROR":
      return tell(() => socketProblem(p.code));
  }
}

function init(p) {
  const first = !state.workspace || $("#room").hidden;
  // The room is drawn once it has let us in (never an empty editor for a refusal).
  $("#room").hidden = false;
  $("#pills").hidden = false;
  if (!state.workspace) startEditor();
  else Blockly.svgResize(state.workspace);
  state.me = p.clientId;
  state.seq = p.seq;
  state.users = new Map(p.users.map((user) => [user.clientId, user]));
  state.locks = new Map(Object.entries(p.locks));
  state.retryMs = 500;
  state.title = p.room.title;
  state.needsSignIn = false;
  $("#room-title").textContent = `· ${p.room.title}`;
  if (!p.resumed) load(p.workspaceXml);
  state.version = Math.max(p.version, p.resumed ? state.version : 0);
  setOnline(true);
  tell(() => "");
  clearInterval(state.heartbeat);
  state.heartbeat = setInterval(() => {
    send("HEARTBEAT", {});
    renewToken();
  }, HEARTBEAT_MS);
  if (p.readOnly) tell(() => i18n.t("workspace.readOnly"));
  decorate();
  // Just joined (the join form, focused, went away): keyboard users go on from the title,
  // then the room's controls, then the editor.
  const lost = !document.activeElement || document.activeElement === document.body;
  if (first && lost) $("main h1").focus();
}

function lockUpdate(p) {
  const current = state.locks.get(p.blockId);
  if (current && p.token < current.token) return; // older news than what we have
  if (p.owner === null) state.locks.delete(p.blockId);
  else state.locks.set(p.blockId, p);
  if (p.owner === state.me && p.blockId === state.editing) tell(() => "");
  decorate();
}

function applyCommit(p) {
  if (p.version <= state.version) return; // in our state already (a replay)
  state.version = p.version;
  if (p.restoredFrom) {
    load(p.workspaceXml);
    log("workspace.restored", { nickname: p.nickname, version: p.restoredFrom });
  } else if (p.by !== state.me) {
    replay(p.events);
    log("workspace.committed", { nickname: p.nickname, count: p.events.length });
  }
  historyChanged();
  render();
}

// --- Blockly's own words ------------------------------------------------------------------

// Blockly ships its messages per language (msg/ko.js, msg/en.js, served as vendor files):
// the page's language is loaded before the editor starts, and on a switch the editor is
// drawn again so its blocks and menus take the new words.
const blocklyMessages = { en: true }; // blockly.min.js carries the English ones
let blocklyLang = "en";

function loadBlocklyMessages(lang) {
  if (blocklyLang === lang && blocklyMessages[lang]) return Promise.resolve();
  const script = document.createElement("script");
  script.src = `/app/vendor/blockly-${lang}.js`;
  return new Promise((resolve) => {
    script.onload = () => {
      blocklyMessages[lang] = true;
      blocklyLang = lang;
      resolve();
    };
    script.onerror = () => resolve(); // English stays: the editor works the same
    document.head.append(script);
  });
}

async function redrawEditor() {
  await loadBlocklyMessages(i18n.lang());
  if (!state.workspace) return;
  const xml = xmlText();
  state.workspace.updateToolbox(TOOLBOX);
  load(xml);
}

// --- the page ------------------------------------------------------------------------

// What people call a block: its own text ("repeat 10 times"), not Blockly's type name.
function blockName(block, length = 40) {
  const text = block.toString(length).trim();
  return text || block.type;
}

function setOnline(online) {
  state.online = online;
  state.reconnecting = false;
  const pill = $("#connection");
  pill.textContent = i18n.t(online ? "workspace.live" : "workspace.offline");
  pill.classList.toggle("online", online);
  pill.classList.remove("reconnecting");
}

// Lost the connection but trying again (with back-off): said, so no one edits blind.
function setReconnecting() {
  state.reconnecting = true;
  const pill = $("#connection");
  pill.textContent = i18n.t("workspace.reconnecting");
  pill.classList.remove("online");
  pill.classList.add("reconnecting");
}

function person(color, text) {
  const item = document.createElement("li");
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.style.background = color;
  item.append(swatch, document.createTextNode(text));
  return item;
}

function render() {
  $("#version").textContent = `v${state.version}`;
  $("#users").replaceChildren(
    ...[...state.users.values()].map((user) =>
      person(
        user.color,
        user.clientId === state.me ? i18n.t("workspace.you", { nickname: user.nickname }) : user.nickname,
      ),
    ),
  );
  $("#locks").replaceChildren(
    ...[...state.locks.entries()].map(([blockId, lock]) => {
      const holder = state.users.get(lock.owner);
      const block = state.workspace && state.workspace.getBlockById(blockId);
      const what = block ? blockName(block) : blockId;
      const item = person(holder ? holder.color : "#999", `${what}: ${lock.nickname}`);
      item.dataset.blockId = blockId;
      return item;
    }),
  );
}

function join(event) {
  event.preventDefault();
  const form = event.target;
  state.nickname = form.nickname.value.trim();
  localStorage.setItem("backlot.nickname", state.nickname);
  form.hidden = true;
  state.joined = true;
  openRoom();
}

async function openRoom() {
  if (!state.workspace) await loadBlocklyMessages(i18n.lang());
  state.seq = 0;
  state.version = 0;
  state.stopped = false;
  reconnect(null);
}

// The server's rule for room ids (1-64 of A-Z a-z 0-9 _ -), each way of breaking it named.
function roomIdProblem(id) {
  if (id.length > 64) return "workspace.roomIdTooLong";
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return "workspace.roomIdCharacters";
  return null;
}

// Drawn on every change of the session (startSignIn): the room list, or the room. Signed
// out, the list offers the sign-in form; a room asks for it only when it refuses us.
async function show() {
  const signedIn = Boolean(browserSession.token());
  if (!roomId) {
    $("#rooms").hidden = false;
    $("#login").hidden = signedIn;
    if (!signedIn) tell(() => i18n.t("workspace.signInForRooms"));
    else if (!state.needsSignIn) tell(() => "");
    return loadRooms();
  }
  const badId = roomIdProblem(roomId);
  if (badId) return tell(() => i18n.t(badId), "error"); // said at once, with the real reason
  if (signedIn && state.needsSignIn) {
    state.needsSignIn = false;
    $("#login").hidden = true;
    tell(() => "");
    if (state.joined) return openRoom();
  }
  if (!state.needsSignIn) $("#login").hidden = true;
  if (!state.joined) {
    const form = $("#join");
    form.hidden = false;
    // Signed in, the name people know you by is offered; one press of Join opens the room.
    const me = signedIn ? shell.me() : null;
    if (!form.nickname.value) form.nickname.value = state.nickname || (me ? me.display_name : "");
  }
}

// The session ended (here, in another tab, or on the server): a signed-in socket stops
// and the page asks for a sign-in to go on; a visitor's socket never had a token.
function endRoomSession() {
  if (!state.token || !state.ws) return;
  state.stopped = true;
  const old = state.ws;
  state.ws = null;
  old.close();
  setOnline(false);
  clearInterval(state.heartbeat);
  state.needsSignIn = true;
  hideRoom();
  $("#login").hidden = false;
}

// Out of the room, for now: neither the editor nor its pills nor its history stay drawn.
function hideRoom() {
  $("#room").hidden = true;
  $("#pills").hidden = true;
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
}

// The room was deleted (close 4410) while we were in it: the page says so in a sentence
// and shows the room list, as if it had been opened at /app/workspace.
async function roomGone() {
  const title = state.title || roomId;
  state.stopped = true;
  state.ws = null;
  clearInterval(state.heartbeat);
  clearTimeout(state.flushTimer);
  clearTimeout(state.releaseTimer);
  hideRoom();
  if (state.workspace) state.workspace.dispose();
  $("#blockly").replaceChildren();
  Object.assign(state, {
    workspace: null,
    joined: false,
    users: new Map(),
    locks: new Map(),
    activity: [],
    editing: null,
    pending: [],
    seq: 0,
    version: 0,
    title: "",
  });
  drawActivity();
  render();
  roomId = "";
  history.replaceState(null, "", "/app/workspace");
  $("#room-title").textContent = "";
  $("#join").hidden = true;
  try {
    await show();
  } catch (error) {
    console.warn("could not list the rooms", error);
  }
  tell(() => i18n.t("workspace.roomGone", { title }), "error");
  $("#rooms-heading").focus();
}

// The tab's title in the page's language too.
const retitle = () => (document.title = `Backlot · ${i18n.t("shell.workspace")}`);
retitle();
i18n.apply($("#main"));
document.querySelectorAll("dialog").forEach((dialog) => i18n.apply(dialog));
i18n.onChange(() => {
  retitle();
  if (state.reconnecting) setReconnecting();
  else setOnline(state.online);
  render();
  drawActivity();
  say(state.message(), state.tone);
  redrawEditor().then(() => {
    if (!$("#history").open) return;
    drawVersions();
    drawPreview();
    sayInHistory(roomHistory.message, roomHistory.tone);
  });
});
$("#join").addEventListener("submit", join);
$("#go").addEventListener("submit", (event) => {
  event.preventDefault();
  location.href = `/app/workspace/${encodeURIComponent(event.target.room.value)}`;
});
startSignIn(show, endRoomSession, () => renewToken());
