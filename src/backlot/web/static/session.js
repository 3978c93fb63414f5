// The browser session every page shares. The refresh token lives in an HttpOnly cookie
// (the API's /v1/auth/browser routes set and rotate it; no script can read it); the
// access token lives here, in memory only, and is renewed before it expires, after a
// 401, and whenever a page opens (so a reload or a new tab stays signed in). Tabs tell
// each other through a BroadcastChannel: one renews and all use the new token; signing
// out in one signs out all.
"use strict";

const browserSession = (() => {
  const HEADER = { "X-Backlot-Session": "browser" };
  const tabs = "BroadcastChannel" in window ? new BroadcastChannel("backlot.session") : null;
  const listeners = { renewed: [], ended: [] };
  let token = null;
  let timer = null;
  let pending = null;

  async function call(path, body) {
    const response = await fetch(`/v1/auth/browser/${path}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { ...HEADER, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = response.status === 204 ? null : await response.json();
    if (!response.ok) throw Object.assign(new Error(data.detail), { problem: data });
    return data;
  }

  // Renew a fifth of the lifetime early (at least 5 s), so a slow answer still lands
  // before the old token lapses.
  function keep(tokens, tell) {
    const wasSignedOut = token === null;
    token = tokens.access_token;
    clearTimeout(timer);
    const lead = Math.max(tokens.expires_in / 5, 5);
    timer = setTimeout(renew, Math.max(tokens.expires_in - lead, 1) * 1000);
    if (tell && tabs) tabs.postMessage({ type: "renewed", tokens });
    listeners.renewed.forEach((listener) => listener(token, wasSignedOut));
  }

  function end(reason, tell) {
    clearTimeout(timer);
    const wasSignedIn = token !== null;
    token = null;
    if (tell && tabs) tabs.postMessage({ type: "ended", reason });
    if (wasSignedIn) listeners.ended.forEach((listener) => listener(reason));
  }

  // One renewal at a time, however many callers ask. True when a fresh token is here;
  // false when the session has ended (or the server cannot be reached: then the token
  // is kept, and the next call tries again).
  function renew() {
    // The API sets `backlot_session=1` beside the session cookie: without it there is
    // no session to renew, and asking would only be refused.
    if (!document.cookie.split("; ").includes("backlot_session=1")) {
      end("not_signed_in", false);
      return Promise.resolve(false);
    }
    if (!pending) {
      pending = (async () => {
        try {
          keep(await call("refresh"), true);
          return true;
        } catch (error) {
          if (error.problem && error.problem.status === 401) end(error.problem.code, false);
          return false;
        } finally {
          pending = null;
        }
      })();
    }
    return pending;
  }

  if (tabs) {
    tabs.onmessage = ({ data }) => {
      if (data.type === "renewed") keep(data.tokens, false);
      else if (data.type === "ended") end(data.reason, false);
    };
  }

  return {
    token: () => token,
    renew,
    async signIn(email, password) {
      keep(await call("login", { email, password }), true);
    },
    async signOut() {
      try {
        await call("logout");
      } finally {
        end("signed_out", true);
      }
    },
    onRenewed: (listener) => listeners.renewed.push(listener),
    onEnded: (listener) => listeners.ended.push(listener),
  };
})();
