// The labeling page: sign in, pick a project, see who holds which file, live.
// Plain browser JavaScript on top of the official socket.io-client build.
"use strict";

const state = {
  me: null,
  project: null,
  files: new Map(), // name -> lock or null
  content: new Map(), // name -> URL of its uploaded image
  thumbnails: new Map(), // image URL -> object URL of the fetched image (or null: loading)
  seq: 0,
  socket: null,
  heartbeat: null,
};

async function show() {
  const signedIn = Boolean(session.token);
  $("#login").hidden = signedIn;
  $("#workspace").hidden = !signedIn;
  $("#who").hidden = !signedIn;
  if (!signedIn) return;
  state.me = shell.me();
  const projects = await api("GET", "/v1/labeling/projects?limit=100");
  const select = $("#project");
  select.replaceChildren(
    ...projects.items.map((p) => new Option(p.name, String(p.id))),
  );
  if (projects.items.length === 0) say("No project yet: an admin creates one.");
  else openProject(Number(select.value));
}

async function openProject(projectId) {
  state.project = projectId;
  state.files.clear();
  const files = await api("GET", `/v1/labeling/projects/${projectId}/files?limit=100`);
  state.content.clear();
  for (const file of files.items) {
    state.files.set(file.name, file.lock);
    if (file.content_url) state.content.set(file.name, file.content_url);
  }
  connect();
}

// The server closes the socket when its access token expires (`token_expired`) unless
// the client first sends `authenticate {token}` with a fresh token of the same user: the
// session renews the token before that and the page sends it on (see startSignIn below).
function connect() {
  if (state.socket) state.socket.disconnect();
  const socket = io({ auth: { token: session.token }, transports: ["websocket"] });
  state.socket = socket;
  socket.on("connect", () => join(null));
  socket.on("disconnect", () => setOnline(false));
  socket.on("connect_error", (error) => say(`Realtime connection refused: ${error.message}`));
  socket.on("lock_acquired", (event) => apply("lock_acquired", event));
  socket.on("lock_released", (event) => apply("lock_released", event));
  socket.on("error", (error) => {
    // The server closes the socket after these; it does not come back by itself.
    if (error.code === "session_ended") {
      browserSession.renew(); // refused: the page then says the session has ended
    } else if (error.code === "token_expired") {
      browserSession.renew().then((renewed) => renewed && connect());
    } else if (error.code === "rate_limited") say("Too many live requests: reload the page.");
  });
  clearInterval(state.heartbeat);
  state.heartbeat = setInterval(() => socket.emit("heartbeat", {}), 20000);
}

function join(since) {
  const payload = { project_id: state.project };
  if (since !== null) payload.since = since;
  state.socket.emit("join_project", payload, (ack) => {
    if (!ack.ok) return say(ack.message);
    setOnline(true);
    for (const name of state.files.keys()) state.files.set(name, null);
    for (const lock of ack.locks) state.files.set(lock.file, lock);
    state.seq = ack.seq;
    render();
  });
}

function apply(kind, event) {
  if (event.seq <= state.seq) return; // already seen (a replay after a rejoin)
  if (event.seq !== state.seq + 1) return join(state.seq); // a gap: resync
  state.seq = event.seq;
  if (kind === "lock_acquired") {
    state.files.set(event.file, {
      file: event.file, user: event.user, user_id: event.user_id,
      token: event.token, expires_at: event.expires_at,
    });
  } else if (state.files.has(event.file) || event.reason) {
    state.files.set(event.file, null);
  }
  render();
}

function setOnline(online) {
  const pill = $("#connection");
  pill.textContent = online ? "live" : "offline";
  pill.classList.toggle("online", online);
}

function secondsLeft(lock) {
  return Math.max(0, Math.round((Date.parse(lock.expires_at) - Date.now()) / 1000));
}

// An <img src> cannot send the Authorization header: images are fetched, then shown
// from a blob URL.
async function thumbnail(url) {
  if (state.thumbnails.has(url)) return;
  state.thumbnails.set(url, null);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!response.ok) return;
  state.thumbnails.set(url, URL.createObjectURL(await response.blob()));
  render();
}

function render() {
  const list = $("#files");
  const names = [...state.files.keys()].sort();
  list.replaceChildren(
    ...names.map((name) => {
      const lock = state.files.get(name);
      const item = document.createElement("li");
      item.className = "file";
      item.dataset.file = name;
      const title = document.createElement("div");
      title.className = "name";
      title.textContent = name;
      const status = document.createElement("div");
      status.className = "state";
      if (!lock) status.textContent = "free";
      else if (lock.user_id === state.me.id) {
        item.classList.add("mine");
        status.textContent = `yours · ${secondsLeft(lock)} s`;
      } else {
        item.classList.add("locked");
        status.textContent = `locked by ${lock.user}`;
      }
      const url = state.content.get(name);
      if (url && state.thumbnails.get(url)) {
        const image = document.createElement("img");
        image.src = state.thumbnails.get(url);
        image.alt = name;
        item.append(image);
      } else if (url) thumbnail(url);
      item.append(title, status);
      item.addEventListener("click", () => toggle(name));
      return item;
    }),
  );
  const mine = names.map((n) => state.files.get(n)).find((l) => l && l.user_id === state.me.id);
  $("#mine").hidden = !mine;
  if (mine) $("#mine").textContent = `your lock on ${mine.file}: ${secondsLeft(mine)} s left`;
}

async function toggle(name) {
  const lock = state.files.get(name);
  const body = { project_id: state.project, file_name: name };
  try {
    if (lock && lock.user_id === state.me.id) await api("POST", "/v1/labeling/unlock", body);
    else await api("POST", "/v1/labeling/lock", { ...body, switch: true });
    say("");
  } catch (error) {
    say(error.message);
  }
}

$("#add-file").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = event.target.elements.name;
  try {
    await api("POST", `/v1/labeling/projects/${state.project}/files`, { name: input.value });
    if (!state.files.has(input.value.trim())) state.files.set(input.value.trim(), null);
    input.value = "";
    render();
  } catch (error) {
    say(error.message);
  }
});

$("#upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch(`/v1/labeling/projects/${state.project}/files/upload`, {
    method: "POST",
    headers: { Authorization: `Bearer ${session.token}` },
    body: new FormData(event.target),
  });
  const data = await response.json();
  if (!response.ok) return say(data.detail);
  if (!state.files.has(data.name)) state.files.set(data.name, null);
  state.content.set(data.name, data.content_url);
  event.target.reset();
  say("");
  render();
});

$("#project").addEventListener("change", (event) => openProject(Number(event.target.value)));
startSignIn(
  show,
  () => {
    if (state.socket) state.socket.disconnect();
  },
  (token) => {
    if (state.socket) state.socket.emit("authenticate", { token });
  },
);
setInterval(() => state.project && render(), 1000); // the countdown
