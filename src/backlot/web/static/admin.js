// The admin console: a company admin manages the company's members and its name and sees
// its plan; the platform superuser manages companies and their plans. Every action is one
// API call, which makes its own checks (last admin, tenants, who may change plans); the
// page only says the outcome in words.
"use strict";

i18n.add({
  en: {
    "admin.title": "Admin console",
    "admin.forMembers": "The admin console is for your company's admins. Ask one of them to make you an admin, or to make the change for you.",
    "admin.forPersonal": "The admin console is for company admins. To manage a team, sign up with a new company from the home page, or ask a company admin to add you.",
    "admin.actions": "Actions",
    "admin.more": "Show more",
    "admin.shown": "Showing {shown} of {total}.",
    "admin.cancel": "Cancel",
    "admin.company.title": "Your company",
    "admin.company.name": "Company name",
    "admin.company.rename": "Rename",
    "admin.company.renamed": "The company is now called {name}.",
    "admin.planWords.free": "{name} is on the free plan.",
    "admin.planWords.paid": "{name} is on the paid plan, paid until {date}.",
    "admin.planWords.lapsed": "{name} is on the free plan: the paid plan ended on {date}.",
    "admin.planShort.free": "Free plan.",
    "admin.planShort.paid": "Paid plan, paid until {date}.",
    "admin.planShort.lapsed": "Free plan: the paid plan ended on {date}.",
    "admin.members.title": "Members",
    "admin.members.name": "Name",
    "admin.members.email": "Email",
    "admin.members.role": "Role",
    "admin.members.you": "(you)",
    "admin.role.admin": "Admin",
    "admin.role.guest": "Member",
    "admin.makeAdmin": "Make admin",
    "admin.makeMember": "Make member",
    "admin.sendReset": "Send password reset",
    "admin.remove": "Remove",
    "admin.nowAdmin": "{name} is now an admin.",
    "admin.nowMember": "{name} is now a member.",
    "admin.resetSent": "We mailed {email} a link to choose a new password.",
    "admin.removeQuestion": "Remove {name} ({email}) from the company? They can no longer sign in to it.",
    "admin.removed": "{name} was removed.",
    "admin.removeSelfQuestion": "Remove your own account from the company? You will be signed out and cannot sign in again.",
    "admin.demoteSelfQuestion": "Make yourself a member? You will be signed out, and only another admin can make you an admin again.",
    "admin.add.title": "Add a member",
    "admin.add.email": "Email",
    "admin.add.name": "Display name",
    "admin.add.password": "Initial password",
    "admin.add.passwordHint": "At least 10 characters. Tell it to them yourself; they can change it after signing in.",
    "admin.add.submit": "Add member",
    "admin.added": "{name} was added. We mailed them a link to confirm their address.",
    "admin.corporations.title": "Companies",
    "admin.corporations.name": "Company",
    "admin.corporations.plan": "Plan",
    "admin.corporations.change": "Change the plan",
    "admin.plan.free": "Free",
    "admin.plan.paid": "Paid",
    "admin.paidUntil": "Paid until (last day)",
    "admin.paidNeedsDate": "A paid plan needs its last paid day.",
    "admin.save": "Save plan",
    "admin.planSaved": "The plan of {name} was saved.",
    "admin.deleteCompany": "Delete",
    "admin.deleteQuestion": "Delete the company {name}? This cannot be undone.",
    "admin.deleted": "The company {name} was deleted.",
    "admin.create.title": "Create a company",
    "admin.create.submit": "Create company",
    "admin.created": "The company {name} was created.",
  },
  ko: {
    "admin.title": "관리 콘솔",
    "admin.forMembers": "관리 콘솔은 회사 관리자만 쓸 수 있습니다. 회사 관리자에게 관리자로 지정해 달라고 하거나, 필요한 변경을 요청하세요.",
    "admin.forPersonal": "관리 콘솔은 회사 관리자만 쓸 수 있습니다. 팀을 관리하려면 처음 화면에서 새 회사로 가입하거나, 회사 관리자에게 추가를 요청하세요.",
    "admin.actions": "작업",
    "admin.more": "더 보기",
    "admin.shown": "전체 {total}개 중 {shown}개를 보고 있습니다.",
    "admin.cancel": "취소",
    "admin.company.title": "우리 회사",
    "admin.company.name": "회사 이름",
    "admin.company.rename": "이름 바꾸기",
    "admin.company.renamed": "회사 이름을 {name}(으)로 바꿨습니다.",
    "admin.planWords.free": "{name}은(는) 무료 요금제를 쓰고 있습니다.",
    "admin.planWords.paid": "{name}은(는) 유료 요금제를 쓰고 있습니다. {date}까지 유료입니다.",
    "admin.planWords.lapsed": "{name}은(는) 무료 요금제를 쓰고 있습니다. 유료 요금제는 {date}에 끝났습니다.",
    "admin.planShort.free": "무료 요금제입니다.",
    "admin.planShort.paid": "유료 요금제입니다. {date}까지 유료입니다.",
    "admin.planShort.lapsed": "무료 요금제입니다. 유료 요금제는 {date}에 끝났습니다.",
    "admin.members.title": "구성원",
    "admin.members.name": "이름",
    "admin.members.email": "이메일",
    "admin.members.role": "역할",
    "admin.members.you": "(나)",
    "admin.role.admin": "관리자",
    "admin.role.guest": "구성원",
    "admin.makeAdmin": "관리자로 지정",
    "admin.makeMember": "구성원으로 변경",
    "admin.sendReset": "비밀번호 재설정 메일 보내기",
    "admin.remove": "내보내기",
    "admin.nowAdmin": "{name} 님이 이제 관리자입니다.",
    "admin.nowMember": "{name} 님이 이제 구성원입니다.",
    "admin.resetSent": "{email}(으)로 새 비밀번호를 정하는 링크를 보냈습니다.",
    "admin.removeQuestion": "{name} 님({email})을 회사에서 내보낼까요? 더 이상 회사 계정으로 로그인할 수 없습니다.",
    "admin.removed": "{name} 님을 내보냈습니다.",
    "admin.removeSelfQuestion": "회사에서 내 계정을 내보낼까요? 로그아웃되며 다시 로그인할 수 없습니다.",
    "admin.demoteSelfQuestion": "나를 구성원으로 바꿀까요? 로그아웃되며, 다른 관리자만 다시 관리자로 지정할 수 있습니다.",
    "admin.add.title": "구성원 추가",
    "admin.add.email": "이메일",
    "admin.add.name": "표시 이름",
    "admin.add.password": "처음 비밀번호",
    "admin.add.passwordHint": "10자 이상이어야 합니다. 본인에게 직접 알려 주세요. 로그인한 뒤 바꿀 수 있습니다.",
    "admin.add.submit": "구성원 추가",
    "admin.added": "{name} 님을 추가했습니다. 주소를 확인하는 링크를 메일로 보냈습니다.",
    "admin.corporations.title": "회사",
    "admin.corporations.name": "회사",
    "admin.corporations.plan": "요금제",
    "admin.corporations.change": "요금제 바꾸기",
    "admin.plan.free": "무료",
    "admin.plan.paid": "유료",
    "admin.paidUntil": "유료 마지막 날",
    "admin.paidNeedsDate": "유료 요금제에는 마지막 유료 날짜가 필요합니다.",
    "admin.save": "요금제 저장",
    "admin.planSaved": "{name}의 요금제를 저장했습니다.",
    "admin.deleteCompany": "삭제",
    "admin.deleteQuestion": "{name} 회사를 삭제할까요? 되돌릴 수 없습니다.",
    "admin.deleted": "{name} 회사를 삭제했습니다.",
    "admin.create.title": "회사 만들기",
    "admin.create.submit": "회사 만들기",
    "admin.created": "{name} 회사를 만들었습니다.",
  },
});

const PAGE = 50;
const t = i18n.t;
let company = null;

// --- dates: a plan is paid through a day, in this browser's time zone -------------------

// The API keeps the instant a plan ends; people think in its last paid day.
const lastDay = (expiry) => new Date(Date.parse(expiry) - 1);
const longDate = (day) => new Intl.DateTimeFormat(i18n.lang(), { dateStyle: "long" }).format(day);
const pad = (n) => String(n).padStart(2, "0");
const dayValue = (day) => `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;

function expiryOf(value) {
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day + 1).toISOString(); // the day after, at midnight
}

// "planWords" name the company (its own admins read one sentence); the superuser's table
// has the name in its own column, so "planShort".
function planWords(corporation, words = "planWords") {
  const vars = { name: corporation.name };
  const until = corporation.plan_expired_at;
  if (corporation.effective_plan === "paid") {
    return t(`admin.${words}.paid`, { ...vars, date: longDate(lastDay(until)) });
  }
  const lapsed = until && Date.parse(until) <= Date.now();
  if (lapsed && (corporation.plan_type === "paid" || corporation.plan_downgraded_at)) {
    return t(`admin.${words}.lapsed`, { ...vars, date: longDate(lastDay(until)) });
  }
  return t(`admin.${words}.free`, vars);
}

// --- small building blocks ---------------------------------------------------------------

function element(tag, { dataset = {}, ...props } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
}

// A form's control by name: `form.name` and `form.role` are the form's own properties.
const field = (form, name) => form.elements.namedItem(name);

function cell(labelKey, ...children) {
  return element("td", { dataset: { label: t(labelKey) } }, ...children);
}

// A button whose action is one API call: disabled meanwhile, its failure said in words.
function actionButton(key, action, props = {}) {
  const button = element("button", { type: "button", textContent: t(key), ...props });
  button.addEventListener("click", () => run(button, action));
  return button;
}

async function run(control, action) {
  control.disabled = true;
  try {
    await action();
  } catch (error) {
    sayProblem(error);
  } finally {
    control.disabled = false;
  }
}

// Asks in the page (a modal <dialog>, Cancel focused first); resolves true on yes.
function confirmed(question, yesKey) {
  const dialog = $("#confirm");
  $("#confirm-text").textContent = question;
  $("#confirm-yes").textContent = t(yesKey);
  dialog.returnValue = "";
  dialog.showModal();
  $("#confirm-no").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
  });
}
$("#confirm-yes").addEventListener("click", () => $("#confirm").close("yes"));
$("#confirm-no").addEventListener("click", () => $("#confirm").close("no"));

// A paged list drawn into a table body, with "Show more" and a count. `reload()` fetches
// again as many rows as are shown (after a change); `path()` is asked at each fetch.
function pagedTable(path, name, body, render) {
  let items = [];
  let total = 0;
  const more = $(`#${name}-more`);

  async function fetchRows(offset, limit) {
    const query = new URLSearchParams({ limit, offset });
    const page = await api("GET", `${path()}${path().includes("?") ? "&" : "?"}${query}`);
    total = page.total;
    return page.items;
  }

  async function reload() {
    const wanted = Math.max(items.length, PAGE);
    const fresh = [];
    while (fresh.length < wanted) {
      const next = await fetchRows(fresh.length, Math.min(100, wanted - fresh.length));
      fresh.push(...next);
      if (next.length === 0 || fresh.length >= total) break;
    }
    items = fresh;
    draw();
  }

  function draw() {
    body.replaceChildren(...items.map(render));
    $(`#${name}-count`).textContent = t("admin.shown", { shown: i18n.number(items.length), total: i18n.number(total) });
    more.hidden = items.length >= total;
  }

  more.addEventListener("click", () =>
    run(more, async () => {
      items.push(...(await fetchRows(items.length, PAGE)));
      draw();
    }),
  );
  return { reload, draw };
}

// --- the company and its members ---------------------------------------------------------

function drawCompany() {
  if (company === null) return;
  $("#company-plan").textContent = planWords(company);
}

async function loadCompany() {
  company = await api("GET", `/v1/corporations/${shell.me().corporation.id}`);
  field($("#rename"), "name").value = company.name;
  drawCompany();
}

function memberRow(user) {
  const me = shell.me();
  const isAdmin = user.role === "admin";
  const who = user.display_name || user.email;
  const nameId = `member-${user.id}-name`;
  const name = element("span", { id: nameId, textContent: who });
  if (user.id === me.id) name.append(` ${t("admin.members.you")}`);
  const buttons = [
    actionButton(isAdmin ? "admin.makeMember" : "admin.makeAdmin", () => changeRole(user, who)),
    actionButton("admin.sendReset", () => sendReset(user)),
    actionButton("admin.remove", () => removeMember(user, who), { className: "danger" }),
  ];
  for (const button of buttons) button.setAttribute("aria-describedby", nameId);
  return element(
    "tr",
    { dataset: { user: String(user.id) } },
    cell("admin.members.name", name),
    cell("admin.members.email", user.email),
    cell("admin.members.role", t(`admin.role.${user.role}`)),
    cell("admin.actions", element("div", { className: "actions" }, ...buttons)),
  );
}

// Always this company's: for a superuser who is also a company's admin, GET /v1/users
// alone would list everyone's.
const members = pagedTable(
  () => `/v1/users?corporation_id=${shell.me().corporation.id}`,
  "members",
  $("#member-rows"),
  memberRow,
);

// The table is drawn anew after a change: the keyboard's place goes back to the row.
function focusRow(selector) {
  const target = document.querySelector(selector);
  if (target) target.focus();
}

async function changeRole(user, who) {
  const role = user.role === "admin" ? "guest" : "admin";
  const self = user.id === shell.me().id;
  if (self && !(await confirmed(t("admin.demoteSelfQuestion"), "admin.makeMember"))) return;
  await api("PATCH", `/v1/users/${user.id}`, { role });
  if (self) return; // a new role ends our own sessions: the page goes to the sign-in form
  await members.reload();
  say(t(role === "admin" ? "admin.nowAdmin" : "admin.nowMember", { name: who }), "success");
  focusRow(`#member-rows tr[data-user="${user.id}"] button`);
}

async function sendReset(user) {
  await api("POST", "/v1/auth/password-reset", { email: user.email });
  say(t("admin.resetSent", { email: user.email }), "success");
}

async function removeMember(user, who) {
  const self = user.id === shell.me().id;
  const question = self
    ? t("admin.removeSelfQuestion")
    : t("admin.removeQuestion", { name: who, email: user.email });
  if (!(await confirmed(question, "admin.remove"))) return;
  await api("DELETE", `/v1/users/${user.id}`);
  if (self) return; // our account is gone: the page goes to the sign-in form
  await members.reload();
  say(t("admin.removed", { name: who }), "success");
  $("#members-title").focus();
}

$("#add-member").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  run(form.querySelector("button"), async () => {
    const value = (name) => field(form, name).value;
    const body = { email: value("email"), password: value("password"), role: value("role") };
    if (value("display_name").trim()) body.display_name = value("display_name");
    const user = await api("POST", "/v1/users", body);
    form.reset();
    await members.reload();
    say(t("admin.added", { name: user.display_name }), "success");
  });
});

$("#rename").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  run(form.querySelector("button"), async () => {
    company = await api("PATCH", `/v1/corporations/${company.id}`, { name: field(form, "name").value });
    await shell.load(); // the header names the company
    drawCompany();
    say(t("admin.company.renamed", { name: company.name }));
  });
});

// --- the superuser's companies -----------------------------------------------------------

function planSelect(value) {
  const select = element("select", { name: "plan_type" });
  for (const plan of ["free", "paid"]) {
    select.append(element("option", { value: plan, textContent: t(`admin.plan.${plan}`) }));
  }
  select.value = value;
  return select;
}

function labelled(key, control) {
  return element("label", {}, element("span", { textContent: t(key) }), control);
}

function corporationRow(corporation) {
  const nameId = `corporation-${corporation.id}-name`;
  const until = element("input", { type: "date", name: "until" });
  if (corporation.plan_expired_at) until.value = dayValue(lastDay(corporation.plan_expired_at));
  const select = planSelect(corporation.plan_type);
  const save = element("button", { type: "submit", textContent: t("admin.save") });
  save.setAttribute("aria-describedby", nameId);
  const form = element(
    "form",
    { className: "plan-form" },
    labelled("admin.corporations.plan", select),
    labelled("admin.paidUntil", until),
    save,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(save, () => savePlan(corporation, select.value, until.value));
  });
  const remove = actionButton("admin.deleteCompany", () => deleteCorporation(corporation), {
    className: "danger",
  });
  remove.setAttribute("aria-describedby", nameId);
  return element(
    "tr",
    { dataset: { corporation: String(corporation.id) } },
    cell("admin.corporations.name", element("strong", { id: nameId, textContent: corporation.name })),
    cell("admin.corporations.plan", planWords(corporation, "planShort")),
    cell("admin.corporations.change", form),
    cell("admin.actions", remove),
  );
}

const corporations = pagedTable(
  () => "/v1/corporations",
  "corporations",
  $("#corporation-rows"),
  corporationRow,
);

async function savePlan(corporation, plan, until) {
  const body = { plan_type: plan, plan_expired_at: until ? expiryOf(until) : null };
  await api("PATCH", `/v1/corporations/${corporation.id}`, body);
  await corporations.reload();
  say(t("admin.planSaved", { name: corporation.name }));
  focusRow(`#corporation-rows tr[data-corporation="${corporation.id}"] select`);
}

async function deleteCorporation(corporation) {
  const question = t("admin.deleteQuestion", { name: corporation.name });
  if (!(await confirmed(question, "admin.deleteCompany"))) return;
  await api("DELETE", `/v1/corporations/${corporation.id}`);
  await corporations.reload();
  say(t("admin.deleted", { name: corporation.name }));
  $("#corporations-title").focus();
}

$("#create-corporation").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  run(form.querySelector("button"), async () => {
    const value = (name) => field(form, name).value;
    const body = { name: value("name"), plan_type: value("plan_type") };
    if (value("until")) body.plan_expired_at = expiryOf(value("until"));
    const created = await api("POST", "/v1/corporations", body);
    form.reset();
    await corporations.reload();
    say(t("admin.created", { name: created.name }));
  });
});

// --- who sees what -----------------------------------------------------------------------

async function show() {
  const me = shell.me();
  $("#login").hidden = me !== null;
  const admin = Boolean(me && me.role === "admin" && me.corporation);
  const superuser = Boolean(me && me.is_superuser);
  $("#console").hidden = !(admin || superuser);
  $("#company").hidden = !admin;
  $("#members").hidden = !admin;
  $("#corporations").hidden = !superuser;
  if (me !== null && !admin && !superuser) {
    shell.explain(me.corporation ? "admin.forMembers" : "admin.forPersonal");
    return;
  }
  shell.explain(null);
  if (me === null) return;
  const loads = [];
  if (admin) loads.push(loadCompany(), members.reload());
  if (superuser) loads.push(corporations.reload());
  await Promise.all(loads);
}

i18n.onChange(() => {
  const me = shell.me();
  if (me !== null && !$("#console").hidden) {
    drawCompany();
    if (!$("#members").hidden) members.draw();
    if (!$("#corporations").hidden) corporations.draw();
  } else if (me !== null) {
    shell.explain(me.corporation ? "admin.forMembers" : "admin.forPersonal");
  }
});

i18n.apply(document);
startSignIn(show, () => {
  company = null;
});
