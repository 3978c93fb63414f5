// Shared by the pages one signs in to (labeling, videos, dubbing): API calls with the
// session's access token (session.js), the sign-in form, the sign-out button and the
// status line. Load it after api.js and session.js; the page's script then calls
// `startSignIn`, which draws the page once it knows whether this browser is signed in.
"use strict";

const $ = (selector) => document.querySelector(selector);
const session = {
  get token() {
    return browserSession.token();
  },
};
const pageHooks = { show: async () => {}, close: () => {}, renewed: () => {} };
let started = false; // the page's first drawing waits for the cookie's session
const redraw = () => Promise.resolve(pageHooks.show()).catch((error) => say(error.message));

const api = createApi(browserSession.token, browserSession.renew);

function say(text) {
  $("#message").textContent = text || "";
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
    if (reason !== "signed_out") say("Your session has ended: please sign in again.");
  });
});
browserSession.onRenewed((token, wasSignedOut) => {
  if (wasSignedOut && started) redraw(); // signed in, here or in another tab
  else pageHooks.renewed(token);
});

// The same form on every page, so it is written once, here.
$("#login").innerHTML = `
      <h2>Sign in</h2>
      <label>Email <input name="email" type="email" autocomplete="username" required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
      <p class="error" id="login-error" role="alert"></p>
    `;

// `show()` draws the page for the current session (signed in or out); `close()` ends
// what the page opened for the user (a socket) when the session ends; `renewed(token)`
// hands a fresh access token to whatever holds the old one (a socket).
function startSignIn(show, close = () => {}, renewed = () => {}) {
  Object.assign(pageHooks, { show, close, renewed });
  $("#login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      await browserSession.signIn(form.email.value, form.password.value);
      $("#login-error").textContent = "";
      say("");
    } catch (error) {
      $("#login-error").textContent = error.message;
    }
  });
  $("#logout").addEventListener("click", signOut);
  // A reload or a new tab: the cookie's session, if there is one, then the page.
  browserSession.renew().finally(() => {
    started = true;
    redraw();
  });
}
