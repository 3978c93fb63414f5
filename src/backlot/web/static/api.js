// Shared by the pages: calls to the API with the signed-in user's access token.
"use strict";

// `getToken()` gives the current access token (or null); `onUnauthorized()` runs when the
// API answers 401 to anything but a sign-in. Bodies are JSON, or FormData for uploads.
function createApi(getToken, onUnauthorized) {
  return async function api(method, path, body) {
    const isForm = body instanceof FormData;
    const token = getToken();
    const response = await fetch(path, {
      method,
      headers: {
        ...(body !== undefined && !isForm ? { "Content-Type": "application/json" } : {}),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json();
    if (response.status === 401 && path !== "/v1/auth/login") onUnauthorized();
    if (!response.ok) throw Object.assign(new Error(data.detail), { problem: data });
    return data;
  };
}
