// Every page speaks English and Korean. The language comes from the switch in the header
// (remembered in this browser), else from the browser's own languages, else English.
// Each page adds its texts with `i18n.add({en: {...}, ko: {...}})`; markup names a text
// with data-text="key" (its content) or data-text-<attribute>="key" (placeholder,
// aria-label, title, alt). Problem JSON keeps its English `detail` for programs; people
// see `i18n.problem(error)`: a sentence chosen by the problem's stable `code`.
"use strict";

const i18n = (() => {
  const STORE = "backlot.lang";
  const LANGS = { en: "English", ko: "한국어" };
  const dictionaries = { en: {}, ko: {} };
  const listeners = [];

  function stored() {
    try {
      return localStorage.getItem(STORE);
    } catch {
      return null; // storage refused (private mode, a sandboxed frame)
    }
  }

  function detect() {
    const chosen = stored();
    if (chosen in LANGS) return chosen;
    const tags = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
    return tags.map((tag) => String(tag).slice(0, 2).toLowerCase()).find((tag) => tag in LANGS) || "en";
  }

  let lang = detect();
  document.documentElement.lang = lang;

  function add(texts) {
    for (const code of Object.keys(LANGS)) Object.assign(dictionaries[code], texts[code] || {});
  }

  // `vars` fill {name} slots; a key no dictionary has is a bug, shown as the key so a
  // test or a reader notices it rather than a blank.
  function t(key, vars = {}) {
    const text = dictionaries[lang][key] ?? dictionaries.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (slot, name) => (name in vars ? String(vars[name]) : slot));
  }

  function has(key) {
    return key in dictionaries.en;
  }

  const ATTRIBUTES = ["placeholder", "aria-label", "title", "alt"];

  function apply(root = document) {
    document.documentElement.lang = lang;
    root.querySelectorAll("[data-text]").forEach((node) => {
      node.textContent = t(node.dataset.text);
    });
    for (const attribute of ATTRIBUTES) {
      root.querySelectorAll(`[data-text-${attribute}]`).forEach((node) => {
        node.setAttribute(attribute, t(node.getAttribute(`data-text-${attribute}`)));
      });
    }
  }

  function setLang(code) {
    if (!(code in LANGS) || code === lang) return;
    lang = code;
    try {
      localStorage.setItem(STORE, code);
    } catch {
      // not remembered, still switched
    }
    apply();
    listeners.forEach((listener) => listener(code));
  }

  // What went wrong, in a sentence for people: the problem's code when we have words for
  // it, else what its status means; a fetch that never reached us is "offline".
  function problem(error) {
    const data = error && error.problem;
    if (!data) {
      if (error instanceof TypeError) return t("problem.offline");
      // An answer that was not ours (a proxy's HTML page) or a bug: no words of a parser
      // or a stack reach people.
      if (!error || error instanceof SyntaxError || error instanceof RangeError) return t("problem.unknown");
      return error.message || t("problem.unknown");
    }
    if (data.code && has(`problem.${data.code}`)) return t(`problem.${data.code}`, data);
    if (data.status >= 500) return t("problem.server");
    if (data.status === 429) return t("problem.rate_limited");
    if (data.status === 413) return t("problem.payload_too_large");
    if (data.status === 404) return t("problem.not_found");
    if (data.status === 403) return t("problem.forbidden");
    if (data.status === 401) return t("problem.not_authenticated");
    if (data.status === 409) return t("problem.conflict");
    return t("problem.invalid");
  }

  // Formats a number or a date for the page's language.
  const number = (value) => new Intl.NumberFormat(lang).format(value);
  const date = (value) =>
    new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));

  return {
    LANGS,
    add,
    t,
    has,
    apply,
    setLang,
    problem,
    number,
    date,
    lang: () => lang,
    onChange: (listener) => listeners.push(listener),
  };
})();

// Sentences for the API's problem codes (README § Errors), shared by every page.
i18n.add({
  en: {
    "problem.anonymous_edit_needs_public": "Only a public room can let visitors who are not signed in edit.",
    "problem.browser_library_missing": "This page is missing a part that the server should have installed. Tell your administrator.",
    "problem.google_account_conflict": "This email address is linked to another Google account.",
    "problem.id_token_unverifiable": "Google sign-in could not be checked just now. Try again in a moment.",
    "problem.invalid_id_token_claims": "Google sign-in did not work. Try again.",
    "problem.invalid_link_token": "This link has expired or was already used. Ask for a new mail and use its link.",
    "problem.no_content": "This file has no image uploaded yet.",
    "problem.not_signed_in": "You are not signed in. Please sign in.",
    "problem.null_not_allowed": "Some fields cannot be left empty. Fill them in and try again.",
    "problem.precondition_failed": "This changed meanwhile. Reload and try again.",
    "problem.upstream_failed": "The video's source could not be reached. Try again later.",
    "problem.offline": "Backlot could not be reached. Check your connection and try again.",
    "problem.unknown": "Something went wrong. Try again.",
    "problem.server": "Something went wrong on our side. Try again in a moment.",
    "problem.internal_error": "Something went wrong on our side. Try again in a moment.",
    "problem.invalid": "Some of what you entered is not valid. Check the form and try again.",
    "problem.validation_failed": "Some of what you entered is not valid. Check the form and try again.",
    "problem.malformed_json": "The page sent something Backlot could not read. Reload the page and try again.",
    "problem.conflict": "This clashes with something that changed meanwhile. Reload and try again.",
    "problem.not_authenticated": "Please sign in first.",
    "problem.invalid_token": "Your session is no longer valid. Please sign in again.",
    "problem.token_expired": "Your session has expired. Please sign in again.",
    "problem.session_ended": "Your session has ended. Please sign in again.",
    "problem.session_header_missing": "This page is out of date. Reload it and sign in again.",
    "problem.invalid_credentials": "That email and password do not match an account.",
    "problem.invalid_refresh_token": "Your session has ended. Please sign in again.",
    "problem.refresh_token_reused": "Your session was ended for safety. Please sign in again.",
    "problem.refresh_token_revoked": "You were signed out. Please sign in again.",
    "problem.refresh_token_expired": "Your session has expired. Please sign in again.",
    "problem.invalid_id_token": "Google sign-in did not work. Try again.",
    "problem.id_token_expired": "Google sign-in took too long. Try again.",
    "problem.email_not_verified": "Confirm your email address first: open the link we mailed you.",
    "problem.forbidden": "You are not allowed to do this. Ask an admin of your company.",
    "problem.plan_change_forbidden": "Only the service operator changes plans.",
    "problem.wrong_password": "The current password is not right.",
    "problem.weak_password": "This password is too easy to guess. Use at least 10 characters; a few uncommon words work well.",
    "problem.registration_closed": "New accounts cannot sign up here. Ask your admin for an account.",
    "problem.not_found": "This is not here any more, or you cannot see it.",
    "problem.google_login_disabled": "Google sign-in is not set up on this server.",
    "problem.method_not_allowed": "The page asked for something Backlot does not do. Reload the page.",
    "problem.email_taken": "An account with this email address already exists.",
    "problem.last_admin": "Your company needs at least one admin: make someone else admin first.",
    "problem.corporation_not_empty": "This company still has members: remove them first.",
    "problem.cannot_delete_self": "You cannot remove your own operator account.",
    "problem.payload_too_large": "This file is too large.",
    "problem.unsupported_media_type": "This kind of file is not accepted here.",
    "problem.plan_expiry_required": "A paid plan needs an end date.",
    "problem.plan_required": "Your company's plan does not include this. Ask your admin about the paid plan.",
    "problem.idempotency_key_reused": "This upload was already sent with another file or title. Choose the file again and upload it anew.",
    "problem.invalid_idempotency_key": "This page is out of date. Reload it and upload again.",
    "problem.admin_needs_corporation": "An admin must belong to a company.",
    "problem.rate_limited": "Too many tries. Wait a moment and try again.",
    "problem.user_manages_own_credentials": "People change their own email and password, from their own account.",
    "problem.lock_held": "Someone else is working on this file right now.",
    "problem.owner_limit": "You already hold a file: finish or release it first.",
    "problem.project_exists": "A project with this name already exists.",
    "problem.file_exists": "A file with this name is already in the project.",
    "problem.not_lock_owner": "You no longer hold the lock on this file.",
    "problem.not_locked": "This file is not locked.",
    "problem.stale_lock": "Your lock on this file lapsed and someone else took it.",
    "problem.no_annotation": "This file has no saved labels yet.",
    "problem.duplicate_label": "Each label name may be used only once.",
    "problem.too_many_labels": "The label set has too many labels.",
    "problem.unknown_label": "A shape uses a label that is not in the project's label set.",
    "problem.shape_outside_image": "A shape lies outside the image. Move it inside and save again.",
    "problem.too_many_shapes": "This file has too many shapes to save at once.",
    "problem.too_many_points": "A polygon has too many points.",
    "problem.attributes_too_large": "A shape's attributes are too long.",
    "problem.invalid_room_id": "Room names use letters, digits, dashes and underscores.",
    "problem.no_corporation": "This needs a company account. Ask a company admin to add you.",
    "problem.room_not_found": "This room does not exist, or you cannot enter it.",
    "problem.snapshot_not_found": "This version of the room does not exist.",
    "problem.room_exists": "A room with this name already exists.",
    "problem.not_room_owner": "Only the room's creator or a company admin can change or delete it.",
    "problem.invalid_ticket": "Joining the room took too long. Try again.",
    "problem.room_deleted": "This room was deleted.",
    "problem.too_many_rooms": "You have made as many rooms as allowed. Delete one first.",
    "problem.quota_exceeded": "This room has used all of its storage.",
    "problem.script_not_found": "This script does not exist, or you cannot see it.",
    "problem.token_not_found": "This line does not exist, or you cannot see it.",
    "problem.audio_not_found": "This recording is not here.",
    "problem.empty_file": "The file is empty.",
    "problem.unreadable_audio": "This recording could not be read. Try another file or record again.",
    "problem.audio_too_long": "This recording is too long.",
    "problem.actor_not_in_script": "This actor is not in the script.",
    "problem.invalid_times": "The start must come before the end.",
    "problem.order_mismatch": "The lines changed meanwhile. Reload the script and order them again.",
    "problem.job_not_found": "This analysis is not here.",
    "problem.no_reference": "This line has no original recording yet, so it cannot be scored.",
    "problem.job_finished": "This analysis has already finished.",
    "problem.too_many_jobs": "You have several recordings being scored. Wait for them to finish.",
    "problem.video_purged": "This video was deleted for good and cannot be restored.",
    "problem.range_not_satisfiable": "This part of the video is not available.",
    "problem.no_playable_stream": "This file has no video that browsers can play.",
  },
  ko: {
    "problem.anonymous_edit_needs_public": "로그인하지 않은 방문자의 편집은 공개 방에서만 허용할 수 있습니다.",
    "problem.browser_library_missing": "서버에 설치되어 있어야 할 페이지 구성 요소가 없습니다. 관리자에게 알려 주세요.",
    "problem.google_account_conflict": "이 이메일 주소는 다른 Google 계정에 연결되어 있습니다.",
    "problem.id_token_unverifiable": "지금은 Google 로그인을 확인할 수 없습니다. 잠시 후 다시 시도하세요.",
    "problem.invalid_id_token_claims": "Google 로그인이 되지 않았습니다. 다시 시도하세요.",
    "problem.invalid_link_token": "만료되었거나 이미 사용된 링크입니다. 새 메일을 요청해 그 링크를 사용하세요.",
    "problem.no_content": "이 파일에는 아직 올린 이미지가 없습니다.",
    "problem.not_signed_in": "로그인되어 있지 않습니다. 로그인하세요.",
    "problem.null_not_allowed": "비워 둘 수 없는 항목이 있습니다. 채운 뒤 다시 시도하세요.",
    "problem.precondition_failed": "그사이 바뀌었습니다. 새로 고친 뒤 다시 시도하세요.",
    "problem.upstream_failed": "동영상의 원본에 연결할 수 없습니다. 나중에 다시 시도하세요.",
    "problem.offline": "Backlot에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.",
    "problem.unknown": "문제가 생겼습니다. 다시 시도하세요.",
    "problem.server": "서버에 문제가 생겼습니다. 잠시 후 다시 시도하세요.",
    "problem.internal_error": "서버에 문제가 생겼습니다. 잠시 후 다시 시도하세요.",
    "problem.invalid": "입력한 내용 중 올바르지 않은 것이 있습니다. 확인하고 다시 시도하세요.",
    "problem.validation_failed": "입력한 내용 중 올바르지 않은 것이 있습니다. 확인하고 다시 시도하세요.",
    "problem.malformed_json": "페이지가 보낸 내용을 읽을 수 없습니다. 페이지를 새로 고친 뒤 다시 시도하세요.",
    "problem.conflict": "그사이 바뀐 내용과 충돌합니다. 새로 고친 뒤 다시 시도하세요.",
    "problem.not_authenticated": "먼저 로그인하세요.",
    "problem.invalid_token": "세션이 더 이상 유효하지 않습니다. 다시 로그인하세요.",
    "problem.token_expired": "세션이 만료되었습니다. 다시 로그인하세요.",
    "problem.session_ended": "세션이 끝났습니다. 다시 로그인하세요.",
    "problem.session_header_missing": "페이지가 오래되었습니다. 새로 고친 뒤 다시 로그인하세요.",
    "problem.invalid_credentials": "이메일과 비밀번호가 맞는 계정이 없습니다.",
    "problem.invalid_refresh_token": "세션이 끝났습니다. 다시 로그인하세요.",
    "problem.refresh_token_reused": "안전을 위해 세션을 끝냈습니다. 다시 로그인하세요.",
    "problem.refresh_token_revoked": "로그아웃되었습니다. 다시 로그인하세요.",
    "problem.refresh_token_expired": "세션이 만료되었습니다. 다시 로그인하세요.",
    "problem.invalid_id_token": "Google 로그인이 되지 않았습니다. 다시 시도하세요.",
    "problem.id_token_expired": "Google 로그인이 너무 오래 걸렸습니다. 다시 시도하세요.",
    "problem.email_not_verified": "먼저 이메일 주소를 확인하세요. 메일로 보낸 링크를 여세요.",
    "problem.forbidden": "이 작업을 할 권한이 없습니다. 회사 관리자에게 문의하세요.",
    "problem.plan_change_forbidden": "요금제는 서비스 운영자만 바꿀 수 있습니다.",
    "problem.wrong_password": "현재 비밀번호가 맞지 않습니다.",
    "problem.weak_password": "추측하기 쉬운 비밀번호입니다. 10자 이상으로, 흔하지 않은 단어 몇 개를 쓰세요.",
    "problem.registration_closed": "이곳에서는 새로 가입할 수 없습니다. 관리자에게 계정을 요청하세요.",
    "problem.not_found": "더 이상 없거나 볼 수 없는 항목입니다.",
    "problem.google_login_disabled": "이 서버에는 Google 로그인이 설정되어 있지 않습니다.",
    "problem.method_not_allowed": "페이지가 Backlot이 하지 않는 일을 요청했습니다. 새로 고치세요.",
    "problem.email_taken": "이 이메일 주소로 된 계정이 이미 있습니다.",
    "problem.last_admin": "회사에는 관리자가 한 명 이상 있어야 합니다. 먼저 다른 사람을 관리자로 지정하세요.",
    "problem.corporation_not_empty": "이 회사에 아직 구성원이 있습니다. 먼저 구성원을 내보내세요.",
    "problem.cannot_delete_self": "자신의 운영자 계정은 삭제할 수 없습니다.",
    "problem.payload_too_large": "파일이 너무 큽니다.",
    "problem.unsupported_media_type": "여기서는 받지 않는 종류의 파일입니다.",
    "problem.plan_expiry_required": "유료 요금제에는 종료일이 필요합니다.",
    "problem.plan_required": "회사 요금제에 포함되지 않은 기능입니다. 관리자에게 유료 요금제를 문의하세요.",
    "problem.idempotency_key_reused": "이 업로드는 이미 다른 파일이나 제목으로 보냈습니다. 파일을 다시 골라 새로 올리세요.",
    "problem.invalid_idempotency_key": "페이지가 오래되었습니다. 새로 고친 뒤 다시 올리세요.",
    "problem.admin_needs_corporation": "관리자는 회사에 속해 있어야 합니다.",
    "problem.rate_limited": "시도가 너무 많습니다. 잠시 후 다시 시도하세요.",
    "problem.user_manages_own_credentials": "이메일과 비밀번호는 본인이 자기 계정에서 바꿉니다.",
    "problem.lock_held": "다른 사람이 지금 이 파일을 작업하고 있습니다.",
    "problem.owner_limit": "이미 잡고 있는 파일이 있습니다. 먼저 끝내거나 놓으세요.",
    "problem.project_exists": "같은 이름의 프로젝트가 이미 있습니다.",
    "problem.file_exists": "같은 이름의 파일이 이미 프로젝트에 있습니다.",
    "problem.not_lock_owner": "이 파일의 잠금을 더 이상 갖고 있지 않습니다.",
    "problem.not_locked": "이 파일은 잠겨 있지 않습니다.",
    "problem.stale_lock": "이 파일의 잠금이 만료되어 다른 사람이 가져갔습니다.",
    "problem.no_annotation": "이 파일에는 아직 저장된 라벨이 없습니다.",
    "problem.duplicate_label": "라벨 이름은 한 번씩만 쓸 수 있습니다.",
    "problem.too_many_labels": "라벨 세트의 라벨이 너무 많습니다.",
    "problem.unknown_label": "프로젝트 라벨 세트에 없는 라벨을 쓴 도형이 있습니다.",
    "problem.shape_outside_image": "이미지 밖으로 나간 도형이 있습니다. 안으로 옮긴 뒤 다시 저장하세요.",
    "problem.too_many_shapes": "한 번에 저장하기에는 도형이 너무 많습니다.",
    "problem.too_many_points": "다각형의 점이 너무 많습니다.",
    "problem.attributes_too_large": "도형의 속성이 너무 깁니다.",
    "problem.invalid_room_id": "방 이름에는 영문자, 숫자, 대시, 밑줄만 쓸 수 있습니다.",
    "problem.no_corporation": "회사 계정이 필요합니다. 회사 관리자에게 추가를 요청하세요.",
    "problem.room_not_found": "없는 방이거나 들어갈 수 없는 방입니다.",
    "problem.snapshot_not_found": "이 방의 해당 버전이 없습니다.",
    "problem.room_exists": "같은 이름의 방이 이미 있습니다.",
    "problem.not_room_owner": "방을 만든 사람이나 회사 관리자만 방을 바꾸거나 지울 수 있습니다.",
    "problem.invalid_ticket": "방에 들어가는 데 시간이 너무 오래 걸렸습니다. 다시 시도하세요.",
    "problem.room_deleted": "이 방은 삭제되었습니다.",
    "problem.too_many_rooms": "만들 수 있는 방을 모두 만들었습니다. 먼저 하나를 지우세요.",
    "problem.quota_exceeded": "이 방의 저장 공간을 모두 썼습니다.",
    "problem.script_not_found": "없는 대본이거나 볼 수 없는 대본입니다.",
    "problem.token_not_found": "없는 대사이거나 볼 수 없는 대사입니다.",
    "problem.audio_not_found": "녹음이 없습니다.",
    "problem.empty_file": "빈 파일입니다.",
    "problem.unreadable_audio": "녹음을 읽을 수 없습니다. 다른 파일을 쓰거나 다시 녹음하세요.",
    "problem.audio_too_long": "녹음이 너무 깁니다.",
    "problem.actor_not_in_script": "이 배우는 대본에 없습니다.",
    "problem.invalid_times": "시작이 끝보다 앞서야 합니다.",
    "problem.order_mismatch": "그사이 대사가 바뀌었습니다. 대본을 다시 불러와 순서를 다시 정하세요.",
    "problem.job_not_found": "이 분석이 없습니다.",
    "problem.no_reference": "이 대사에는 아직 원본 녹음이 없어 점수를 매길 수 없습니다.",
    "problem.job_finished": "이 분석은 이미 끝났습니다.",
    "problem.too_many_jobs": "채점 중인 녹음이 여러 개 있습니다. 끝날 때까지 기다리세요.",
    "problem.video_purged": "이 동영상은 완전히 삭제되어 복구할 수 없습니다.",
    "problem.range_not_satisfiable": "동영상의 이 부분은 볼 수 없습니다.",
    "problem.no_playable_stream": "브라우저가 재생할 수 있는 영상이 없는 파일입니다.",
  },
});
