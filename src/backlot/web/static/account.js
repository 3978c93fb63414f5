// The pages behind the links Backlot mails: confirm an address, choose a new password.
// The token comes in the link (?token=...); it is taken out of the address bar at once
// so that it is not kept in the history or shown on screen.
"use strict";

i18n.add({
  en: {
    "account.verifyTitle": "Confirm your email address",
    "account.resetTitle": "Choose a new password",
    "account.resetHint": "At least 10 characters; a few uncommon words are easy to remember and hard to guess.",
    "account.newPassword": "New password",
    "account.repeatPassword": "Repeat it",
    "account.save": "Save the new password",
    "account.signIn": "Go to Backlot and sign in",
    "account.working": "One moment…",
    "account.verified": "Thank you: your email address is confirmed.",
    "account.passwordSaved": "Your new password is saved. You were signed out everywhere; sign in with it.",
    "account.noToken": "This link is incomplete. Open the link from the mail again, or ask for a new one.",
    "account.badLink": "This link has expired or was already used. Ask for a new mail and use its link.",
    "account.mismatch": "The two passwords differ. Type the same password twice.",
    "account.tooShort": "The password needs at least 10 characters.",
    "account.weak": "This password is too easy to guess. Add a few uncommon words.",
  },
  ko: {
    "account.verifyTitle": "이메일 주소 확인",
    "account.resetTitle": "새 비밀번호 정하기",
    "account.resetHint": "10자 이상이어야 합니다. 흔하지 않은 단어 몇 개를 이어 쓰면 기억하기 쉽고 추측하기 어렵습니다.",
    "account.newPassword": "새 비밀번호",
    "account.repeatPassword": "비밀번호 다시 입력",
    "account.save": "새 비밀번호 저장",
    "account.signIn": "Backlot으로 가서 로그인하기",
    "account.working": "잠시만 기다려 주세요…",
    "account.verified": "감사합니다. 이메일 주소가 확인되었습니다.",
    "account.passwordSaved": "새 비밀번호가 저장되었습니다. 모든 기기에서 로그아웃되었으니 새 비밀번호로 로그인하세요.",
    "account.noToken": "링크가 완전하지 않습니다. 메일의 링크를 다시 열거나 새 메일을 요청하세요.",
    "account.badLink": "만료되었거나 이미 사용된 링크입니다. 새 메일을 요청해 그 링크를 사용하세요.",
    "account.mismatch": "두 비밀번호가 다릅니다. 같은 비밀번호를 두 번 입력하세요.",
    "account.tooShort": "비밀번호는 10자 이상이어야 합니다.",
    "account.weak": "추측하기 쉬운 비밀번호입니다. 흔하지 않은 단어를 몇 개 더하세요.",
  },
});

// The header shows who is signed in here, if anyone (a reset signs them out everywhere).
browserSession.renew().finally(() => shell.load().catch(() => {}));
browserSession.onEnded(() => shell.load());
document.getElementById("logout").addEventListener("click", () => browserSession.signOut());
i18n.apply(document.querySelector("main"));

const message = document.getElementById("message");
const next = document.getElementById("next");
let said = null; // the last sentence's key, said again in a newly chosen language
const say = (key, isError) => {
  said = { key, isError };
  message.textContent = i18n.t(key.includes(".") ? key : `account.${key}`);
  message.className = isError ? "error" : "";
};
i18n.onChange(() => said && say(said.key, said.isError));

const params = new URLSearchParams(location.search);
const token = params.get("token");
history.replaceState(null, "", location.pathname);

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    return "problem.offline";
  }
  if (response.ok) return null;
  let problem = {};
  try { problem = await response.json(); } catch { /* not JSON: answered below */ }
  if (response.status === 429) return "problem.rate_limited";
  if (problem.code === "weak_password") return "weak";
  if (response.status === 400 || response.status === 401) return "badLink";
  if (response.status === 422) return "weak";
  return "problem.server";
}

async function verify() {
  document.getElementById("verify").hidden = false;
  if (!token) return say("noToken", true);
  say("working");
  const problem = await post("/v1/auth/verify-email", { token });
  if (problem) return say(problem, true);
  say("verified");
  next.hidden = false;
}

function reset() {
  const form = document.getElementById("reset");
  if (!token) {
    document.getElementById("verify").hidden = true;
    return say("noToken", true);
  }
  form.hidden = false;
  form.password.focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = form.password.value;
    if (password.length < 10) return say("tooShort", true);
    if (password !== form.again.value) return say("mismatch", true);
    const button = form.querySelector("button");
    button.disabled = true;
    say("working");
    const problem = await post("/v1/auth/password-reset/confirm", { token, new_password: password });
    button.disabled = false;
    if (problem) return say(problem, true);
    form.hidden = true;
    say("passwordSaved");
    next.hidden = false;
    browserSession.renew(); // its session here has ended too: the header then says so
  });
}

if (location.pathname.endsWith("/reset-password")) reset();
else verify();
