// The videos page: sign in, the company's library, play and seek, points for watching
// others' videos; admins upload, delete and restore.
"use strict";

i18n.add({
  en: {
    "videos.title": "Videos",
    "videos.personal":
      "Videos belong to a company and are shared by its members, so a personal account has none. " +
      "Ask an admin of your company to add you to it, or sign out and sign up a new company with another email address.",
    "videos.player": "Video player",
    "videos.playing": "Playing: {name}",
    "videos.uploadTitle": "Upload a video",
    "videos.name": "Title",
    "videos.file": "Video file",
    "videos.upload": "Upload video",
    "videos.uploading": "Uploading {name}…",
    "videos.uploaded": "{name} uploaded.",
    "videos.library": "Library",
    "videos.noVideos.admin": "No videos yet: upload the first one above.",
    "videos.noVideos.member": "No videos yet: an admin of your company uploads them.",
    "videos.deleted": "Deleted",
    "videos.deletedHelp":
      "On the paid plan, a deleted video can be restored for a while; after that it is gone for good.",
    "videos.noDeleted": "Nothing deleted.",
    "videos.details": "Added {date} · {size}",
    "videos.duration": "{duration} long",
    "videos.poster": "A frame of {name}",
    "videos.progress": "Upload progress",
    "videos.percent": "{percent} %",
    "videos.cancel": "Cancel upload",
    "videos.cancelled": "Upload of {name} cancelled: nothing was kept.",
    "videos.retrying": "The connection dropped: sending {name} again…",
    "videos.views": "Views",
    "videos.viewsHelp.admin": "Every view in your company; each first view of someone else's video pays {points} points.",
    "videos.viewsHelp.member": "Your views: the first view of each video pays {points} points.",
    "videos.noViews": "No views yet.",
    "videos.view": "{video} · {points} points · {date}",
    "videos.viewBy": "{video} · user {user} · {points} points · {date}",
    "videos.unknownVideo": "Video {id}",
    "videos.previous": "Previous",
    "videos.next": "Next",
    "videos.page": "Page {page} of {pages}",
    "videos.confirmTitle": "Delete {name}?",
    "videos.confirmPaid": "It leaves the library at once. On the paid plan you can restore it for {days} days.",
    "videos.confirmFree":
      "It leaves the library at once. Your company is on the free plan, which cannot restore deleted videos: it is lost for good.",
    "videos.keep": "Keep it",
    "videos.deleteConfirm": "Delete video",
    "videos.play": "Play",
    "videos.delete": "Delete",
    "videos.restore": "Restore",
    "videos.deletedOne": "{name} deleted.",
    "videos.restored": "{name} restored.",
    "videos.restorePlan":
      "Restoring a deleted video needs the paid plan, and your company is on the free plan. " +
      "Ask the Backlot operator to move your company to the paid plan.",
  },
  ko: {
    "videos.title": "동영상",
    "videos.personal":
      "동영상은 회사에 속하고 구성원이 함께 봅니다. 그래서 개인 계정에는 동영상이 없습니다. " +
      "회사 관리자에게 회사에 추가해 달라고 요청하거나, 로그아웃한 뒤 다른 이메일 주소로 새 회사를 가입하세요.",
    "videos.player": "동영상 플레이어",
    "videos.playing": "재생 중: {name}",
    "videos.uploadTitle": "동영상 올리기",
    "videos.name": "제목",
    "videos.file": "동영상 파일",
    "videos.upload": "동영상 올리기",
    "videos.uploading": "{name} 올리는 중…",
    "videos.uploaded": "{name} 동영상을 올렸습니다.",
    "videos.library": "동영상 목록",
    "videos.noVideos.admin": "아직 동영상이 없습니다. 위에서 첫 동영상을 올리세요.",
    "videos.noVideos.member": "아직 동영상이 없습니다. 회사 관리자가 올리면 여기에 나타납니다.",
    "videos.deleted": "삭제한 동영상",
    "videos.deletedHelp": "유료 요금제에서는 삭제한 동영상을 일정 기간 복구할 수 있습니다. 그 뒤에는 완전히 지워집니다.",
    "videos.noDeleted": "삭제한 동영상이 없습니다.",
    "videos.details": "{date} 추가 · {size}",
    "videos.duration": "길이 {duration}",
    "videos.poster": "{name}의 한 장면",
    "videos.progress": "업로드 진행률",
    "videos.percent": "{percent}%",
    "videos.cancel": "업로드 취소",
    "videos.cancelled": "{name} 업로드를 취소했습니다. 아무것도 저장되지 않았습니다.",
    "videos.retrying": "연결이 끊겼습니다. {name} 동영상을 다시 보내는 중…",
    "videos.views": "시청 기록",
    "videos.viewsHelp.admin": "회사의 모든 시청 기록입니다. 다른 사람의 동영상을 처음 볼 때마다 {points}포인트를 받습니다.",
    "videos.viewsHelp.member": "내 시청 기록입니다. 동영상마다 처음 볼 때 {points}포인트를 받습니다.",
    "videos.noViews": "아직 시청 기록이 없습니다.",
    "videos.view": "{video} · {points}포인트 · {date}",
    "videos.viewBy": "{video} · 사용자 {user} · {points}포인트 · {date}",
    "videos.unknownVideo": "동영상 {id}",
    "videos.previous": "이전",
    "videos.next": "다음",
    "videos.page": "{pages}쪽 중 {page}쪽",
    "videos.confirmTitle": "{name} 동영상을 삭제할까요?",
    "videos.confirmPaid": "목록에서 바로 사라집니다. 유료 요금제에서는 {days}일 동안 복구할 수 있습니다.",
    "videos.confirmFree":
      "목록에서 바로 사라집니다. 회사가 무료 요금제라 삭제한 동영상을 복구할 수 없으니 완전히 잃게 됩니다.",
    "videos.keep": "삭제하지 않기",
    "videos.deleteConfirm": "동영상 삭제",
    "videos.play": "재생",
    "videos.delete": "삭제",
    "videos.restore": "복구",
    "videos.deletedOne": "{name} 동영상을 삭제했습니다.",
    "videos.restored": "{name} 동영상을 복구했습니다.",
    "videos.restorePlan":
      "삭제한 동영상을 복구하려면 유료 요금제가 필요합니다. 지금 회사는 무료 요금제입니다. " +
      "Backlot 운영자에게 회사를 유료 요금제로 바꿔 달라고 요청하세요.",
  },
});

const state = {
  me: null,
  videos: [], // the library, as last read
  deleted: [], // admins: the deleted ones that can still come back
  playing: null, // the video in the player
  notice: null, // the shell notice shown, redrawn when the language changes
  said: null, // () => the status line's text, redrawn when the language changes
  tone: "info",
  views: { items: [], total: 0, offset: 0 }, // the view log's page on show
  upload: null, // the upload in flight: {xhr, cancelled}
};

const VIEWS_PAGE = 10;
const VIEW_POINTS = 10;
const RETENTION_DAYS = 30;

const isAdmin = () => Boolean(state.me) && state.me.role === "admin";

// The status line, kept as a function so it can be said again in another language.
function tell(text, tone = "info") {
  state.said = text;
  state.tone = tone;
  say(text ? text() : "", tone);
}

function explain(key) {
  state.notice = key;
  shell.explain(key);
}

function translatePage() {
  i18n.apply($("main"));
  document.title = `Backlot · ${i18n.t("videos.title")}`;
}

async function show() {
  state.said = null;
  const signedIn = Boolean(session.token);
  $("#login").hidden = signedIn;
  $("#library").hidden = !signedIn;
  if (!signedIn) {
    stop();
    return explain(null);
  }
  state.me = shell.me();
  if (!state.me.corporation) {
    $("#library").hidden = true; // never any videos: the notice says why
    return explain("videos.personal");
  }
  explain(null);
  for (const element of document.querySelectorAll(".admin-only")) element.hidden = !isAdmin();
  await load();
}

async function load() {
  state.videos = (await api("GET", "/v1/videos?limit=100")).items;
  state.deleted = isAdmin() ? (await api("GET", "/v1/videos?deleted=true&limit=100")).items : [];
  render();
  await loadViews();
}

async function loadViews(offset = state.views.offset) {
  const page = await api("GET", `/v1/view-logs?limit=${VIEWS_PAGE}&offset=${offset}`);
  state.views = { items: page.items, total: page.total, offset };
  renderViews();
  refreshPoints().catch(() => {});
}

function renderViews() {
  const { items, total, offset } = state.views;
  const names = new Map([...state.videos, ...state.deleted].map((v) => [v.id, v.name]));
  const admin = isAdmin();
  $("#views-help").textContent = i18n.t(admin ? "videos.viewsHelp.admin" : "videos.viewsHelp.member", {
    points: i18n.number(VIEW_POINTS),
  });
  $("#views").replaceChildren(
    ...items.map((view) => {
      const item = document.createElement("li");
      const vars = {
        video: names.get(view.video_id) ?? i18n.t("videos.unknownVideo", { id: view.video_id }),
        user: view.user_id,
        points: i18n.number(view.points),
        date: i18n.date(view.created_at),
      };
      item.textContent = i18n.t(admin ? "videos.viewBy" : "videos.view", vars);
      return item;
    }),
  );
  $("#no-views").hidden = total > 0;
  const pages = Math.max(1, Math.ceil(total / VIEWS_PAGE));
  $("#views-page").textContent = i18n.t("videos.page", {
    page: i18n.number(Math.floor(offset / VIEWS_PAGE) + 1),
    pages: i18n.number(pages),
  });
  $("#views-prev").disabled = offset === 0;
  $("#views-next").disabled = offset + VIEWS_PAGE >= total;
}

// Sizes and lengths in the page's language: "820 KB", "40.2 MB", "1:05".
function formatSize(bytes) {
  const [unit, value] =
    bytes >= 1e9 ? ["gigabyte", bytes / 1e9] : bytes >= 1e6 ? ["megabyte", bytes / 1e6] : ["kilobyte", Math.max(bytes / 1e3, 1)];
  return new Intl.NumberFormat(i18n.lang(), { style: "unit", unit, maximumFractionDigits: unit === "kilobyte" ? 0 : 1 }).format(value);
}

function formatDuration(seconds) {
  const whole = Math.round(seconds);
  const parts = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const [h, m, sec] = parts;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

function row(video, actions) {
  const item = document.createElement("li");
  item.dataset.video = String(video.id);
  const text = document.createElement("span");
  text.className = "name";
  text.textContent = video.name;
  const details = document.createElement("span");
  details.className = "details";
  const size = video.size === null ? "–" : formatSize(video.size);
  details.textContent = i18n.t("videos.details", { date: i18n.date(video.created_at), size });
  if (video.duration_seconds !== null && video.duration_seconds !== undefined) {
    details.textContent += ` · ${i18n.t("videos.duration", { duration: formatDuration(video.duration_seconds) })}`;
  }
  const about = document.createElement("span");
  about.className = "about";
  about.append(text, details);
  if (video.poster_url) {
    const poster = document.createElement("img");
    poster.className = "poster";
    poster.src = video.poster_url;
    poster.alt = i18n.t("videos.poster", { name: video.name });
    poster.loading = "lazy";
    item.append(poster);
  }
  item.append(about);
  for (const [key, handler] of actions) {
    const button = document.createElement("button");
    button.type = "button";
    if (key === "videos.delete") button.className = "danger";
    button.append(i18n.t(key));
    const name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = ` ${video.name}`; // "Play Intro": each button says which video
    button.append(name);
    button.addEventListener("click", () => act(button, () => handler(video)));
    item.append(button);
  }
  return item;
}

function render() {
  const admin = isAdmin();
  const actions = [["videos.play", play], ...(admin ? [["videos.delete", remove]] : [])];
  $("#videos").replaceChildren(...state.videos.map((video) => row(video, actions)));
  $("#no-videos").hidden = state.videos.length > 0;
  $("#no-videos").textContent = i18n.t(admin ? "videos.noVideos.admin" : "videos.noVideos.member");
  $("#deleted").replaceChildren(
    ...state.deleted.map((video) => row(video, [["videos.restore", restore]])),
  );
  $("#no-deleted").hidden = state.deleted.length > 0;
  $("#playing").hidden = state.playing === null;
  if (state.playing) $("#playing").textContent = i18n.t("videos.playing", { name: state.playing.name });
}

// One action at a time per button; problems are said in words.
async function act(button, action) {
  button.disabled = true;
  try {
    await action();
  } catch (error) {
    tell(() => sentence(error), "error");
  } finally {
    button.disabled = false;
  }
}

function sentence(error) {
  const problem = error.problem;
  if (problem && problem.code === "plan_required") return i18n.t("videos.restorePlan");
  // A problem by its code, else a general sentence (never a parser's own message).
  if (problem || error instanceof TypeError) return i18n.problem(error);
  return i18n.t("problem.unknown");
}

async function refreshPoints() {
  const me = await api("GET", "/v1/users/me");
  shell.setPoints(me.point);
}

// <video src> cannot send the Authorization header: the API hands out a URL whose token
// is good for this one video and this user only.
async function play(video) {
  const { url } = await api("POST", `/v1/videos/${video.id}/stream-url`);
  const player = $("#player");
  player.hidden = false;
  // The first bytes are the view that pays: show the new balance once they came.
  player.addEventListener("loadeddata", () => refreshPoints().catch(() => {}), { once: true });
  player.src = url;
  state.playing = video;
  tell(null);
  render();
  await player.play().catch(() => {}); // autoplay may be refused; the controls remain
}

function stop() {
  const player = $("#player");
  player.pause();
  player.removeAttribute("src");
  player.hidden = true;
  state.playing = null;
  $("#playing").hidden = true;
}

// Deleting asks first, in the page: on the free plan a deleted video cannot come back.
function confirmDelete(video) {
  const dialog = $("#confirm");
  const plan = state.me.corporation && state.me.corporation.effective_plan;
  $("#confirm-title").textContent = i18n.t("videos.confirmTitle", { name: video.name });
  $("#confirm-text").textContent =
    plan === "paid"
      ? i18n.t("videos.confirmPaid", { days: i18n.number(RETENTION_DAYS) })
      : i18n.t("videos.confirmFree");
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "delete"), { once: true });
    dialog.showModal();
    dialog.querySelector("button[value=cancel]").focus(); // the safe choice first
  });
}

async function remove(video) {
  if (!(await confirmDelete(video))) return;
  await api("DELETE", `/v1/videos/${video.id}`);
  if (state.playing && state.playing.id === video.id) stop();
  tell(() => i18n.t("videos.deletedOne", { name: video.name }), "success");
  await load();
}

async function restore(video) {
  await api("POST", `/v1/videos/${video.id}/restore`);
  tell(() => i18n.t("videos.restored", { name: video.name }), "success");
  await load();
}

// One upload by XMLHttpRequest (fetch reports no upload progress): resolves with the
// answer, rejects with the problem, a TypeError for a dropped connection, or "abort".
function send(body, key, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    state.upload.xhr = xhr;
    xhr.open("POST", "/v1/videos");
    if (session.token) xhr.setRequestHeader("Authorization", `Bearer ${session.token}`);
    xhr.setRequestHeader("Idempotency-Key", key);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("abort", () => reject(new DOMException("cancelled", "AbortError")));
    xhr.addEventListener("error", () => reject(new TypeError("network")));
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        return reject(new TypeError("unreadable answer"));
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(Object.assign(new Error(data.detail), { problem: data }));
    });
    xhr.send(body);
  });
}

function showProgress(fraction) {
  const percent = Math.round(fraction * 100);
  $("#progress").value = percent;
  $("#progress-text").textContent = i18n.t("videos.percent", { percent: i18n.number(percent) });
}

// The same key for every try of this upload: the API answers a retry whose first try
// did arrive with that video, never a second one.
async function upload(form) {
  const name = form.elements.name.value;
  const body = new FormData(form);
  const key = crypto.randomUUID();
  state.upload = { xhr: null, cancelled: false };
  $("#progress-row").hidden = false;
  showProgress(0);
  tell(() => i18n.t("videos.uploading", { name }));
  for (let attempt = 0; ; attempt++) {
    try {
      return await send(body, key, showProgress);
    } catch (error) {
      if (!(error instanceof TypeError) || attempt >= 2 || state.upload.cancelled) throw error;
      tell(() => i18n.t("videos.retrying", { name }));
      await new Promise((wait) => setTimeout(wait, 500 * (attempt + 1)));
    }
  }
}

$("#cancel").addEventListener("click", () => {
  if (!state.upload) return;
  state.upload.cancelled = true;
  if (state.upload.xhr) state.upload.xhr.abort();
});

$("#views-prev").addEventListener("click", () => loadViews(Math.max(0, state.views.offset - VIEWS_PAGE)).catch(sayProblem));
$("#views-next").addEventListener("click", () => loadViews(state.views.offset + VIEWS_PAGE).catch(sayProblem));

$("#upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const name = form.elements.name.value;
  const button = form.querySelector("button[type=submit]");
  if (state.upload) return; // no second submit while one is in flight
  button.disabled = true;
  try {
    await upload(form);
    form.reset();
    tell(() => i18n.t("videos.uploaded", { name }), "success");
    await load();
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") {
      tell(() => i18n.t("videos.cancelled", { name }));
    } else {
      tell(() => sentence(error), "error");
    }
  } finally {
    state.upload = null;
    $("#progress-row").hidden = true;
    button.disabled = false;
  }
});

i18n.onChange(() => {
  translatePage();
  if (state.notice) shell.explain(state.notice);
  if (state.said) tell(state.said, state.tone);
  if (state.me) {
    render();
    renderViews();
  }
});

translatePage();
startSignIn(show, stop);
