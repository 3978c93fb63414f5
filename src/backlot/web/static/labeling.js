// The labeling page: sign in, pick a project, see who holds which file, live; lock and
// release a file with a click or the keyboard (each tile is a real toggle button).
// Plain browser JavaScript on top of the official socket.io-client build.
"use strict";

i18n.add({
  en: {
    "labeling.title": "Labeling",
    "labeling.personal":
      "Labeling is for company accounts: projects belong to a company and its members share them. " +
      "Ask an admin of your company to add you, or sign up with a new company from the home page.",
    "labeling.empty.title": "No project yet",
    "labeling.empty.admin": "No project yet: create one. Give it a name, then add the files to label.",
    "labeling.empty.member": "No project yet: ask an admin of your company to create one.",
    "labeling.projectName": "Project name",
    "labeling.createProject": "Create project",
    "labeling.created": "Project {name} created.",
    "labeling.project": "Project",
    "labeling.fileName": "File name",
    "labeling.register": "Register file",
    "labeling.registered": "{name} registered.",
    "labeling.image": "Image",
    "labeling.upload": "Upload image",
    "labeling.uploading": "Uploading…",
    "labeling.uploaded": "{name} uploaded.",
    "labeling.files": "Files",
    "labeling.help": "Choose a file to lock it for yourself; choose it again to release it.",
    "labeling.noFiles": "No files yet: register a file name or upload an image above.",
    "labeling.live": "Live",
    "labeling.offline": "Offline: reconnecting…",
    "labeling.free": "Free",
    "labeling.yours": "Yours · {seconds} s left",
    "labeling.yoursRenewing": "Yours · renewing…",
    "labeling.lockedBy": "Locked by {name}",
    "labeling.mine": "You hold {file}: {seconds} s left",
    "labeling.mineRenewing": "You hold {file}: renewing…",
    "labeling.lockHeld": "{file} is locked by {name}: choose another file or wait until it is released.",
    "labeling.connectRefused": "The live connection was refused. Reload the page to try again.",
  },
  ko: {
    "labeling.title": "라벨링",
    "labeling.personal":
      "라벨링은 회사 계정에서 쓸 수 있습니다. 프로젝트는 회사에 속하고 구성원이 함께 씁니다. " +
      "회사 관리자에게 추가를 요청하거나, 처음 화면에서 새 회사로 가입하세요.",
    "labeling.empty.title": "아직 프로젝트가 없습니다",
    "labeling.empty.admin": "아직 프로젝트가 없습니다. 이름을 정해 프로젝트를 만든 뒤 라벨링할 파일을 추가하세요.",
    "labeling.empty.member": "아직 프로젝트가 없습니다. 회사 관리자에게 프로젝트를 만들어 달라고 요청하세요.",
    "labeling.projectName": "프로젝트 이름",
    "labeling.createProject": "프로젝트 만들기",
    "labeling.created": "{name} 프로젝트를 만들었습니다.",
    "labeling.project": "프로젝트",
    "labeling.fileName": "파일 이름",
    "labeling.register": "파일 등록",
    "labeling.registered": "{name} 파일을 등록했습니다.",
    "labeling.image": "이미지",
    "labeling.upload": "이미지 올리기",
    "labeling.uploading": "올리는 중…",
    "labeling.uploaded": "{name} 파일을 올렸습니다.",
    "labeling.files": "파일",
    "labeling.help": "파일을 고르면 내 작업으로 잠급니다. 한 번 더 고르면 잠금을 풉니다.",
    "labeling.noFiles": "아직 파일이 없습니다. 위에서 파일 이름을 등록하거나 이미지를 올리세요.",
    "labeling.live": "실시간 연결됨",
    "labeling.offline": "연결 끊김: 다시 연결하는 중…",
    "labeling.free": "작업 가능",
    "labeling.yours": "내가 잠금 · {seconds}초 남음",
    "labeling.yoursRenewing": "내가 잠금 · 연장하는 중…",
    "labeling.lockedBy": "{name} 님이 잠금",
    "labeling.mine": "{file} 잠금 중: {seconds}초 남음",
    "labeling.mineRenewing": "{file} 잠금 중: 연장하는 중…",
    "labeling.lockHeld": "{name} 님이 {file} 파일을 잠갔습니다. 다른 파일을 고르거나 잠금이 풀릴 때까지 기다리세요.",
    "labeling.connectRefused": "실시간 연결이 거부되었습니다. 페이지를 새로 고쳐 다시 시도하세요.",
  },
});

// The markup's own texts (data-text) and the tab's title, in the page's language.
function translatePage() {
  i18n.apply($("main"));
  document.title = `Backlot · ${i18n.t("labeling.title")}`;
}
translatePage();

const PRESENCE_BEAT_MS = 20000; // the server forgets a silent socket after a while
const RENEWING_MS = 3000; // below this, "renewing" rather than a countdown near zero

const state = {
  me: null,
  project: null,
  online: false,
  files: new Map(), // name -> lock ({file, user, user_id, token, deadline}) or null
  content: new Map(), // name -> URL of its uploaded image
  thumbnails: new Map(), // image URL -> object URL of the fetched image (or null: loading)
  seq: 0,
  socket: null,
  heartbeat: null,
  ttl: 0, // the longest lock lifetime seen (ms): a lock is renewed at half of it
  renewing: false,
  notice: null, // the shell notice shown, redrawn when the language changes
  said: null, // () => the status line's text, redrawn when the language changes
};

// The status line, kept as a function so it can be said again in another language.
function tell(text, tone = "error") {
  state.said = text;
  state.tone = tone;
  say(text ? text() : "", tone);
}

// Words for whatever went wrong: a problem by its code, else a general sentence (never
// a parser's or a browser's own message).
function sentence(error) {
  if (error && (error.problem || error instanceof TypeError)) return i18n.problem(error);
  return i18n.t("problem.unknown");
}

function explain(key) {
  state.notice = key;
  shell.explain(key);
}

function hideAll() {
  for (const id of ["#workspace", "#empty", "#create-project"]) $(id).hidden = true;
}

async function show() {
  const signedIn = Boolean(session.token);
  $("#login").hidden = signedIn;
  if (!signedIn) {
    hideAll();
    explain(null);
    return;
  }
  state.me = shell.me();
  if (!state.me.corporation) {
    hideAll();
    return explain("labeling.personal");
  }
  explain(null);
  const projects = await api("GET", "/v1/labeling/projects?limit=100");
  const empty = projects.items.length === 0;
  $("#empty").hidden = !empty;
  $("#workspace").hidden = empty;
  if (empty) {
    const admin = state.me.role === "admin";
    $("#create-project").hidden = !admin;
    $("#empty-text").dataset.text = admin ? "labeling.empty.admin" : "labeling.empty.member";
    i18n.apply($("#empty"));
    return;
  }
  const select = $("#project");
  select.replaceChildren(...projects.items.map((p) => new Option(p.name, String(p.id))));
  await openProject(Number(select.value));
}

async function openProject(projectId) {
  state.project = projectId;
  state.files.clear();
  state.content.clear();
  const files = await api("GET", `/v1/labeling/projects/${projectId}/files?limit=100`);
  for (const file of files.items) {
    state.files.set(file.name, file.lock && held(file.lock));
    if (file.content_url) state.content.set(file.name, file.content_url);
  }
  render();
  connect();
}

// A lock as the page keeps it: its end on this browser's clock (from `expires_in_ms`
// when the server sent it, so a skewed clock does not matter), and the lifetime it had.
function held(lock, previous = null) {
  const deadline =
    lock.expires_in_ms !== undefined
      ? Date.now() + lock.expires_in_ms
      : previous && previous.token === lock.token
        ? previous.deadline // an event about a lock already known: keep the better clock
        : Date.parse(lock.expires_at);
  if (lock.expires_in_ms !== undefined && lock.user_id === state.me.id) {
    state.ttl = Math.max(state.ttl, lock.expires_in_ms);
  }
  return { file: lock.file, user: lock.user, user_id: lock.user_id, token: lock.token, deadline };
}

// The server closes the socket when its access token expires (`token_expired`) unless
// the client first sends `authenticate {token}` with a fresh token of the same user: the
// session renews the token before that and the page sends it on (see startSignIn below).
function connect() {
  if (state.socket) state.socket.disconnect();
  // A function, so each reconnection sends the current token, not the first one.
  const socket = io({ auth: (send) => send({ token: session.token }), transports: ["websocket"] });
  state.socket = socket;
  socket.on("connect", () => join(null));
  socket.on("disconnect", () => setOnline(false));
  socket.on("connect_error", () => tell(() => i18n.t("labeling.connectRefused")));
  socket.on("lock_acquired", (event) => apply("lock_acquired", event));
  socket.on("lock_released", (event) => apply("lock_released", event));
  socket.on("error", (error) => {
    // The server closes the socket after these; it does not come back by itself.
    if (error.code === "session_ended") {
      browserSession.renew(); // refused: the page then says the session has ended
    } else if (error.code === "token_expired") {
      browserSession.renew().then((renewed) => renewed && connect());
    } else if (error.code === "rate_limited") tell(() => i18n.t("problem.rate_limited"));
  });
  clearInterval(state.heartbeat);
  state.heartbeat = setInterval(beat, PRESENCE_BEAT_MS);
}

// A socket answer that failed, as a problem i18n.problem can word.
const socketProblem = (ack) => ({ problem: { code: ack.code, status: 400 } });

function join(since) {
  const payload = { project_id: state.project };
  if (since !== null) payload.since = since;
  state.socket.emit("join_project", payload, (ack) => {
    if (!ack.ok) return tell(() => i18n.problem(socketProblem(ack)));
    setOnline(true);
    for (const name of state.files.keys()) state.files.set(name, null);
    for (const lock of ack.locks) state.files.set(lock.file, held(lock));
    state.seq = ack.seq;
    render();
  });
}

// Renews the socket's presence and every lock the user holds; the answer carries each
// renewed lock's new lifetime, so the countdown starts over instead of reaching zero.
function beat() {
  if (!state.socket || !state.socket.connected || state.renewing) return;
  state.renewing = true;
  state.socket.timeout(10000).emit("heartbeat", {}, (error, ack) => {
    state.renewing = false;
    if (error || !ack.ok) return;
    for (const lock of ack.renewed) {
      if (lock.project_id === state.project) state.files.set(lock.file, held(lock));
    }
    render();
  });
}

function apply(kind, event) {
  if (event.seq <= state.seq) return; // already seen (a replay after a rejoin)
  if (event.seq !== state.seq + 1) return join(state.seq); // a gap: resync
  state.seq = event.seq;
  if (kind === "lock_acquired") {
    state.files.set(event.file, held(event, state.files.get(event.file)));
  } else if (state.files.has(event.file) || event.reason) {
    state.files.set(event.file, null);
  }
  render();
}

function setOnline(online) {
  state.online = online;
  const pill = $("#connection");
  pill.textContent = i18n.t(online ? "labeling.live" : "labeling.offline");
  pill.classList.toggle("online", online);
}

const remaining = (lock) => lock.deadline - Date.now();
const isMine = (lock) => Boolean(lock) && lock.user_id === state.me.id;

// "12 s left", or "renewing" when the countdown would come near zero while the lock is
// still ours (the renewal's answer sets a new deadline).
function countdown(lock, key) {
  if (remaining(lock) <= RENEWING_MS) return i18n.t(`${key}Renewing`, { file: lock.file });
  const seconds = i18n.number(Math.ceil(remaining(lock) / 1000));
  return i18n.t(key, { file: lock.file, seconds });
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

function tile(name) {
  const item = document.createElement("li");
  item.className = "file";
  item.dataset.file = name;
  const button = document.createElement("button");
  button.type = "button";
  const title = document.createElement("span");
  title.className = "name";
  title.textContent = name;
  const status = document.createElement("span");
  status.className = "state";
  button.append(title, status);
  button.addEventListener("click", () => toggle(name));
  item.append(button);
  return item;
}

// Tiles are updated in place, never rebuilt: a rebuilt button would take the keyboard
// focus with it every second.
function drawTile(item, name) {
  const lock = state.files.get(name);
  const button = item.querySelector("button");
  const mine = isMine(lock);
  item.classList.toggle("mine", mine);
  item.classList.toggle("locked", Boolean(lock) && !mine);
  button.setAttribute("aria-pressed", String(mine));
  let text = i18n.t("labeling.free");
  if (mine) text = countdown(lock, "labeling.yours");
  else if (lock) text = i18n.t("labeling.lockedBy", { name: lock.user });
  item.querySelector(".state").textContent = text;
  const url = state.content.get(name);
  if (url && state.thumbnails.get(url) && !item.querySelector("img")) {
    const image = document.createElement("img");
    image.src = state.thumbnails.get(url);
    image.alt = ""; // the file's name is said beside it
    button.prepend(image);
  } else if (url) thumbnail(url);
}

function render() {
  const list = $("#files");
  const names = [...state.files.keys()].sort();
  const tiles = new Map([...list.children].map((item) => [item.dataset.file, item]));
  const order = names.map((name) => tiles.get(name) || tile(name));
  if (order.length !== list.children.length || order.some((item, i) => list.children[i] !== item)) {
    list.replaceChildren(...order);
  }
  order.forEach((item, i) => drawTile(item, names[i]));
  $("#no-files").hidden = names.length > 0;
  const mine = names.map((n) => state.files.get(n)).find(isMine);
  $("#mine").hidden = !mine;
  if (!mine) return;
  $("#mine").textContent = countdown(mine, "labeling.mine");
  if (state.ttl && remaining(mine) < state.ttl / 2) beat();
}

async function toggle(name) {
  const lock = state.files.get(name);
  const body = { project_id: state.project, file_name: name };
  try {
    if (isMine(lock)) {
      await api("POST", "/v1/labeling/unlock", body);
      state.files.set(name, null);
    } else {
      state.files.set(name, held(await api("POST", "/v1/labeling/lock", { ...body, switch: true })));
      for (const [other, otherLock] of state.files) {
        if (other !== name && isMine(otherLock)) state.files.set(other, null); // switched
      }
    }
    tell(null);
    render();
  } catch (error) {
    const problem = error.problem;
    if (problem && problem.code === "lock_held") {
      tell(() => i18n.t("labeling.lockHeld", { file: name, name: problem.locked_by }));
    } else tell(() => sentence(error));
  }
}

$("#create-project").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const project = await api("POST", "/v1/labeling/projects", { name: form.elements.name.value });
    form.reset();
    tell(() => i18n.t("labeling.created", { name: project.name }), "success");
    await show();
  } catch (error) {
    tell(() => sentence(error));
  }
});

$("#project").addEventListener("change", (event) => {
  openProject(Number(event.target.value)).catch((error) => tell(() => sentence(error)));
});

i18n.onChange(() => {
  translatePage();
  if (state.notice) shell.explain(state.notice);
  if (state.said) tell(state.said, state.tone); // a redraw forgets it, so a sign-in message stays
  if (state.socket) setOnline(state.online);
  if (state.project !== null) render();
});

startSignIn(
  (...args) => {
    state.said = null;
    return show(...args);
  },
  () => {
    if (state.socket) state.socket.disconnect();
    state.socket = null;
    state.project = null;
    clearInterval(state.heartbeat);
  },
  (token) => {
    if (state.socket) state.socket.emit("authenticate", { token });
  },
);
setInterval(() => state.project !== null && state.me && render(), 1000); // the countdown

// What the page's other scripts (labeling.upload.js, labeling.admin.js) ask of the grid
// after they add files or change the projects.
window.labelingPage = {
  reloadProjects: () => show(),
  reloadFiles: () => (state.project === null ? Promise.resolve() : openProject(state.project)),
};
