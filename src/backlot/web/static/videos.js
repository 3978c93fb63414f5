// The videos page: sign in, the library, play and seek, points, admin upload/delete/restore.
"use strict";

const state = { me: null };

async function refreshPoints() {
  state.me = await api("GET", "/v1/users/me");
  shell.setPoints(state.me.point);
}

async function show() {
  const signedIn = Boolean(session.token);
  $("#login").hidden = signedIn;
  $("#library").hidden = !signedIn;
  $("#who").hidden = !signedIn;
  if (!signedIn) return;
  state.me = shell.me();
  const admin = state.me.role === "admin";
  for (const element of document.querySelectorAll(".admin-only")) element.hidden = !admin;
  await load();
}

function row(video, actions) {
  const item = document.createElement("li");
  item.dataset.video = String(video.id);
  const title = document.createElement("span");
  title.className = "name";
  title.textContent = video.name;
  item.append(title);
  for (const [label, handler] of actions) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.addEventListener("click", () => handler(video).catch((e) => say(e.message)));
    item.append(button);
  }
  return item;
}

async function load() {
  const admin = state.me.role === "admin";
  const videos = await api("GET", "/v1/videos?limit=100");
  $("#videos").replaceChildren(
    ...videos.items.map((v) => row(v, [["Play", play], ...(admin ? [["Delete", remove]] : [])])),
  );
  if (admin) {
    const deleted = await api("GET", "/v1/videos?deleted=true&limit=100");
    $("#deleted").replaceChildren(...deleted.items.map((v) => row(v, [["Restore", restore]])));
  }
}

// <video src> cannot send the Authorization header: the API hands out a URL whose token
// is good for this one video and this user only.
async function play(video) {
  const { url } = await api("POST", `/v1/videos/${video.id}/stream-url`);
  const player = $("#player");
  player.hidden = false;
  // The first bytes are the view that pays: show the new balance once they came.
  player.addEventListener("loadeddata", () => refreshPoints(), { once: true });
  player.src = url;
  $("#playing").hidden = false;
  $("#playing").textContent = `Playing: ${video.name}`;
  await player.play().catch(() => {}); // autoplay may be refused; the controls remain
}

async function remove(video) {
  await api("DELETE", `/v1/videos/${video.id}`);
  say(`${video.name} deleted.`);
  await load();
}

async function restore(video) {
  await api("POST", `/v1/videos/${video.id}/restore`);
  say(`${video.name} restored.`);
  await load();
}

$("#upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "/v1/videos", new FormData(event.target));
    event.target.reset();
    say("Uploaded.");
    await load();
  } catch (error) {
    say(error.message);
  }
});

startSignIn(show);
