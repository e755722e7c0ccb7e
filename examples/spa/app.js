// A single-page app on another origin than Latchkey's, signing in with it:
// it registers (POST /api/users), logs in with the OAuth 2.0 password grant
// (POST /api/token), calls the API with the access token
// (GET /api/users/me), refreshes the token before it expires, and logs out
// by revoking the refresh token (POST /api/token/revoke), which ends the
// session on the server. Plain JavaScript, no build step, no library.
//
// Latchkey must list this page's origin in LATCHKEY_CORS_ORIGINS, so that
// the browser lets the page read its answers. No request sends a cookie
// (credentials: "omit"): an SPA on another origin proves who it is with
// its tokens alone.
"use strict";

(() => {
  const latchkey = document.querySelector('meta[name="latchkey-url"]').content.replace(/\/+$/, "");

  // The tokens live in this closure, in memory, and nowhere else. Not in
  // localStorage or sessionStorage: any script that runs on this origin
  // (an injected one, a compromised dependency) can read those, and they
  // outlive the tab, so a stolen refresh token would keep the session
  // going somewhere else for days. In memory they end with the tab; the
  // price is logging in again after a reload.
  let session = null; // {access, refresh}
  let refreshTimer = 0;
  let refreshing = null; // the refresh under way, which every caller shares

  const $ = (id) => document.getElementById(id);

  // log adds a line to "What happened". Text only, never HTML: what the
  // server says is shown, not interpreted.
  function log(message) {
    const li = document.createElement("li");
    li.textContent = new Date().toLocaleTimeString() + ": " + message;
    $("log").append(li);
  }

  function showSignedIn(signedIn, status) {
    $("signed-out").hidden = signedIn;
    $("signed-in").hidden = !signedIn;
    $("status").textContent = status;
    if (!signedIn) $("me").textContent = "";
  }

  // call sends one request to Latchkey and reads the answer; a network
  // failure is status 0.
  async function call(method, path, { form, json, bearer } = {}) {
    const headers = {};
    let body;
    if (form) body = new URLSearchParams(form); // sent as application/x-www-form-urlencoded
    if (json) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    }
    if (bearer) headers["Authorization"] = "Bearer " + bearer;
    try {
      const res = await fetch(latchkey + path, { method, headers, body, credentials: "omit", cache: "no-store" });
      const text = await res.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: the status says enough
      }
      return { status: res.status, data, retryAfter: Number(res.headers.get("Retry-After")) || 0 };
    } catch (err) {
      return { status: 0, data: null, retryAfter: 0, error: String(err) };
    }
  }

  // why turns a refusal into words: a problem document's field messages or
  // detail, or an OAuth error's description.
  function why(r) {
    if (r.status === 0) return "Latchkey cannot be reached (" + r.error + ")";
    const d = r.data || {};
    if (Array.isArray(d.errors) && d.errors.length > 0) return d.errors.map((e) => e.message).join(" ");
    return d.detail || d.error_description || d.error || "HTTP " + r.status;
  }

  // refreshDelay is when, in milliseconds, to refresh an access token that
  // lasts expiresIn seconds: a minute before it expires, to allow for a
  // slow network or a tab the browser has slowed down, but not before half
  // its lifetime, so that a short-lived token is not refreshed at once.
  function refreshDelay(expiresIn) {
    return Math.max(expiresIn - 60, expiresIn / 2) * 1000;
  }

  // start keeps a new pair of tokens and schedules their refresh.
  function start(grant) {
    session = { access: grant.access_token, refresh: grant.refresh_token };
    clearTimeout(refreshTimer);
    const delay = refreshDelay(grant.expires_in);
    refreshTimer = setTimeout(refresh, delay);
    return Math.round(delay / 1000);
  }

  // forget drops the tokens; nothing can use them afterwards.
  function forget() {
    clearTimeout(refreshTimer);
    session = null;
  }

  // refresh gets a new pair with the refresh token. Each refresh token
  // works once, so two refreshes at the same time would have one refused:
  // every caller shares the one under way.
  function refresh() {
    if (!refreshing) refreshing = refreshOnce().finally(() => (refreshing = null));
    return refreshing;
  }

  async function refreshOnce() {
    const current = session;
    if (!current) return false;
    const r = await call("POST", "/api/token", { form: { grant_type: "refresh_token", refresh_token: current.refresh } });
    if (session !== current) return false; // logged out meanwhile
    if (r.status === 200) {
      const next = start(r.data);
      log("Refreshed: a new access token for " + r.data.expires_in + " s and a new refresh token (the old one is used up); the next refresh in " + next + " s.");
      return true;
    }
    if (r.status === 0 || r.status === 429 || r.status === 503) {
      // Latchkey is unreachable or busy: the tokens are still good, so try
      // again when it says (or in five seconds).
      const wait = r.retryAfter || 5;
      log("The refresh did not happen (" + why(r) + "); trying again in " + wait + " s.");
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refresh, wait * 1000);
      return false;
    }
    // invalid_grant: the session has ended on the server (a logout
    // elsewhere, a password change, an admin, or this refresh token seen
    // twice, which Latchkey takes for theft).
    forget();
    log("The session has ended on the server: " + why(r));
    showSignedIn(false, "Signed out: the session ended. Log in again.");
    return false;
  }

  // me calls GET /api/users/me with the access token; a 401 (the token ran
  // out while the tab slept, say) gets one refresh and one more try.
  async function me() {
    if (!session) return null;
    let r = await call("GET", "/api/users/me", { bearer: session.access });
    if (r.status === 401 && (await refresh())) r = await call("GET", "/api/users/me", { bearer: session.access });
    if (r.status !== 200) {
      log("GET /api/users/me was refused: " + why(r));
      return null;
    }
    const u = r.data;
    $("me").textContent = "You are " + u.username + " (" + u.email + "), role " + u.role + ".";
    log("GET /api/users/me with the access token: " + u.username + ".");
    return u;
  }

  async function register(form) {
    const f = new FormData(form);
    const r = await call("POST", "/api/users", {
      json: { username: f.get("username"), email: f.get("email"), password: f.get("password") },
    });
    if (r.status !== 201) {
      log("Registration was refused: " + why(r));
      return;
    }
    form.reset();
    $("login-username").value = r.data.username;
    log("Registered " + r.data.username + " (POST /api/users, from this page's origin, without a cookie). Log in now.");
  }

  async function login(form) {
    const f = new FormData(form);
    const r = await call("POST", "/api/token", {
      form: { grant_type: "password", username: f.get("username"), password: f.get("password") },
    });
    if (r.status !== 200) {
      log("Login was refused: " + why(r));
      return;
    }
    form.reset();
    const next = start(r.data);
    log("Logged in with the password grant: the access token lasts " + r.data.expires_in + " s, so it is refreshed in " + next + " s.");
    const u = await me();
    if (u) showSignedIn(true, "Signed in as " + u.username + ".");
  }

  async function logout() {
    const old = session;
    if (!old) return;
    forget();
    const r = await call("POST", "/api/token/revoke", { form: { token: old.refresh, token_type_hint: "refresh_token" } });
    if (r.status !== 200) {
      log("The tokens are forgotten here, but Latchkey did not confirm the logout: " + why(r));
      showSignedIn(false, "Signed out here; the server did not confirm.");
      return;
    }
    log("Logged out: POST /api/token/revoke ended the session on the server.");
    // For the demonstration only: the access token just forgotten has not
    // expired, yet Latchkey refuses it now, as it checks the session behind
    // every token. (A service that verifies tokens from the JWKS alone
    // would accept it until it expires.)
    const check = await call("GET", "/api/users/me", { bearer: old.access });
    log("The old access token, not yet expired, now gets " + check.status + (check.status === 401 ? " Unauthorized." : "."));
    showSignedIn(false, "Signed out.");
  }

  // busy runs an action with its button disabled, so a double click does
  // not send it twice.
  function busy(button, action) {
    return async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        await action();
      } finally {
        button.disabled = false;
      }
    };
  }

  for (const [id, action] of [["register-form", register], ["login-form", login]]) {
    const form = $(id);
    form.addEventListener("submit", busy(form.querySelector("button"), () => action(form)));
  }
  $("me-button").addEventListener("click", busy($("me-button"), me));
  $("logout-button").addEventListener("click", busy($("logout-button"), logout));
})();
