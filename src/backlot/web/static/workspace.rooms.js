// The workspace page's room list (/app/workspace): the rooms you may enter, a page at a
// time, each with how many people are in it, its seats and who may enter; making a room;
// and, on the rooms you manage, renaming, resizing and deleting, asked in the page's own
// dialogs (never window.confirm). Loaded before workspace.js, which draws the page.
"use strict";

const ROOMS_PER_PAGE = 20;

const roomList = {
  page: null, // the last page the API gave: {items, total, limit, offset}
  offset: 0,
  editing: null, // the room the dialog changes; null when it makes a new one
};

// --- dialogs ---------------------------------------------------------------------------

// A modal <dialog> (the rest of the page inert, Escape closes it): focus goes to `first`,
// and back to what opened it when it closes, if that is still on the page.
function openDialog(dialog, first) {
  const opener = document.activeElement;
  dialog.addEventListener(
    "close",
    () => {
      if (opener && opener !== document.body && opener.isConnected && opener.offsetParent) opener.focus();
    },
    { once: true },
  );
  dialog.showModal();
  if (first) first.focus();
}

let asking = null; // what the confirmation dialog asks, redrawn on a language switch

function drawConfirm() {
  if (!asking) return;
  $("#confirm-title").textContent = i18n.t(...asking.title);
  $("#confirm-text").textContent = i18n.t(...asking.text);
  $("#confirm-yes").textContent = i18n.t(asking.yes);
  $("#confirm-no").textContent = i18n.t(asking.no);
}

// Asks in the page; resolves true on yes. The safe answer has the focus first.
function confirmed(question) {
  const dialog = $("#confirm");
  asking = question;
  drawConfirm();
  $("#confirm-yes").classList.toggle("danger", Boolean(question.danger));
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        asking = null;
        resolve(dialog.returnValue === "yes");
      },
      { once: true },
    );
    openDialog(dialog, $("#confirm-no"));
  });
}

// --- the list --------------------------------------------------------------------------

async function loadRooms() {
  const query = `limit=${ROOMS_PER_PAGE}&offset=${roomList.offset}`;
  const page = await api("GET", `/v1/workspace/rooms?${query}`);
  if (!page.items.length && roomList.offset > 0) {
    // The last room of the last page went (deleted here or elsewhere): one page back.
    roomList.offset = Math.max(0, roomList.offset - ROOMS_PER_PAGE);
    return loadRooms();
  }
  roomList.page = page;
  drawRooms();
}

function hiddenText(text) {
  const span = document.createElement("span");
  span.className = "visually-hidden";
  span.textContent = text;
  return span;
}

// A button whose visible word is the same in every row, named for its room to those who
// hear it ("Delete" + " “Design review”"), so the visible word starts its name.
function rowButton(key, title, className, action) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.append(i18n.t(key), hiddenText(` “${title}”`));
  button.addEventListener("click", action);
  return button;
}

function roomItem(room) {
  const item = document.createElement("li");
  item.dataset.roomId = room.room_id;
  const about = document.createElement("div");
  about.className = "about";
  const link = document.createElement("a");
  link.href = `/app/workspace/${encodeURIComponent(room.room_id)}`;
  link.textContent = room.title;
  link.className = "name";
  const details = document.createElement("span");
  details.className = "details";
  const key = `workspace.visibility.${room.visibility}`;
  const visibility = i18n.has(key) ? i18n.t(key) : room.visibility;
  const people = i18n.t("workspace.people", {
    online: i18n.number(room.online),
    max: i18n.number(room.max_users),
  });
  details.textContent = `${visibility} · ${people}`;
  about.append(link, details);
  item.append(about);
  if (room.can_manage) {
    const actions = document.createElement("div");
    actions.className = "actions";
    actions.append(
      rowButton("workspace.change", room.title, "secondary change", () => editRoom(room)),
      rowButton("workspace.delete", room.title, "danger delete", () => deleteRoom(room)),
    );
    item.append(actions);
  }
  return item;
}

function drawRooms() {
  const page = roomList.page;
  $("#new-room").hidden = !browserSession.token();
  if (page === null) return;
  const items = page.items.map(roomItem);
  if (!items.length) {
    const empty = document.createElement("li");
    empty.textContent = i18n.t(browserSession.token() ? "workspace.noRooms" : "workspace.noPublicRooms");
    items.push(empty);
  }
  $("#room-list").replaceChildren(...items);
  const { offset, total } = page;
  $("#rooms-pager").hidden = offset === 0 && total <= ROOMS_PER_PAGE;
  $("#rooms-range").textContent = i18n.t("workspace.range", {
    from: i18n.number(Math.min(offset + 1, total)),
    to: i18n.number(offset + page.items.length),
    total: i18n.number(total),
  });
  $("#rooms-prev").disabled = offset === 0;
  $("#rooms-next").disabled = offset + ROOMS_PER_PAGE >= total;
}

async function turnRoomPage(step, pressed, other) {
  roomList.offset = Math.max(0, roomList.offset + step * ROOMS_PER_PAGE);
  try {
    await loadRooms();
  } catch (error) {
    return tell(() => i18n.problem(error), "error");
  }
  // At the first or last page the pressed button is off: the focus goes to the other one.
  if (pressed.disabled) other.focus();
}

function roomRow(id) {
  return [...$("#room-list").children].find((item) => item.dataset.roomId === id);
}

// --- making and changing a room ----------------------------------------------------------

const roomField = (name) => $("#room-form").elements.namedItem(name);

function drawRoomDialog() {
  const room = roomList.editing;
  const me = shell.me();
  const company = me && me.corporation ? me.corporation.name : "";
  $("#room-dialog-title").textContent = room
    ? i18n.t("workspace.changeTitle", { title: room.title })
    : i18n.t("workspace.newRoom");
  $("#room-form-submit").textContent = i18n.t(room ? "workspace.save" : "workspace.create");
  $("#members-choice").textContent = i18n.t("workspace.membersChoice", { company });
}

// Visitors without an account may edit only a public room: the box follows the choice.
function syncAnonymous() {
  const isPublic = $("#room-form").querySelector("input[name=visibility][value=public]").checked;
  roomField("anonymous_edit").disabled = !isPublic;
  if (!isPublic) roomField("anonymous_edit").checked = false;
}

// A new room is for the members of your company unless you choose otherwise; with no
// company, public must be chosen (nothing is picked for you).
function newRoom() {
  roomList.editing = null;
  const form = $("#room-form");
  form.reset();
  roomField("max_users").value = "20";
  const me = shell.me();
  const company = Boolean(me && me.corporation);
  form.querySelector("input[name=visibility][value=public]").disabled = false;
  const members = form.querySelector("input[name=visibility][value=members]");
  members.disabled = !company;
  members.checked = company;
  $("#no-company").hidden = company;
  $("#visibility-field").hidden = false;
  $("#room-form-error").textContent = "";
  syncAnonymous();
  drawRoomDialog();
  openDialog($("#room-dialog"), roomField("title"));
}

function editRoom(room) {
  roomList.editing = room;
  const form = $("#room-form");
  form.reset();
  roomField("title").value = room.title;
  roomField("max_users").value = String(room.max_users);
  $("#visibility-field").hidden = true; // who may enter is chosen once, when it is made
  form.querySelectorAll("#visibility-field input").forEach((input) => (input.disabled = true));
  $("#room-form-error").textContent = "";
  drawRoomDialog();
  openDialog($("#room-dialog"), roomField("title"));
}

async function submitRoom(event) {
  event.preventDefault();
  const form = event.target;
  const room = roomList.editing;
  const body = { title: roomField("title").value.trim(), max_users: Number(roomField("max_users").value) };
  const submit = $("#room-form-submit");
  submit.disabled = true;
  $("#room-form-error").textContent = "";
  try {
    let id;
    if (room) {
      id = room.room_id;
      await api("PATCH", `/v1/workspace/rooms/${encodeURIComponent(id)}`, body);
    } else {
      const visibility = form.querySelector("input[name=visibility]:checked").value;
      body.visibility = visibility;
      body.anonymous_edit = visibility === "public" && roomField("anonymous_edit").checked;
      id = (await api("POST", "/v1/workspace/rooms", body)).room_id;
      roomList.offset = 0; // newest first: it leads the first page
    }
    $("#room-dialog").close();
    await loadRooms();
    const title = body.title;
    tell(() => i18n.t(room ? "workspace.saved" : "workspace.created", { title }), "success");
    const row = roomRow(id);
    if (row) row.querySelector(room ? "button.change" : "a.name").focus();
  } catch (error) {
    $("#room-form-error").textContent = i18n.problem(error);
  } finally {
    submit.disabled = false;
  }
}

async function deleteRoom(room) {
  const title = room.title;
  const sure = await confirmed({
    title: ["workspace.deleteTitle", { title }],
    text: ["workspace.deleteText", {}],
    yes: "workspace.deleteYes",
    no: "workspace.keep",
    danger: true,
  });
  if (!sure) return;
  try {
    await api("DELETE", `/v1/workspace/rooms/${encodeURIComponent(room.room_id)}`);
    await loadRooms();
    tell(() => i18n.t("workspace.deleted", { title }), "success");
    $("#rooms-heading").focus();
  } catch (error) {
    tell(() => i18n.problem(error), "error");
  }
}

$("#new-room").addEventListener("click", newRoom);
$("#room-form").addEventListener("submit", submitRoom);
$("#room-form").addEventListener("change", (event) => {
  if (event.target.name === "visibility") syncAnonymous();
});
$("#room-form-cancel").addEventListener("click", () => $("#room-dialog").close());
$("#rooms-prev").addEventListener("click", () => turnRoomPage(-1, $("#rooms-prev"), $("#rooms-next")));
$("#rooms-next").addEventListener("click", () => turnRoomPage(1, $("#rooms-next"), $("#rooms-prev")));
i18n.onChange(() => {
  drawRooms();
  drawConfirm();
  if ($("#room-dialog").open) drawRoomDialog();
});
