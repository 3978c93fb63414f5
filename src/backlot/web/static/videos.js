// The videos page: sign in, the company's library, play and seek, points for watching
// others' videos; admins upload, delete and restore.
"use strict";

i18n.add({
  en: {
    "videos.title": "Videos",
    "videos.personal":
      "Videos belong to a company and are shared by its members, so a personal account has none. " +
      "Ask an admin of your company to add you, or sign up with a new company from the home page.",
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
    "videos.details": "Added {date} · {size} MB",
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
      "회사 관리자에게 추가를 요청하거나, 처음 화면에서 새 회사로 가입하세요.",
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
    "videos.details": "{date} 추가 · {size}MB",
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
};

const isAdmin = () => Boolean(state.me) && state.me.role === "admin";

// The status line, kept as a function so it can be said again in another language.
function tell(text) {
  state.said = text;
  say(text ? text() : "");
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
}

function row(video, actions) {
  const item = document.createElement("li");
  item.dataset.video = String(video.id);
  const text = document.createElement("span");
  text.className = "name";
  text.textContent = video.name;
  const details = document.createElement("span");
  details.className = "details";
  const size = video.size === null ? "–" : i18n.number(Math.round(video.size / 1e5) / 10);
  details.textContent = i18n.t("videos.details", { date: i18n.date(video.created_at), size });
  const about = document.createElement("span");
  about.className = "about";
  about.append(text, details);
  item.append(about);
  for (const [key, handler] of actions) {
    const button = document.createElement("button");
    button.type = "button";
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
    tell(() => sentence(error));
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

async function remove(video) {
  await api("DELETE", `/v1/videos/${video.id}`);
  if (state.playing && state.playing.id === video.id) stop();
  tell(() => i18n.t("videos.deletedOne", { name: video.name }));
  await load();
}

async function restore(video) {
  await api("POST", `/v1/videos/${video.id}/restore`);
  tell(() => i18n.t("videos.restored", { name: video.name }));
  await load();
}

$("#upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const name = form.elements.name.value;
  const button = form.querySelector("button");
  button.disabled = true;
  tell(() => i18n.t("videos.uploading", { name }));
  try {
    await api("POST", "/v1/videos", new FormData(form));
    form.reset();
    tell(() => i18n.t("videos.uploaded", { name }));
    await load();
  } catch (error) {
    tell(() => sentence(error));
  } finally {
    button.disabled = false;
  }
});

i18n.onChange(() => {
  translatePage();
  if (state.notice) shell.explain(state.notice);
  if (state.said) tell(state.said);
  if (state.me) render();
});

translatePage();
startSignIn(show, stop);
