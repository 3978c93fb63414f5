// Shared by the pages one signs in to (labeling, videos, dubbing): the access token this
// tab keeps, API calls made with it, the sign-in form, the sign-out button and the status
// line. Load it after api.js; the page's script then calls `startSignIn`.
"use strict";

const $ = (selector) => document.querySelector(selector);
const session = { token: sessionStorage.getItem("backlot.access") };
const pageHooks = { show: async () => {}, close: () => {} };

const api = createApi(() => session.token, () => signOut());

function say(text) {
  $("#message").textContent = text || "";
}

function signOut() {
  sessionStorage.removeItem("backlot.access");
  session.token = null;
  pageHooks.close();
  pageHooks.show();
}

// The same form on every page, so it is written once, here.
$("#login").innerHTML = `
      <h2>Sign in</h2>
      <label>Email <input name="email" type="email" autocomplete="username" required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
      <p class="error" id="login-error" role="alert"></p>
    `;

// `show()` draws the page for the current token (signed in or out); `close()` ends what
// the page opened for the user (a socket) when they sign out.
function startSignIn(show, close = () => {}) {
  Object.assign(pageHooks, { show, close });
  $("#login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const tokens = await api("POST", "/v1/auth/login", {
        email: form.email.value,
        password: form.password.value,
      });
      session.token = tokens.access_token;
      sessionStorage.setItem("backlot.access", session.token);
      $("#login-error").textContent = "";
      await show();
    } catch (error) {
      $("#login-error").textContent = error.message;
    }
  });
  $("#logout").addEventListener("click", signOut);
}
