// The header every page shares: the way home, the apps, who is signed in (name, company,
// role, points), the language switch and sign out. A page's markup has
// <header id="shell" data-app="labeling"></header>; load this after i18n.js, api.js and
// session.js. `shell.load()` (signin.js calls it on every redraw) reads the signed-in user
// and draws them; pages read `shell.me()` instead of asking the API again.
"use strict";

i18n.add({
  en: {
    "shell.skip": "Skip to the content",
    "shell.home": "Backlot home",
    "shell.apps": "Apps",
    "shell.labeling": "Labeling",
    "shell.workspace": "Workspace",
    "shell.videos": "Videos",
    "shell.dubbing": "Dubbing",
    "shell.admin": "Admin",
    "shell.docs": "API docs",
    "shell.language": "Language",
    "shell.signOut": "Sign out",
    "shell.yourAccount": "Your account: name and password",
    "shell.signedInAs": "Signed in as",
    "shell.points": "{points} points",
    "shell.role.admin": "admin",
    "shell.role.guest": "member",
    "shell.role.superuser": "operator",
    "shell.personal": "personal account",
    "shell.plan.paid": "paid plan",
    "shell.plan.free": "free plan",
  },
  ko: {
    "shell.skip": "본문으로 건너뛰기",
    "shell.home": "Backlot 처음으로",
    "shell.apps": "앱",
    "shell.labeling": "라벨링",
    "shell.workspace": "워크스페이스",
    "shell.videos": "동영상",
    "shell.dubbing": "더빙",
    "shell.admin": "관리",
    "shell.docs": "API 문서",
    "shell.language": "언어",
    "shell.signOut": "로그아웃",
    "shell.yourAccount": "내 계정: 이름과 비밀번호",
    "shell.signedInAs": "로그인 계정",
    "shell.points": "{points}포인트",
    "shell.role.admin": "관리자",
    "shell.role.guest": "구성원",
    "shell.role.superuser": "운영자",
    "shell.personal": "개인 계정",
    "shell.plan.paid": "유료 요금제",
    "shell.plan.free": "무료 요금제",
  },
});

const shell = (() => {
  const APPS = ["labeling", "workspace", "videos", "dubbing"];
  const header = document.getElementById("shell");
  const current = header.dataset.app || "";
  const fetchApi = createApi(browserSession.token, browserSession.renew);
  let me = null;

  const link = (key, href) =>
    `<li><a href="${href}" data-text="shell.${key}"${key === current ? ' aria-current="page"' : ""}></a></li>`;
  header.innerHTML = `
    <a class="brand" href="/" data-text-aria-label="shell.home">Backlot</a>
    <nav data-text-aria-label="shell.apps">
      <ul>
        ${APPS.map((app) => link(app, `/app/${app}`)).join("")}
        <li id="admin-link" hidden><a href="/app/admin" data-text="shell.admin"${
          current === "admin" ? ' aria-current="page"' : ""
        }></a></li>
        ${link("docs", "/docs")}
      </ul>
    </nav>
    <div class="session">
      <div id="who" hidden>
        <span class="visually-hidden" data-text="shell.signedInAs"></span>
        <a id="me" href="/app/me" data-text-title="shell.yourAccount"></a>
        <span id="standing"></span>
        <span id="points" class="pill" hidden></span>
        <button id="logout" type="button" data-text="shell.signOut"></button>
      </div>
      <label class="lang"><span data-text="shell.language"></span>
        <select id="lang">${Object.entries(i18n.LANGS)
          .map(([code, name]) => `<option value="${code}" lang="${code}">${name}</option>`)
          .join("")}</select>
      </label>
    </div>`;
  const $$ = (selector) => header.querySelector(selector);
  $$("#lang").value = i18n.lang();
  $$("#lang").addEventListener("change", (event) => i18n.setLang(event.target.value));
  i18n.onChange(() => draw());
  i18n.apply(header);
  document.querySelectorAll(".skip").forEach((node) => {
    node.textContent = i18n.t(node.dataset.text);
  });

  function role(user) {
    if (user.is_superuser) return i18n.t("shell.role.superuser");
    return i18n.t(`shell.role.${user.role}`);
  }

  function draw() {
    $$("#who").hidden = me === null;
    $$("#admin-link").hidden = !(me && (me.is_superuser || (me.role === "admin" && me.corporation)));
    if (me === null) return;
    $$("#me").textContent = me.display_name || me.email;
    const company = me.corporation
      ? `${me.corporation.name} · ${i18n.t(`shell.plan.${me.corporation.effective_plan}`)}`
      : i18n.t("shell.personal");
    $$("#standing").textContent = `${company} · ${role(me)}`;
    setPoints(me.point);
  }

  function setPoints(points) {
    if (me === null) return;
    me.point = points;
    $$("#points").hidden = false;
    $$("#points").textContent = i18n.t("shell.points", { points: i18n.number(points) });
  }

  // Reads the signed-in user (or forgets them when signed out) and draws the header.
  async function load() {
    me = browserSession.token() ? await fetchApi("GET", "/v1/users/me") : null;
    draw();
    return me;
  }

  // A page (or part of one) this user may not use says why and what to do: a notice at
  // the top of <main>; `explain(null)` takes it away. The page hides what it cannot offer.
  function explain(key, vars = {}) {
    explained = key === null ? null : { key, vars };
    let note = document.getElementById("notice");
    if (key === null) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("section");
      note.id = "notice";
      note.className = "notice";
      note.setAttribute("role", "status");
      // After the page's title, so the page is named before what it cannot offer.
      const main = document.querySelector("main");
      const title = main.querySelector("h1");
      const top = title ? [...main.children].find((child) => child.contains(title)) : null;
      if (top) top.after(note);
      else main.prepend(note);
    }
    note.textContent = i18n.t(key, vars);
  }
  let explained = null;
  i18n.onChange(() => explained && explain(explained.key, explained.vars));

  return { load, me: () => me, setPoints, explain };
})();
