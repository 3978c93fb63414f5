// Your own account: the name your team sees and your password (PATCH /v1/users/me). A
// new password ends every session, this one too: the page then asks to sign in with it.
"use strict";

i18n.add({
  en: {
    "me.title": "Your account",
    "me.profile": "Your name",
    "me.email": "Email",
    "me.displayName": "Name shown to your team",
    "me.saveName": "Save the name",
    "me.nameSaved": "Your name is saved.",
    "me.nameEmpty": "Enter the name your team should see.",
    "me.passwordTitle": "Change your password",
    "me.passwordHint": "At least 10 characters. Changing it signs you out everywhere.",
    "me.current": "Current password",
    "me.new": "New password",
    "me.again": "Repeat the new password",
    "me.savePassword": "Change the password",
    "me.mismatch": "The two new passwords differ. Type the same password twice.",
    "me.tooShort": "The new password needs at least 10 characters.",
    "me.passwordSaved": "Your password is changed and you were signed out everywhere. Sign in with the new password.",
  },
  ko: {
    "me.title": "내 계정",
    "me.profile": "내 이름",
    "me.email": "이메일",
    "me.displayName": "팀에게 보이는 이름",
    "me.saveName": "이름 저장",
    "me.nameSaved": "이름을 저장했습니다.",
    "me.nameEmpty": "팀에게 보일 이름을 입력하세요.",
    "me.passwordTitle": "비밀번호 바꾸기",
    "me.passwordHint": "10자 이상이어야 합니다. 바꾸면 모든 기기에서 로그아웃됩니다.",
    "me.current": "현재 비밀번호",
    "me.new": "새 비밀번호",
    "me.again": "새 비밀번호 다시 입력",
    "me.savePassword": "비밀번호 바꾸기",
    "me.mismatch": "두 새 비밀번호가 다릅니다. 같은 비밀번호를 두 번 입력하세요.",
    "me.tooShort": "새 비밀번호는 10자 이상이어야 합니다.",
    "me.passwordSaved": "비밀번호를 바꾸었고 모든 기기에서 로그아웃되었습니다. 새 비밀번호로 로그인하세요.",
  },
});

const said = { key: null, tone: "info" }; // said again in the other language on a switch

function tell(key, tone) {
  Object.assign(said, { key, tone });
  say(key ? i18n.t(key) : "", tone);
}

async function show() {
  const me = shell.me();
  $("#login").hidden = me !== null;
  $("#account").hidden = me === null;
  if (me === null) return;
  $("#email").textContent = me.email;
  $("#profile").display_name.value = me.display_name;
}

$("#profile").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = event.target.display_name.value.trim();
  if (!name) return tell("me.nameEmpty", "error");
  try {
    await api("PATCH", "/v1/users/me", { display_name: name });
    await shell.load();
    tell("me.nameSaved", "success");
  } catch (error) {
    said.key = null;
    sayProblem(error);
  }
});

$("#password").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  if (form.password.value.length < 10) return tell("me.tooShort", "error");
  if (form.password.value !== form.again.value) return tell("me.mismatch", "error");
  try {
    await api("PATCH", "/v1/users/me", {
      password: form.password.value,
      current_password: form.current.value,
    });
  } catch (error) {
    said.key = null;
    return sayProblem(error);
  }
  form.reset();
  // The server ended every session; this tab forgets its own and says what happened.
  await browserSession.signOut().catch(() => {});
  tell("me.passwordSaved", "success");
});

i18n.apply($("#main"));
i18n.onChange(() => {
  document.title = `Backlot · ${i18n.t("me.title")}`;
  if (said.key) tell(said.key, said.tone);
});
document.title = `Backlot · ${i18n.t("me.title")}`;
startSignIn(show);
