// The labeling page: sign in, pick a project, see each file's state live (new, being
// labeled by someone, labeled), counted and filtered by state, a page at a time
// (labeling.grid.js); choose a file (a real button) to lock it and open it in the
// annotator (labeling.annotator.js); the lock table stays live (labeling.locks.js).
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

const state = {
  me: null,
  project: null,
  online: false,
  files: new Map(), // name -> the file as listed, in grid order
  locks: new Map(), // name -> lock ({file, user, user_id, token, deadline, seen}) of every locked file
  content: new Map(), // name -> URL of its uploaded image
  thumbnails: new Map(), // image URL -> object URL of the fetched image (null: none)
  fetching: new Map(), // image URL -> the fetch's promise of that object URL
  filter: null, // the state the grid lists (null: every file)
  counts: null, // the project's files per state, from the API
  total: 0, // files the filter matches
  listed: 0, // of those, how many were fetched
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
  if (!(await leaveAnnotator())) return;
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

// The annotator left the way its Close button leaves it (asked first when there are
// unsaved changes, the lock released): false when the person chose to keep editing.
async function leaveAnnotator() {
  return !annotator.isOpen() || (await annotator.close());
}

async function openProject(projectId) {
  if (!(await leaveAnnotator())) return;
  state.project = projectId;
  state.filter = null;
  state.locks.clear();
  state.joined = false;
  await listFiles(0);
  connect();
}

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

const fileOf = (name) => state.files.get(name);

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
    tell(null); // what the annotator last said was about the file, not the grid
    render();
    // Back on the file's tile; when it is not listed (another page, another filter),
    // on the first tile, else on the files' heading.
    const button = $(`#files li[data-file="${CSS.escape(name)}"] button`) || $("#files li button");
    const heading = $("#files-title");
    if (!button) heading.tabIndex = -1;
    (button || heading).focus();
  },
  relock: (name) => take(name),
  isAdmin: () => Boolean(state.me && state.me.role === "admin"),
  editLabels: () => window.labelingPage.editLabels(),
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
    if (annotator.isOpen()) annotator.dismiss(); // signed out: nothing can be released any more
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
// after they add files or change the projects, and the page's one status line. Files
// added are read again as listed (the filter, the pages shown, the live connection and
// an open annotator stay as they are); the counts come with them. `editLabels` is set
// by the admin screen.
window.labelingPage = {
  reloadProjects: () => show(),
  reloadFiles: () => (state.project === null ? Promise.resolve() : listFiles(state.listed)),
  say: (text, tone) => tell(text, tone),
  editLabels: () => {},
};
