// Shared by the pages one signs in to: API calls with the session's access token
// (session.js), the sign-in form, the sign-out button and the status line. Load it after
// i18n.js, api.js, session.js and shell.js; the page's script then calls `startSignIn`,
// which draws the page once it knows whether this browser is signed in.
"use strict";

i18n.add({
  en: {
    "signin.title": "Sign in",
    "signin.email": "Email",
    "signin.password": "Password",
    "signin.submit": "Sign in",
    "signin.noAccount": "No account yet?",
    "signin.signUp": "Sign up",
    "signin.forgot": "Forgot your password?",
    "signin.ended": "Your session has ended: please sign in again.",
  },
  ko: {
    "signin.title": "로그인",
    "signin.email": "이메일",
    "signin.password": "비밀번호",
    "signin.submit": "로그인",
    "signin.noAccount": "아직 계정이 없나요?",
    "signin.signUp": "가입하기",
    "signin.forgot": "비밀번호를 잊으셨나요?",
    "signin.ended": "세션이 끝났습니다. 다시 로그인하세요.",
  },
});

const $ = (selector) => document.querySelector(selector);
const session = {
  get token() {
    return browserSession.token();
  },
};
const pageHooks = { show: async () => {}, close: () => {}, renewed: () => {} };
let started = false; // the page's first drawing waits for the cookie's session
// The header first (who is signed in), then the page.
let focusTitle = false; // after a sign-in by this page's form: keyboard users go on from the title
const redraw = () =>
  shell
    .load()
    .then(() => pageHooks.show())
    .then(() => {
      if (!focusTitle) return;
      focusTitle = false;
      // Only if the user has not gone on already (a click while the page was loading).
      const idle = !document.activeElement || document.activeElement === document.body;
      const title = document.querySelector("main h1");
      if (title && idle) {
        title.tabIndex = -1;
        title.focus();
      }
    })
    .catch(sayProblem);

const api = createApi(browserSession.token, browserSession.renew);

// The page's status line. `tone` is "error" for something that went wrong (red), "success"
// for something done (green), else neutral: people must tell the two apart at a glance.
function say(text, tone = "info") {
  const line = $("#message");
  line.textContent = text || "";
  line.dataset.tone = tone;
}

function sayProblem(error) {
  say(i18n.problem(error), "error");
}

function signOut() {
  return browserSession.signOut();
}

// Signed out here, in another tab, or the session ended on the server (expired,
// revoked, signed out elsewhere): the page goes back to the sign-in form and says why.
browserSession.onEnded((reason) => {
  pageHooks.close();
  $("#login").reset(); // no password left in the form of a tab signed out elsewhere
  redraw().then(() => {
    if (reason !== "signed_out") say(i18n.t("signin.ended"));
  });
});
browserSession.onRenewed((token, wasSignedOut) => {
  if (wasSignedOut && started) redraw(); // signed in, here or in another tab
  else pageHooks.renewed(token);
});

// The same form on every page, so it is written once, here.
$("#login").innerHTML = `
      <h2 data-text="signin.title"></h2>
      <label><span data-text="signin.email"></span>
        <input name="email" type="email" autocomplete="username" required></label>
      <label><span data-text="signin.password"></span>
        <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit" data-text="signin.submit"></button>
      <p class="error" id="login-error" role="alert"></p>
      <p><span data-text="signin.noAccount"></span> <a href="/#sign-up" data-text="signin.signUp"></a>
        · <a href="/#forgot" data-text="signin.forgot"></a></p>
    `;
i18n.apply($("#login"));

// `show()` draws the page for the current session (signed in or out); `close()` ends
// what the page opened for the user (a socket) when the session ends; `renewed(token)`
// hands a fresh access token to whatever holds the old one (a socket).
function startSignIn(show, close = () => {}, renewed = () => {}) {
  Object.assign(pageHooks, { show, close, renewed });
  $("#login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      focusTitle = true;
      await browserSession.signIn(form.email.value, form.password.value);
      $("#login-error").textContent = "";
      say("");
    } catch (error) {
      focusTitle = false;
      $("#login-error").textContent = i18n.problem(error);
    }
  });
  $("#logout").addEventListener("click", signOut);
  // A reload or a new tab: the cookie's session, if there is one, then the page.
  browserSession.renew().finally(() => {
    started = true;
    redraw();
  });
}
