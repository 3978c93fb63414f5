// Shared by the pages: calls to the API with the signed-in user's access token.
"use strict";

// `getToken()` gives the current access token (or null); `renew()` is asked for a fresh
// one when the API answers 401, and the call is made once more if it got one. Bodies
// are JSON, or FormData for uploads.
function createApi(getToken, renew) {
  return async function api(method, path, body, retried = false) {
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
    if (response.status === 401 && token && !retried && (await renew())) {
      return api(method, path, body, true);
    }
    if (!response.ok) throw Object.assign(new Error(data.detail), { problem: data });
    return data;
  };
}
