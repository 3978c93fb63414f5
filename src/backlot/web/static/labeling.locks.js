// The labeling page's lock table, kept live: the project's Socket.IO room (lock and save
// events, numbered; a gap or a reconnection reads the table again), heartbeats that renew
// the user's locks (through the REST route while the socket is down) and say when one has
// ended, and the lock calls the annotator makes. It shares the page's `state`, `render`
// and status line (labeling.js, loaded after it). Each change of the table is announced
// to the rest of the page as a `labeling:locks` event on the document (detail: the
// locks, each {file, user, user_id, token}; `settled` when a release of ours has
// completed at the server).
"use strict";

const PRESENCE_BEAT_MS = 20000; // the server forgets a silent socket after a while

function announceLocks(settled = false) {
  const locks = [...state.locks.values()].map(({ file, user, user_id, token }) => ({ file, user, user_id, token }));
  document.dispatchEvent(new CustomEvent("labeling:locks", { detail: { project: state.project, locks, settled } }));
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
    announceLocks();
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
    announceLocks();
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
  if (kind !== "annotation_saved") announceLocks();
}

// A file saved (here or by anyone): labeled, at this version.
function labeled(event) {
  const file = state.files.get(event.file);
  if (!file) return; // not listed in this grid
  file.annotation_version = Math.max(file.annotation_version || 0, event.version);
}

function setOnline(online) {
  state.online = online;
  const pill = $("#connection");
  pill.textContent = i18n.t(online ? "labeling.live" : "labeling.offline");
  pill.classList.toggle("online", online);
}

async function take(name) {
  const body = { project_id: state.project, file_name: name, switch: true };
  const lock = held(await api("POST", "/v1/labeling/lock", body));
  for (const [other, otherLock] of state.locks) {
    if (other !== name && isMine(otherLock)) state.locks.delete(other); // switched
  }
  state.locks.set(name, lock);
  announceLocks();
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
  announceLocks(true); // the server has answered: its table no longer has this lock
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
