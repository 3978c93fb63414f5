// The labeling page: sign in, pick a project, see each file's state live (new, being
// labeled by someone, labeled), counted and filtered by state, a page at a time; choose a
// file (a real button) to lock it and open it in the annotator (labeling.annotator.js).
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
    "labeling.help": "Choose a file to lock it for yourself and label it; closing the annotator releases it.",
    "labeling.noFiles": "No files yet: register a file name or upload an image above.",
    "labeling.live": "Live",
    "labeling.offline": "Offline: reconnecting…",
    "labeling.free": "New",
    "labeling.yours": "Yours · {seconds} s left",
    "labeling.yoursRenewing": "Yours · renewing…",
    "labeling.lockedBy": "Being labeled by {name}",
    "labeling.mine": "You hold {file}: {seconds} s left",
    "labeling.mineRenewing": "You hold {file}: renewing…",
    "labeling.lockHeld": "{file} is locked by {name}: choose another file or wait until it is released.",
    "labeling.connectRefused": "The live connection was refused. Reload the page to try again.",
    "labeling.labeled": "Labeled · version {version}",
    "labeling.yoursEnded": "Your lock has ended",
    "labeling.mineEnded": "Your lock on {file} has ended.",
    "labeling.states": "Show files",
    "labeling.state.all": "All · {count}",
    "labeling.state.new": "New · {count}",
    "labeling.state.in_progress": "Being labeled · {count}",
    "labeling.state.labeled": "Labeled · {count}",
    "labeling.more": "Show more files ({count} more)",
    "labeling.noMatch": "No file is in this state right now.",
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
    "labeling.help": "파일을 고르면 내 작업으로 잠그고 라벨링합니다. 라벨링 화면을 닫으면 잠금이 풀립니다.",
    "labeling.noFiles": "아직 파일이 없습니다. 위에서 파일 이름을 등록하거나 이미지를 올리세요.",
    "labeling.live": "실시간 연결됨",
    "labeling.offline": "연결 끊김: 다시 연결하는 중…",
    "labeling.free": "새 파일",
    "labeling.yours": "내가 잠금 · {seconds}초 남음",
    "labeling.yoursRenewing": "내가 잠금 · 연장하는 중…",
    "labeling.lockedBy": "{name} 님이 라벨링하는 중",
    "labeling.mine": "{file} 잠금 중: {seconds}초 남음",
    "labeling.mineRenewing": "{file} 잠금 중: 연장하는 중…",
    "labeling.lockHeld": "{name} 님이 {file} 파일을 잠갔습니다. 다른 파일을 고르거나 잠금이 풀릴 때까지 기다리세요.",
    "labeling.connectRefused": "실시간 연결이 거부되었습니다. 페이지를 새로 고쳐 다시 시도하세요.",
    "labeling.labeled": "라벨링 완료 · 버전 {version}",
    "labeling.yoursEnded": "내 잠금이 끝났습니다",
    "labeling.mineEnded": "{file} 파일의 내 잠금이 끝났습니다.",
    "labeling.states": "보여 줄 파일",
    "labeling.state.all": "전체 · {count}",
    "labeling.state.new": "새 파일 · {count}",
    "labeling.state.in_progress": "라벨링 중 · {count}",
    "labeling.state.labeled": "라벨링 완료 · {count}",
    "labeling.more": "파일 더 보기 ({count}개 더)",
    "labeling.noMatch": "지금 이 상태인 파일이 없습니다.",
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
const PAGE_SIZE = 50; // files asked for at a time: a project may have thousands
const STATES = ["new", "in_progress", "labeled"];

const state = {
  me: null,
  project: null,
  online: false,
  files: new Map(), // name -> the file as listed (null: just registered here), in grid order
  locks: new Map(), // name -> lock ({file, user, user_id, token, deadline, seen}) of every locked file
  content: new Map(), // name -> URL of its uploaded image
  thumbnails: new Map(), // image URL -> object URL of the fetched image (null: none)
  fetching: new Map(), // image URL -> the fetch's promise of that object URL
  filter: null, // the state the grid lists (null: every file)
  counts: null, // the project's files per state, from the API
  total: 0, // files the filter matches
  listed: 0, // of those, how many were fetched
  drawn: 0, // tiles last drawn: one more means a file was registered or uploaded here
  joined: false, // the lock table came from the socket (newer than a listed page's locks)
  seq: 0,
  socket: null,
  heartbeat: null,
  ttl: 0, // the longest lock lifetime seen (ms): a lock is renewed at half of it
  renewing: false,
  retried: false, // a refused socket is tried once more with a fresh token
  refused: false, // "the live connection was refused" is said: until it connects again
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
  if (annotator.isOpen()) annotator.dismiss();
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
  if (annotator.isOpen()) annotator.dismiss();
  state.project = projectId;
  state.filter = null;
  state.locks.clear();
  state.joined = false;
  await listFiles(0);
  connect();
}

// The grid's files from the start, a page at a time, until `upTo` are listed (0: one
// page); or, with `more`, the next page after those listed.
async function listFiles(upTo, more = false) {
  const project = state.project;
  const pages = [];
  let offset = more ? state.listed : 0;
  let page;
  do {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
    if (state.filter) query.set("state", state.filter);
    page = await api("GET", `/v1/labeling/projects/${project}/files?${query}`);
    pages.push(page);
    offset += page.items.length;
  } while (offset < upTo && offset < page.total && page.items.length);
  if (project !== state.project) return; // another project was chosen meanwhile
  if (!more) {
    state.files.clear();
    state.content.clear();
  }
  for (const file of pages.flatMap((p) => p.items)) {
    state.files.set(file.name, file);
    if (file.content_url) state.content.set(file.name, file.content_url);
    if (!state.joined && file.lock) state.locks.set(file.name, held(file.lock, state.locks.get(file.name)));
  }
  state.listed = offset;
  state.total = page.total;
  state.counts = page.counts;
  state.drawn = state.files.size;
  render();
}

// The counts (and the filter's total) again, shortly after changes stop coming.
let recountTimer = null;
function recount() {
  clearTimeout(recountTimer);
  recountTimer = setTimeout(async () => {
    const project = state.project;
    if (project === null) return;
    const query = new URLSearchParams({ limit: "1" });
    if (state.filter) query.set("state", state.filter);
    try {
      const page = await api("GET", `/v1/labeling/projects/${project}/files?${query}`);
      if (project !== state.project) return;
      state.counts = page.counts;
      state.total = page.total;
      render();
    } catch {
      // the next change asks again
    }
  }, 300);
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
  const { file, user, user_id, token } = lock;
  return { file, user, user_id, token, deadline, seen: Date.now() };
}

// The server closes the socket when its access token expires (`token_expired`) unless
// the client first sends `authenticate {token}` with a fresh token of the same user: the
// session renews the token before that and the page sends it on (see startSignIn below).
function connect() {
  if (state.socket) state.socket.disconnect();
  // A function, so each reconnection sends the current token, not the first one.
  const socket = io({ auth: (send) => send({ token: session.token }), transports: ["websocket"] });
  state.socket = socket;
  let connected = false;
  socket.on("connect", () => {
    join(null, connected); // after a reconnection the listed files are read again
    connected = true;
  });
  socket.on("disconnect", () => setOnline(false));
  socket.on("connect_error", () => {
    setOnline(false);
    // The server away (restarting, the network down): the client tries again by itself
    // and the pill says so. Refused by the server: once more with a fresh token, then
    // a sentence, taken away when the socket connects again.
    if (socket.active) return;
    if (!state.retried) {
      state.retried = true;
      browserSession.renew().then((renewed) => renewed && socket === state.socket && socket.connect());
      return;
    }
    state.refused = true;
    tell(() => i18n.t("labeling.connectRefused"));
  });
  for (const kind of ["lock_acquired", "lock_released", "annotation_saved"]) {
    socket.on(kind, (event) => apply(kind, event));
  }
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

// The live lock table; with `since` (a gap in the events) what was missed, or, when
// that left the server's window or the socket came back, the listed files read again.
function join(since, reconnected = false) {
  const project = state.project;
  const payload = { project_id: project };
  if (since !== null) payload.since = since;
  state.socket.emit("join_project", payload, (ack) => {
    if (project !== state.project) return;
    if (!ack.ok) return tell(() => i18n.problem(socketProblem(ack)));
    setOnline(true);
    state.retried = false;
    if (state.refused) {
      state.refused = false;
      tell(null);
    }
    const before = state.locks;
    state.locks = new Map(ack.locks.map((lock) => [lock.file, held(lock, before.get(lock.file))]));
    state.joined = true;
    state.seq = ack.seq;
    if (Array.isArray(ack.missed)) {
      ack.missed.filter((event) => event.event === "annotation_saved").forEach(labeled);
    } else if (since !== null || reconnected) {
      listFiles(state.listed).catch(() => {});
    }
    render();
    recount();
  });
}

// Renews the socket's presence and every lock the user holds (through the REST route
// while the socket is down); the answer carries each renewed lock's new lifetime, so the
// countdown starts over instead of reaching zero. A lock of ours the server did not
// renew has ended: the page says so rather than count down a lock it no longer has.
function beat() {
  if (state.renewing || state.project === null) return;
  const project = state.project;
  const socket = state.socket && state.socket.connected ? state.socket : null;
  if (!socket && ![...state.locks.values()].some(isMine)) return;
  state.renewing = true;
  const asked = Date.now();
  const renewed = (locks) => {
    if (project !== state.project) return;
    const kept = new Set();
    for (const lock of locks.filter((l) => l.project_id === project)) {
      state.locks.set(lock.file, held(lock));
      kept.add(lock.file);
    }
    for (const [name, lock] of state.locks) {
      if (isMine(lock) && !kept.has(name) && lock.seen < asked) state.locks.delete(name);
    }
    render();
  };
  const done = () => {
    state.renewing = false;
  };
  if (socket) {
    socket.timeout(10000).emit("heartbeat", {}, (error, ack) => {
      done();
      if (!error && ack.ok) renewed(ack.renewed);
    });
  } else {
    api("POST", "/v1/labeling/heartbeat", { project_id: project })
      .then((answer) => renewed(answer.renewed))
      .catch(() => {}) // unreachable: the countdown goes on, to "ended" at the deadline
      .finally(done);
  }
}

function apply(kind, event) {
  if (event.seq <= state.seq) return; // already seen (a replay after a rejoin)
  if (event.seq !== state.seq + 1) return join(state.seq); // a gap: resync
  state.seq = event.seq;
  if (kind === "lock_acquired") {
    state.locks.set(event.file, held(event, state.locks.get(event.file)));
  } else if (kind === "lock_released") {
    state.locks.delete(event.file);
  } else labeled(event);
  render();
  recount();
}

// A file saved (here or by anyone): labeled, at this version.
function labeled(event) {
  if (!state.files.has(event.file)) return; // not listed in this grid
  const file = state.files.get(event.file) || { name: event.file, annotation_version: 0 };
  file.annotation_version = Math.max(file.annotation_version || 0, event.version);
  state.files.set(event.file, file);
}

function setOnline(online) {
  state.online = online;
  const pill = $("#connection");
  pill.textContent = i18n.t(online ? "labeling.live" : "labeling.offline");
  pill.classList.toggle("online", online);
}

const remaining = (lock) => lock.deadline - Date.now();
const isMine = (lock) => Boolean(lock) && lock.user_id === state.me.id;

// "12 s left"; "renewing" when the countdown comes near zero while the lock is still
// ours (the renewal's answer sets a new deadline); "ended" past it, never "0 s left".
function countdown(lock, key) {
  const left = remaining(lock);
  if (left <= 0) return i18n.t(`${key}Ended`, { file: lock.file });
  if (left <= RENEWING_MS) return i18n.t(`${key}Renewing`, { file: lock.file });
  const seconds = i18n.number(Math.ceil(left / 1000));
  return i18n.t(key, { file: lock.file, seconds });
}

// An <img src> cannot send the Authorization header: images are fetched, then shown
// from a blob URL (the tile's and the annotator's, once for both).
function image(url) {
  if (!state.fetching.has(url)) {
    const fetched = (async () => {
      const response = await fetch(url, { headers: { Authorization: `Bearer ${session.token}` } });
      if (!response.ok) return null;
      return URL.createObjectURL(await response.blob());
    })()
      .catch(() => null)
      .then((objectUrl) => {
        state.thumbnails.set(url, objectUrl);
        render();
        return objectUrl;
      });
    state.fetching.set(url, fetched);
  }
  return state.fetching.get(url);
}

// --- the grid -------------------------------------------------------------------

// Above the tiles: the counts per state, each a filter; below them, the next page.
const statesBar = document.createElement("div");
statesBar.id = "states";
statesBar.className = "bar";
statesBar.setAttribute("role", "group");
statesBar.dataset.textAriaLabel = "labeling.states";
for (const key of [null, ...STATES]) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  if (key) button.dataset.state = key;
  button.addEventListener("click", () => {
    state.filter = key;
    listFiles(0).catch((error) => tell(() => sentence(error)));
  });
  statesBar.append(button);
}
$("#files").before(statesBar);
const noMatch = document.createElement("p");
noMatch.id = "no-match";
noMatch.className = "help";
noMatch.dataset.text = "labeling.noMatch";
noMatch.hidden = true;
const moreButton = document.createElement("button");
moreButton.type = "button";
moreButton.id = "more";
moreButton.hidden = true;
moreButton.addEventListener("click", () => listFiles(0, true).catch((error) => tell(() => sentence(error))));
$("#files").after(noMatch, moreButton);
translatePage();

function drawStates() {
  const counts = state.counts || {};
  const all = STATES.reduce((sum, key) => sum + (counts[key] || 0), 0);
  for (const button of statesBar.querySelectorAll("button")) {
    const key = button.dataset.state || "all";
    const count = key === "all" ? all : counts[key] || 0;
    button.textContent = i18n.t(`labeling.state.${key}`, { count: i18n.number(count) });
    button.setAttribute("aria-pressed", String((button.dataset.state || null) === state.filter));
  }
  const left = state.total - state.listed;
  moreButton.hidden = left <= 0;
  moreButton.textContent = i18n.t("labeling.more", { count: i18n.number(Math.max(left, 0)) });
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
  button.addEventListener("click", () => annotate(name));
  item.append(button);
  return item;
}

// Tiles are updated in place, never rebuilt: a rebuilt button would take the keyboard
// focus with it every second.
function drawTile(item, name) {
  const file = state.files.get(name);
  const lock = state.locks.get(name);
  const mine = isMine(lock);
  const version = (file && file.annotation_version) || 0;
  item.classList.toggle("mine", mine);
  item.classList.toggle("locked", Boolean(lock) && !mine);
  item.classList.toggle("labeled", !lock && version > 0);
  let text = i18n.t("labeling.free");
  if (mine) text = countdown(lock, "labeling.yours");
  else if (lock) text = i18n.t("labeling.lockedBy", { name: lock.user });
  else if (version > 0) text = i18n.t("labeling.labeled", { version: i18n.number(version) });
  item.querySelector(".state").textContent = text;
  const url = state.content.get(name);
  if (url && state.thumbnails.get(url) && !item.querySelector("img")) {
    const picture = document.createElement("img");
    picture.src = state.thumbnails.get(url);
    picture.alt = ""; // the file's name is said beside it
    item.querySelector("button").prepend(picture);
  } else if (url) image(url);
}

function render() {
  drawStates();
  const list = $("#files");
  const names = [...state.files.keys()];
  const tiles = new Map([...list.children].map((item) => [item.dataset.file, item]));
  const order = names.map((name) => tiles.get(name) || tile(name));
  if (order.length !== list.children.length || order.some((item, i) => list.children[i] !== item)) {
    list.replaceChildren(...order);
  }
  order.forEach((item, i) => drawTile(item, names[i]));
  $("#no-files").hidden = names.length > 0 || state.filter !== null;
  noMatch.hidden = names.length > 0 || state.filter === null;
  if (state.files.size !== state.drawn) {
    state.drawn = state.files.size; // registered or uploaded here: the counts change
    recount();
  }
  annotator.lockChanged();
  const mine = [...state.locks.values()].find(isMine);
  $("#mine").hidden = !mine;
  if (!mine) return;
  $("#mine").textContent = countdown(mine, "labeling.mine");
  if (state.ttl && remaining(mine) < state.ttl / 2) beat();
}

// --- locks for the annotator ------------------------------------------------------

// Locks the file (releasing the one you held in the project, in the same step) and
// opens it in the annotator.
async function annotate(name) {
  if (annotator.isOpen()) return;
  try {
    const lock = await take(name);
    tell(null);
    render();
    await annotator.open(state.project, fileOf(name), lock);
  } catch (error) {
    const problem = error.problem;
    if (problem && problem.code === "lock_held") {
      tell(() => i18n.t("labeling.lockHeld", { file: name, name: problem.locked_by }));
    } else tell(() => sentence(error));
  }
}

const fileOf = (name) => state.files.get(name) || { name, content_url: state.content.get(name) || null };

async function take(name) {
  const body = { project_id: state.project, file_name: name, switch: true };
  const lock = held(await api("POST", "/v1/labeling/lock", body));
  for (const [other, otherLock] of state.locks) {
    if (other !== name && isMine(otherLock)) state.locks.delete(other); // switched
  }
  state.locks.set(name, lock);
  return lock;
}

async function release(name) {
  if (isMine(state.locks.get(name))) state.locks.delete(name);
  try {
    await api("POST", "/v1/labeling/unlock", { project_id: state.project, file_name: name });
  } catch (error) {
    const code = error.problem && error.problem.code;
    if (code !== "not_locked" && code !== "not_lock_owner") tell(() => sentence(error)); // gone already
  }
  render();
}

// The next free file to label, taken in one step with the release of this one: new
// files in the grid's order; one someone takes meanwhile (409) is passed over.
async function takeNext(current) {
  const project = state.project;
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const query = new URLSearchParams({ state: "new", limit: String(PAGE_SIZE), offset: String(offset) });
    const page = await api("GET", `/v1/labeling/projects/${project}/files?${query}`);
    for (const file of page.items.filter((f) => f.name !== current)) {
      try {
        const lock = await take(file.name);
        if (state.files.has(file.name)) state.files.set(file.name, file);
        render();
        return { file, lock };
      } catch (error) {
        if (!(error.problem && error.problem.code === "lock_held")) throw error;
      }
    }
    if (offset + PAGE_SIZE >= page.total || !page.items.length) return null;
  }
}

annotator.connect({
  lockOf: (name) => state.locks.get(name),
  isMine,
  image,
  takeNext,
  release,
  saved(name, version) {
    labeled({ file: name, version });
    render();
    recount();
  },
  closed(name) {
    render();
    const button = $(`#files li[data-file="${CSS.escape(name)}"] button`);
    if (button) button.focus();
  },
  say: (text, tone) => tell(text, tone),
});

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

$("#add-file").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = event.target.elements.name;
  if (state.project === null) return;
  try {
    const file = await api("POST", `/v1/labeling/projects/${state.project}/files`, {
      name: input.value,
    });
    if (!state.files.has(file.name)) state.files.set(file.name, null);
    input.value = "";
    tell(() => i18n.t("labeling.registered", { name: file.name }), "success");
    render();
  } catch (error) {
    tell(() => sentence(error));
  }
});

$("#upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  if (state.project === null) return;
  const button = form.querySelector("button");
  button.disabled = true;
  tell(() => i18n.t("labeling.uploading"), "info");
  try {
    const path = `/v1/labeling/projects/${state.project}/files/upload`;
    const file = await api("POST", path, new FormData(form));
    if (!state.files.has(file.name)) state.files.set(file.name, null);
    state.content.set(file.name, file.content_url);
    form.reset();
    tell(() => i18n.t("labeling.uploaded", { name: file.name }), "success");
    render();
  } catch (error) {
    tell(() => sentence(error));
  } finally {
    button.disabled = false;
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
    if (annotator.isOpen()) annotator.dismiss();
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
