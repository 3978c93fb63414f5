// The pages behind the links Backlot mails: confirm an address, choose a new password.
// The token comes in the link (?token=...); it is taken out of the address bar at once
// so that it is not kept in the history or shown on screen.
"use strict";

const TEXT = {
  en: {
    account: "account",
    verifyTitle: "Confirm your email address",
    resetTitle: "Choose a new password",
    resetHint: "At least 10 characters; a few uncommon words are easy to remember and hard to guess.",
    newPassword: "New password",
    repeatPassword: "Repeat it",
    save: "Save the new password",
    signIn: "Go to Backlot and sign in",
    working: "One moment…",
    verified: "Thank you: your email address is confirmed.",
    passwordSaved: "Your new password is saved. You were signed out everywhere; sign in with it.",
    noToken: "This link is incomplete. Open the link from the mail again, or ask for a new one.",
    badLink: "This link has expired or was already used. Ask for a new mail and use its link.",
    mismatch: "The two passwords differ. Type the same password twice.",
    tooShort: "The password needs at least 10 characters.",
    weak: "This password is too easy to guess. Add a few uncommon words.",
    tooMany: "Too many tries. Wait a moment and try again.",
    failed: "Something went wrong on our side. Try again in a moment.",
    offline: "Backlot could not be reached. Check your connection and try again.",
  },
  ko: {
    account: "계정",
    verifyTitle: "이메일 주소 확인",
    resetTitle: "새 비밀번호 정하기",
    resetHint: "10자 이상이어야 합니다. 흔하지 않은 단어 몇 개를 이어 쓰면 기억하기 쉽고 추측하기 어렵습니다.",
    newPassword: "새 비밀번호",
    repeatPassword: "비밀번호 다시 입력",
    save: "새 비밀번호 저장",
    signIn: "Backlot으로 가서 로그인하기",
    working: "잠시만 기다려 주세요…",
    verified: "감사합니다. 이메일 주소가 확인되었습니다.",
    passwordSaved: "새 비밀번호가 저장되었습니다. 모든 기기에서 로그아웃되었으니 새 비밀번호로 로그인하세요.",
    noToken: "링크가 완전하지 않습니다. 메일의 링크를 다시 열거나 새 메일을 요청하세요.",
    badLink: "만료되었거나 이미 사용된 링크입니다. 새 메일을 요청해 그 링크를 사용하세요.",
    mismatch: "두 비밀번호가 다릅니다. 같은 비밀번호를 두 번 입력하세요.",
    tooShort: "비밀번호는 10자 이상이어야 합니다.",
    weak: "추측하기 쉬운 비밀번호입니다. 흔하지 않은 단어를 몇 개 더하세요.",
    tooMany: "시도가 너무 많습니다. 잠시 후 다시 시도하세요.",
    failed: "서버에 문제가 생겼습니다. 잠시 후 다시 시도하세요.",
    offline: "Backlot에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.",
  },
};

const lang = (navigator.languages || [navigator.language || "en"])
  .map((tag) => String(tag).slice(0, 2).toLowerCase())
  .find((tag) => tag in TEXT) || "en";
const t = (key) => TEXT[lang][key] || TEXT.en[key];
document.documentElement.lang = lang;
document.querySelectorAll("[data-text]").forEach((node) => {
  node.textContent = t(node.dataset.text);
});

const message = document.getElementById("message");
const next = document.getElementById("next");
const say = (key, isError) => {
  message.textContent = t(key);
  message.className = isError ? "error" : "";
};

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
    return "offline";
  }
  if (response.ok) return null;
  let problem = {};
  try { problem = await response.json(); } catch { /* not JSON: answered below */ }
  if (response.status === 429) return "tooMany";
  if (problem.code === "weak_password") return "weak";
  if (response.status === 400 || response.status === 401) return "badLink";
  if (response.status === 422) return "weak";
  return "failed";
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
  });
}

if (location.pathname.endsWith("/reset-password")) reset();
else verify();
