// The labeling page's admin screens, for the company's admins only (the API refuses
// everyone else with 403 anyway): the open project renamed, deleted (asked first, in a
// dialog that says what goes) or a new one created; its label set; someone's lock
// released with a reason; the audit trail of its locks. The project is the one the grid
// (labeling.js) has open: this script follows the #project select and #workspace.
"use strict";

const AUDIT_PAGE = 20;
const PALETTE = ["#e4572e", "#17bebb", "#ffc914", "#76b041", "#6a4c93", "#1982c4", "#ff595e", "#2e282a"];
const ACTIONS = ["unlocked", "expired", "disconnected", "forced", "switched"];

const admin = {
  project: null, // id of the project shown
  labels: [], // the label set being edited: [{name, color}]
  locks: [], // the project's locks, from /status
  audit: { offset: 0, total: 0, items: [] },
  users: new Map(), // user id -> display name, for the audit trail
  table: "", // the grid's lock table when the locks were last read
};
const projectSays = statusLine("#project-message");
const labelsSays = statusLine("#labels-message");
const unlockSays = statusLine("#unlock-message");
const base = () => `/v1/labeling/projects/${admin.project}`;
const t = (key, vars) => i18n.t(key, vars);

const isAdmin = (me) => Boolean(me && me.role === "admin" && me.corporation);

// Shown when the grid shows a project to an admin; (re)loaded when that project changes.
function follow() {
  const visible = Boolean(session.token) && !$("#workspace").hidden && isAdmin(shell.me());
  $("#admin").hidden = !visible;
  const project = visible ? currentProject() : null;
  if (project === admin.project) return;
  admin.project = project;
  if (project === null) return admin.users.clear(); // who is who is read again next time
  $("#rename-project").elements.name.value = $("#project").selectedOptions[0].text;
  for (const say of [projectSays, labelsSays, unlockSays]) say(null);
  loadLabels().catch((error) => labelsSays(() => i18n.problem(error), "error"));
  loadLocks().catch((error) => unlockSays(() => i18n.problem(error), "error"));
  loadAudit(0).catch(auditFailed);
}
new MutationObserver(follow).observe($("#workspace"), { attributes: true, attributeFilter: ["hidden"] });
new MutationObserver(follow).observe($("#project"), { childList: true });
$("#project").addEventListener("change", follow);

// --- the project ----------------------------------------------------------------------

$("#rename-project").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = event.target.elements.name;
  const option = $("#project").selectedOptions[0];
  if (input.value.trim() === option.text) return projectSays(() => t("labelingAdmin.project.sameName"));
  try {
    const project = await api("PATCH", base(), { name: input.value });
    option.text = project.name;
    input.value = project.name;
    projectSays(() => t("labelingAdmin.project.renamed", { name: project.name }), "success");
  } catch (error) {
    projectSays(() => i18n.problem(error), "error");
  }
});

$("#new-project").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const project = await api("POST", "/v1/labeling/projects", { name: form.elements.name.value });
    form.reset();
    await window.labelingPage.reloadProjects();
    const select = $("#project");
    select.value = String(project.id);
    select.dispatchEvent(new Event("change")); // the grid opens it, and so do we
    projectSays(() => t("labelingAdmin.project.created", { name: project.name }), "success");
  } catch (error) {
    projectSays(() => i18n.problem(error), "error");
  }
});

// Asks in the page, "Keep it" first; resolves true to delete. Escape keeps it.
function confirmDelete(name, files) {
  const dialog = $("#delete-dialog");
  const words = () => {
    $("#delete-title").textContent = t("labelingAdmin.delete.title", { name });
    $("#delete-text").textContent = t("labelingAdmin.delete.text", { files: i18n.number(files) });
  };
  words();
  dialog.words = words; // said again if the language changes while it is open
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "delete"), { once: true });
    dialog.showModal();
    dialog.querySelector("button[value=keep]").focus();
  });
}

$("#delete-project").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  const id = admin.project;
  const name = $("#project").selectedOptions[0].text;
  try {
    const files = await api("GET", `${base()}/files?limit=1`);
    const yes = await confirmDelete(name, files.total);
    button.focus(); // back where the question came from
    if (!yes) return;
    await api("DELETE", `/v1/labeling/projects/${id}`);
    await window.labelingPage.reloadProjects();
    const said = () => t("labelingAdmin.project.deleted", { name });
    if (!$("#admin").hidden) return projectSays(said, "success");
    pageSays(said, "success"); // no project left: the page's own line, and its title
    const title = $("main h1");
    title.tabIndex = -1;
    title.focus();
  } catch (error) {
    projectSays(() => i18n.problem(error), "error");
  }
});

// --- the label set --------------------------------------------------------------------

async function loadLabels() {
  const project = admin.project;
  const set = await api("GET", `${base()}/labels`);
  if (project !== admin.project) return; // another project was opened meanwhile
  admin.labels = set.labels.map((label) => ({ ...label }));
  drawLabels();
}

function labelRow(label, index) {
  const n = i18n.number(index + 1);
  const row = document.createElement("li");
  const name = document.createElement("input");
  name.name = "label-name";
  name.maxLength = 100;
  name.autocomplete = "off";
  name.value = label.name;
  name.addEventListener("input", () => (label.name = name.value));
  const nameLabel = document.createElement("label");
  nameLabel.className = "label-name";
  nameLabel.append(Object.assign(document.createElement("span"), { textContent: t("labelingAdmin.labels.name", { n }) }), name);
  const color = document.createElement("input");
  color.type = "color";
  color.name = "label-color";
  color.value = label.color;
  color.setAttribute("aria-label", t("labelingAdmin.labels.colorOf", { n }));
  color.addEventListener("input", () => (label.color = color.value));
  const colorLabel = document.createElement("label");
  colorLabel.append(Object.assign(document.createElement("span"), { textContent: t("labelingAdmin.labels.color") }), color);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary";
  remove.textContent = t("labelingAdmin.labels.remove");
  remove.setAttribute("aria-label", t("labelingAdmin.labels.removeOf", { n }));
  remove.addEventListener("click", () => {
    admin.labels.splice(index, 1);
    drawLabels();
    const rows = $("#labels").querySelectorAll("li button");
    (rows[Math.min(index, rows.length - 1)] || $("#add-label")).focus(); // the focus stays near
  });
  row.append(nameLabel, colorLabel, remove);
  return row;
}

function drawLabels() {
  $("#labels").replaceChildren(...admin.labels.map(labelRow));
  $("#no-labels").hidden = admin.labels.length > 0;
}

$("#add-label").addEventListener("click", () => {
  const used = new Set(admin.labels.map((label) => label.color));
  const color = PALETTE.find((c) => !used.has(c)) || PALETTE[admin.labels.length % PALETTE.length];
  admin.labels.push({ name: "", color });
  drawLabels();
  $("#labels").lastElementChild.querySelector("input").focus();
});

// The first thing wrong with the set, said before the API is asked; else null.
function labelsProblem() {
  const seen = new Set();
  for (const [index, label] of admin.labels.entries()) {
    const name = label.name.trim();
    if (!name) return { index, text: () => t("labelingAdmin.labels.nameMissing", { n: i18n.number(index + 1) }) };
    if (seen.has(name)) return { index, text: () => t("labelingAdmin.labels.duplicate", { name }) };
    seen.add(name);
  }
  return null;
}

// The API's refusal, about the label it names when it names one.
function labelsRefusal(error) {
  const problem = error.problem || {};
  if (problem.code === "too_many_labels") return () => t("labelingAdmin.labels.tooMany", { limit: i18n.number(problem.limit) });
  const field = (problem.errors || []).map((e) => e.loc).find((loc) => loc && loc[1] === "labels");
  if (field && Number.isInteger(field[2])) {
    return () => t("labelingAdmin.labels.invalid", { n: i18n.number(field[2] + 1) });
  }
  return () => i18n.problem(error);
}

$("#labels-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const wrong = labelsProblem();
  if (wrong) {
    labelsSays(wrong.text, "error");
    return $("#labels").children[wrong.index].querySelector("input").focus();
  }
  try {
    const labels = admin.labels.map((label) => ({ name: label.name.trim(), color: label.color }));
    const set = await api("PUT", `${base()}/labels`, { labels });
    admin.labels = set.labels.map((label) => ({ ...label }));
    drawLabels();
    const count = set.labels.length;
    labelsSays(() => (count ? t("labelingAdmin.labels.saved", { count: i18n.number(count) }) : t("labelingAdmin.labels.savedNone")), "success");
  } catch (error) {
    labelsSays(labelsRefusal(error), "error");
  }
});

// The annotator's "edit the label set" (a project without labels): here, once it closed.
window.labelingPage.editLabels = () => {
  const add = $("#add-label");
  add.scrollIntoView({ block: "center" });
  add.focus();
};

// --- locks: someone's released with a reason -------------------------------------------

async function loadLocks() {
  const project = admin.project;
  const asked = (admin.asked = (admin.asked || 0) + 1);
  const status = await api("GET", `/v1/labeling/status/${project}`);
  if (project !== admin.project || asked !== admin.asked) return; // a newer read is under way
  admin.locks = status.locks;
  drawLocks();
}

function drawLocks() {
  const select = $("#force-unlock").elements.file;
  const chosen = select.value;
  select.replaceChildren(
    ...admin.locks.map((lock) => new Option(t("labelingAdmin.unlock.option", { file: lock.file, name: lock.user }), lock.file)),
  );
  if (admin.locks.some((lock) => lock.file === chosen)) select.value = chosen;
  const none = admin.locks.length === 0;
  const focused = $("#force-unlock").contains(document.activeElement);
  $("#force-unlock").hidden = none;
  $("#no-locks").hidden = !none;
  if (none && focused) $("#unlock-title").focus(); // the form went away under the focus
}

$("#refresh-locks").addEventListener("click", () => {
  loadLocks().catch((error) => unlockSays(() => i18n.problem(error), "error"));
});

$("#force-unlock").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const reason = form.elements.reason.value.trim();
  if (!reason) {
    unlockSays(() => t("labelingAdmin.unlock.reasonMissing"), "error");
    return form.elements.reason.focus();
  }
  const lock = admin.locks.find((held) => held.file === form.elements.file.value);
  if (!lock) return;
  try {
    const body = { project_id: admin.project, file_name: lock.file, force: true, reason };
    await api("POST", "/v1/labeling/unlock", body);
    form.elements.reason.value = "";
    unlockSays(() => t("labelingAdmin.unlock.done", { file: lock.file, name: lock.user }), "success");
  } catch (error) {
    unlockSays(() => i18n.problem(error), "error");
  }
  await Promise.all([loadLocks(), loadAudit(0)]).catch(auditFailed);
});

// The grid's lock table is live (labeling.locks.js announces each change, for every
// file of the project, listed or not): the locks are read again when someone's lock
// comes, goes or passes to someone else, and once a release of ours has completed.
document.addEventListener("labeling:locks", (event) => {
  const { project, locks, settled } = event.detail;
  if ($("#admin").hidden || project !== admin.project) return;
  const table = locks
    .map((lock) => `${lock.file}:${lock.user_id}:${lock.token}`)
    .sort()
    .join("|");
  if (table === admin.table && !settled) return;
  admin.table = table;
  loadLocks().catch(() => {});
});

// --- the audit trail ------------------------------------------------------------------

const auditFailed = (error) => {
  $("#audit-count").textContent = i18n.problem(error);
};

async function loadUsers() {
  admin.users.clear();
  for (let offset = 0; offset < 1000; offset += 100) {
    const page = await api("GET", `/v1/users?limit=100&offset=${offset}`);
    for (const user of page.items) admin.users.set(user.id, user.display_name || user.email);
    if (offset + 100 >= page.total) break;
  }
}

async function loadAudit(offset) {
  const project = admin.project;
  const page = await api("GET", `${base()}/lock-events?limit=${AUDIT_PAGE}&offset=${offset}`);
  const ids = page.items.flatMap((event) => [event.holder_id, event.actor_id]).filter((id) => id !== null);
  if (ids.some((id) => !admin.users.has(id))) await loadUsers(); // someone new since
  if (project !== admin.project) return;
  admin.audit = { offset, total: page.total, items: page.items };
  drawAudit();
}

const who = (id) =>
  id === null ? t("labelingAdmin.audit.system") : admin.users.get(id) || t("labelingAdmin.audit.removedUser", { id });

function happened(event) {
  if (event.action === "acquired") return t("labelingAdmin.audit.acquired");
  return t(ACTIONS.includes(event.reason) ? `labelingAdmin.audit.${event.reason}` : "labelingAdmin.audit.released");
}

function auditRow(event) {
  const when = document.createElement("time");
  when.dateTime = event.at;
  when.textContent = new Intl.DateTimeFormat(i18n.lang(), { dateStyle: "medium", timeStyle: "medium" }).format(
    new Date(event.at),
  );
  const cells = [
    ["when", when],
    ["file", event.file_name],
    ["what", happened(event)],
    ["holder", who(event.holder_id)],
    ["actor", event.action === "acquired" ? who(event.holder_id) : who(event.actor_id)],
    ["reason", event.note || t("labelingAdmin.audit.noReason")],
  ];
  const row = document.createElement("tr");
  row.dataset.action = event.action === "acquired" ? "acquired" : event.reason || "released";
  for (const [column, content] of cells) {
    const cell = document.createElement("td");
    cell.dataset.label = t(`labelingAdmin.audit.${column}`);
    cell.dataset.column = column;
    cell.append(content);
    row.append(cell);
  }
  return row;
}

function drawAudit() {
  const { offset, total, items } = admin.audit;
  $("#audit-rows").replaceChildren(...items.map(auditRow));
  $("#audit").hidden = items.length === 0;
  $("#no-events").hidden = items.length > 0;
  $("#audit-count").textContent = items.length
    ? t("labelingAdmin.audit.count", {
        from: i18n.number(offset + 1),
        to: i18n.number(offset + items.length),
        total: i18n.number(total),
      })
    : "";
  const newer = $("#audit-newer");
  const older = $("#audit-older");
  const focused = document.activeElement;
  newer.disabled = offset === 0;
  older.disabled = offset + items.length >= total;
  if (focused && focused.disabled) {
    const other = focused === newer ? older : newer;
    (other.disabled ? $("#audit-refresh") : other).focus(); // the focus is not lost
  }
}

$("#audit-newer").addEventListener("click", () => loadAudit(Math.max(0, admin.audit.offset - AUDIT_PAGE)).catch(auditFailed));
$("#audit-older").addEventListener("click", () => loadAudit(admin.audit.offset + AUDIT_PAGE).catch(auditFailed));
$("#audit-refresh").addEventListener("click", () => loadAudit(admin.audit.offset).catch(auditFailed));

i18n.onChange(() => {
  const dialog = $("#delete-dialog");
  if (dialog.open && dialog.words) dialog.words();
  if (admin.project === null) return;
  drawLabels();
  drawLocks();
  drawAudit();
});
