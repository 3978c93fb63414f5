// The labeling page's file grid: the project's files a page at a time (all of them, or
// those in one state), each a tile saying its state, live; above them the counts per
// state (each a filter), below them the next page. It shares the page's `state` and
// status line (labeling.js, loaded after it); a tile opens its file in the annotator.
"use strict";

const RENEWING_MS = 3000; // below this, "renewing" rather than a countdown near zero
const PAGE_SIZE = 50; // files asked for at a time: a project may have thousands
const STATES = ["new", "in_progress", "labeled"];

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
i18n.apply(statesBar);
i18n.apply(noMatch);

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
  annotator.lockChanged();
  const mine = [...state.locks.values()].find(isMine);
  $("#mine").hidden = !mine;
  if (!mine) return;
  $("#mine").textContent = countdown(mine, "labeling.mine");
  if (state.ttl && remaining(mine) < state.ttl / 2) beat();
}
