// The front door at /: signed out, sign in, sign up (with a new company or a personal
// account) or ask for a password reset, one form at a time as the address's #sign-in,
// #sign-up or #forgot says (the sign-in form on every page links here); signed in, a
// launcher to the apps and the API docs.
"use strict";

i18n.add({
  en: {
    "landing.what":
      "Where teams work on media together: label images, build block programs, watch videos and practise dubbing.",
    "landing.how": "One self-hosted service: your files and your people stay on your own server.",
    "landing.signUp.title": "Create an account",
    "landing.signUp.passwordHint": "At least 10 characters; a few uncommon words are easy to remember and hard to guess.",
    "landing.signUp.name": "Your name",
    "landing.signUp.kind": "Sign up",
    "landing.signUp.company": "With a new company (you will be its admin)",
    "landing.signUp.personal": "With a personal account",
    "landing.signUp.companyName": "Company name",
    "landing.signUp.submit": "Create the account",
    "landing.signUp.tooShort": "The password needs at least 10 characters.",
    "landing.signUp.checkMail":
      "We mailed {email} a link to confirm the address. Open it, then sign in here. No mail? Check the address and your spam folder.",
    "landing.signUp.badEmail": "This email address does not look right. Check it and try again.",
    "landing.signUp.badName": "Names may be up to 100 characters, without control characters.",
    "landing.haveAccount": "Already have an account?",
    "landing.forgot.hint": "Type the address of your account: we mail it a link to choose a new password.",
    "landing.forgot.submit": "Mail me a link",
    "landing.forgot.sent":
      "If this address has an account, we mailed it a link to choose a new password. The link works for a short time only.",
    "landing.backToSignIn": "Back to sign in",
    "landing.welcome": "Welcome, {name}",
    "landing.app.labeling": "Label a project's images together; a file you open is yours until you let it go.",
    "landing.app.workspace": "Build block programs in a shared room; a block someone edits is locked for the others.",
    "landing.app.videos": "Your company's video library; every video you watch earns you points.",
    "landing.app.dubbing": "Practise a script's lines, record yourself and see how close you came to the original.",
    "landing.app.adminName": "Admin console",
    "landing.app.admin": "Add people to your company, change their roles, see your plan.",
    "landing.app.docs": "Every route of the API, to read or to try out:",
  },
  ko: {
    "landing.what": "팀이 함께 미디어 작업을 하는 곳입니다. 이미지 라벨링, 블록 프로그램 만들기, 동영상 보기, 더빙 연습을 할 수 있습니다.",
    "landing.how": "직접 운영하는 하나의 서비스입니다. 파일과 사람 정보는 여러분의 서버에만 머뭅니다.",
    "landing.signUp.title": "계정 만들기",
    "landing.signUp.passwordHint": "10자 이상이어야 합니다. 흔하지 않은 단어 몇 개를 이어 쓰면 기억하기 쉽고 추측하기 어렵습니다.",
    "landing.signUp.name": "이름",
    "landing.signUp.kind": "가입 방식",
    "landing.signUp.company": "새 회사와 함께 (회사 관리자가 됩니다)",
    "landing.signUp.personal": "개인 계정으로",
    "landing.signUp.companyName": "회사 이름",
    "landing.signUp.submit": "계정 만들기",
    "landing.signUp.tooShort": "비밀번호는 10자 이상이어야 합니다.",
    "landing.signUp.checkMail":
      "{email} 주소로 주소 확인 링크를 보냈습니다. 링크를 연 다음 여기에서 로그인하세요. 메일이 오지 않으면 주소와 스팸 메일함을 확인하세요.",
    "landing.signUp.badEmail": "이메일 주소가 올바르지 않은 것 같습니다. 확인하고 다시 시도하세요.",
    "landing.signUp.badName": "이름은 100자까지 쓸 수 있고 제어 문자는 쓸 수 없습니다.",
    "landing.haveAccount": "이미 계정이 있나요?",
    "landing.forgot.hint": "계정의 이메일 주소를 입력하세요. 새 비밀번호를 정하는 링크를 메일로 보내 드립니다.",
    "landing.forgot.submit": "링크 받기",
    "landing.forgot.sent":
      "이 주소로 된 계정이 있으면 새 비밀번호를 정하는 링크를 메일로 보냈습니다. 링크는 잠시 동안만 쓸 수 있습니다.",
    "landing.backToSignIn": "로그인으로 돌아가기",
    "landing.welcome": "{name}님, 환영합니다",
    "landing.app.labeling": "프로젝트의 이미지를 함께 라벨링합니다. 연 파일은 놓을 때까지 내 파일입니다.",
    "landing.app.workspace": "공유된 방에서 블록 프로그램을 만듭니다. 누군가 편집 중인 블록은 다른 사람에게 잠깁니다.",
    "landing.app.videos": "회사의 동영상 라이브러리입니다. 동영상을 볼 때마다 포인트를 받습니다.",
    "landing.app.dubbing": "대본의 대사를 연습하고 녹음해서 원본과 얼마나 가까운지 확인합니다.",
    "landing.app.adminName": "관리 콘솔",
    "landing.app.admin": "회사에 사람을 추가하고 역할을 바꾸고 요금제를 확인합니다.",
    "landing.app.docs": "API의 모든 경로를 읽거나 직접 시험해 볼 수 있습니다.",
  },
});

i18n.apply($("main")); // the shell has applied its own part; signin.js its form

const FORMS = { "#sign-in": "#login", "#sign-up": "#sign-up", "#forgot": "#forgot" };

// Signed out: the form the address names (sign in by default). `focus` moves the keyboard
// there when the person chose it (a link), not on the first load.
function openForm(focus) {
  const chosen = FORMS[location.hash] || "#login";
  for (const selector of Object.values(FORMS)) $(selector).hidden = selector !== chosen;
  if (focus) $(`${chosen} input`).focus();
}

function drawLauncher(me) {
  $("#launcher-title").textContent = i18n.t("landing.welcome", { name: me.display_name || me.email });
  $("#launch-admin").hidden = !(me.is_superuser || (me.role === "admin" && me.corporation));
}

async function show() {
  const me = shell.me();
  $("#door").hidden = me !== null;
  $("#launcher").hidden = me === null;
  if (me) drawLauncher(me);
  else openForm(false);
}

window.addEventListener("hashchange", () => {
  if (shell.me() === null) openForm(true);
});
i18n.onChange(() => {
  if (shell.me()) drawLauncher(shell.me());
});

// A sentence for a refused sign-up: the field the server found wrong, else its problem.
function signUpProblem(error) {
  const data = error.problem || {};
  if (data.code === "validation_failed" && Array.isArray(data.errors)) {
    const fields = data.errors.map((err) => err.loc[err.loc.length - 1]);
    if (fields.includes("email")) return i18n.t("landing.signUp.badEmail");
    if (fields.includes("display_name") || fields.includes("corporation_name")) {
      return i18n.t("landing.signUp.badName");
    }
  }
  return i18n.problem(error);
}

const signUpForm = $("#sign-up");

function showCompanyField() {
  const company = signUpForm.kind.value === "company";
  $("#company").hidden = !company;
  signUpForm.corporation_name.required = company;
}
signUpForm.addEventListener("change", showCompanyField);
showCompanyField();

// The API answers a registration the same whether the address is new or taken (its owner
// gets a mail instead), so the page does too: it signs in with the new password if the
// server lets unconfirmed accounts in, and otherwise says to look in the mailbox.
signUpForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const error = $("#sign-up-error");
  const email = form.email.value.trim();
  const password = form.password.value;
  if (password.length < 10) {
    error.textContent = i18n.t("landing.signUp.tooShort");
    return;
  }
  const body = { email, password, display_name: form.display_name.value };
  if (form.kind.value === "company") body.corporation_name = form.corporation_name.value;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  error.textContent = "";
  say("");
  try {
    await api("POST", "/v1/auth/register", body);
  } catch (problem) {
    error.textContent = signUpProblem(problem);
    button.disabled = false;
    return;
  }
  try {
    await browserSession.signIn(email, password); // the session's listeners redraw the page
    form.reset();
    showCompanyField();
    history.replaceState(null, "", "/");
  } catch (problem) {
    const code = problem.problem && problem.problem.code;
    // Unconfirmed (the server wants the address confirmed first), or the address already
    // had an account with another password: either way the next step is in the mailbox.
    if (code === "email_not_verified" || code === "invalid_credentials") {
      form.reset();
      showCompanyField();
      say(i18n.t("landing.signUp.checkMail", { email }));
    } else {
      error.textContent = i18n.problem(problem);
    }
  } finally {
    button.disabled = false;
  }
});

// Always the same sentence, whether or not the address has an account.
$("#forgot").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  $("#forgot-error").textContent = "";
  say("");
  try {
    await api("POST", "/v1/auth/password-reset", { email: form.email.value.trim() });
    form.reset();
    say(i18n.t("landing.forgot.sent"));
  } catch (problem) {
    $("#forgot-error").textContent = signUpProblem(problem);
  } finally {
    button.disabled = false;
  }
});

startSignIn(show);
