// The workspace page: a real Blockly editor speaking seed 002's protocol over a raw
// WebSocket. Selecting a block locks it (LOCK_ACQUIRE); finishing a drag or an edit
// commits it (COMMIT with the Blockly events and the whole workspace as XML), which
// releases the lock; others replay the events from COMMIT_APPLY.
"use strict";

const $ = (selector) => document.querySelector(selector);
const roomId = decodeURIComponent(location.pathname.split("/")[3] || "");
const HEARTBEAT_MS = 10000;

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

function say(text) {
  $("#message").textContent = text || "";
}

function log(text) {
  const item = document.createElement("li");
  item.textContent = text;
  $("#activity").prepend(item);
}

function send(t, payload) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ t, payload }));
  }
}

// --- the editor --------------------------------------------------------------------

function startEditor() {
  state.workspace = Blockly.inject("blockly", {
    toolbox: TOOLBOX,
    media: "/app/vendor/blockly-media/",
    trashcan: true,
    zoom: { controls: true, wheel: true },
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
  if (lock && lock.owner !== state.me) say(`${lock.nickname} is editing this block.`);
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

function connect(since) {
  const params = new URLSearchParams({ nickname: state.nickname });
  const token = browserSession.token();
  if (token) params.set("token", token); // members rooms need it
  state.token = token;
  if (since) params.set("since", String(since));
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/ws/workspace/${encodeURIComponent(roomId)}/?${params}`;
  const ws = new WebSocket(url);
  state.ws = ws;
  ws.onmessage = (message) => receive(JSON.parse(message.data));
  ws.onclose = (closed) => {
    if (state.ws !== ws) return;
    setOnline(false);
    clearInterval(state.heartbeat);
    // 4400-4499 refuse this request itself (bad nickname, full room, no access): asking
    // again will not help. Anything else (restart, network, idle) reconnects and resumes.
    if (closed.code >= 4400 && closed.code < 4500 && closed.code !== 4408) {
      say(closed.reason || "The room refused the connection.");
      $("#join").hidden = false;
      return;
    }
    if (state.stopped) return;
    setTimeout(() => connect(state.seq), state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 10000);
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
browserSession.onRenewed(() => renewToken());

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
      if (p.clientId !== state.me) log(`${p.nickname} joined`);
      return render();
    case "USER_LEFT":
      state.users.delete(p.clientId);
      log(`${p.nickname} left`);
      return render();
    case "LOCK_UPDATE":
      return lockUpdate(p);
    case "LOCK_DENIED":
      say(`${p.nickname} is editing this block (${Math.ceil(p.ttlMs / 1000)} s left).`);
      if (state.editing === p.blockId) state.editing = null; // a click asks again
      return;
    case "COMMIT_APPLY":
      return applyCommit(p);
    case "ERROR":
      return say(p.message);
  }
}

function init(p) {
  state.me = p.clientId;
  state.seq = p.seq;
  state.users = new Map(p.users.map((user) => [user.clientId, user]));
  state.locks = new Map(Object.entries(p.locks));
  state.retryMs = 500;
  $("#room-title").textContent = `· ${p.room.title}`;
  if (!p.resumed) load(p.workspaceXml);
  state.version = Math.max(p.version, p.resumed ? state.version : 0);
  setOnline(true);
  say("");
  clearInterval(state.heartbeat);
  state.heartbeat = setInterval(() => {
    send("HEARTBEAT", {});
    renewToken();
  }, HEARTBEAT_MS);
  if (p.readOnly) say("You are watching: sign in to edit this room.");
  decorate();
}

function lockUpdate(p) {
  const current = state.locks.get(p.blockId);
  if (current && p.token < current.token) return; // older news than what we have
  if (p.owner === null) state.locks.delete(p.blockId);
  else state.locks.set(p.blockId, p);
  if (p.owner === state.me && p.blockId === state.editing) say("");
  decorate();
}

function applyCommit(p) {
  if (p.version <= state.version) return; // in our state already (a replay)
  state.version = p.version;
  if (p.restoredFrom) {
    load(p.workspaceXml);
    log(`${p.nickname} restored version ${p.restoredFrom}`);
  } else if (p.by !== state.me) {
    replay(p.events);
    log(`${p.nickname} committed ${p.events.length} change(s)`);
  }
  render();
}

// --- the page ------------------------------------------------------------------------

function setOnline(online) {
  const pill = $("#connection");
  pill.textContent = online ? "live" : "offline";
  pill.classList.toggle("online", online);
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
      person(user.color, user.clientId === state.me ? `${user.nickname} (you)` : user.nickname),
    ),
  );
  $("#locks").replaceChildren(
    ...[...state.locks.entries()].map(([blockId, lock]) => {
      const holder = state.users.get(lock.owner);
      const block = state.workspace && state.workspace.getBlockById(blockId);
      const what = block ? block.type : blockId;
      const item = person(holder ? holder.color : "#999", `${what}: ${lock.nickname}`);
      item.dataset.blockId = blockId;
      return item;
    }),
  );
}

async function showRooms() {
  $("#rooms").hidden = false;
  $("#go").addEventListener("submit", (event) => {
    event.preventDefault();
    location.href = `/app/workspace/${encodeURIComponent(event.target.room.value)}`;
  });
  const token = browserSession.token();
  const response = await fetch("/v1/workspace/rooms?limit=100", {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  const rooms = response.ok ? (await response.json()).items : [];
  $("#room-list").replaceChildren(
    ...rooms.map((room) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/app/workspace/${encodeURIComponent(room.room_id)}`;
      link.textContent = room.title;
      link.className = "name";
      item.append(link, document.createTextNode(`${room.visibility} · v${room.version}`));
      return item;
    }),
  );
}

function showRoom() {
  const form = $("#join");
  form.hidden = false;
  form.nickname.value = state.nickname;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.nickname = form.nickname.value.trim();
    localStorage.setItem("backlot.nickname", state.nickname);
    form.hidden = true;
    $("#room").hidden = false;
    if (!state.workspace) startEditor();
    state.seq = 0;
    state.version = 0;
    reconnect(null);
  });
}

// Signed in (a session cookie from another page) or not, the page works: members rooms
// need the session's token.
browserSession.renew().finally(() => (roomId ? showRoom() : showRooms()));
