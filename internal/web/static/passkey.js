// Passkeys on the login and account pages (DESIGN.md, "Second factor and
// passkeys"). A ceremony is two calls to the server around one call to
// the browser's WebAuthn API: the server's options go to
// navigator.credentials, and what the authenticator answers goes back.
// The pages carry no inline script (the CSP allows none): this file finds
// its elements by id, and shows them only where WebAuthn is available.
"use strict";

(() => {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // the passkey parts stay hidden; the rest of the page works
  }

  // A failure the server explained, with the fields at fault.
  class Refused extends Error {
    constructor(message, fields) {
      super(message);
      this.fields = fields || [];
    }
  }

  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) {
      throw new Refused(answer.message || "The server answered " + res.status + ". Please try again.", answer.fields);
    }
    return answer;
  }

  // What to tell the user when the browser's side fails.
  function messageOf(err) {
    if (err instanceof Refused) return err.message;
    switch (err && err.name) {
      case "NotAllowedError":
        return "The passkey request was cancelled or timed out.";
      case "InvalidStateError":
        return "This device already holds a passkey for your account.";
      case "SecurityError":
        return "Passkeys do not work at this page's address.";
    }
    return "Your browser could not use a passkey" + (err && err.name ? " (" + err.name + ")." : ".");
  }

  // The JSON forms of WebAuthn's options and answers, which every current
  // browser converts itself; the short fallback below is for those that
  // do not yet (base64url for every binary member).
  const fromB64 = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const toB64 = (buf) =>
    btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const ids = (list) => (list || []).map((c) => ({ ...c, id: fromB64(c.id) }));

  function creationOptions(o) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    return { ...o, challenge: fromB64(o.challenge), user: { ...o.user, id: fromB64(o.user.id) }, excludeCredentials: ids(o.excludeCredentials) };
  }

  function requestOptions(o) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    return { ...o, challenge: fromB64(o.challenge), allowCredentials: ids(o.allowCredentials) };
  }

  function answerJSON(cred) {
    if (cred.toJSON) return cred.toJSON();
    const r = cred.response;
    const response = { clientDataJSON: toB64(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64(r.authenticatorData);
      response.signature = toB64(r.signature);
      if (r.userHandle) response.userHandle = toB64(r.userHandle);
    }
    return {
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type, response,
      authenticatorAttachment: cred.authenticatorAttachment, clientExtensionResults: cred.getClientExtensionResults(),
    };
  }

  function show(el, message) {
    el.textContent = message;
    el.hidden = false;
  }

  // The login page: a button, and the browser's autofill on the
  // identifier field (autocomplete="username webauthn") where it offers
  // passkeys among its suggestions. Either way, one ceremony: begin, get,
  // finish, then go where the login form would have gone.
  const login = document.getElementById("passkey-login");
  if (login) {
    const button = document.getElementById("passkey-login-button");
    const error = document.getElementById("passkey-login-error");
    let autofill = null; // the AbortController of the autofill request

    const signIn = async (mediation, signal) => {
      const begun = await post(login.dataset.begin, {});
      const cred = await navigator.credentials.get({ mediation, signal, publicKey: requestOptions(begun.options.publicKey) });
      // The form as it is now: htmx replaces it when a password login fails.
      const field = (name) => document.querySelector('#login-form [name="' + name + '"]') || {};
      const done = await post(login.dataset.finish, {
        ceremony: begun.ceremony,
        credential: answerJSON(cred),
        remember: !!field("remember_me").checked,
        next: field("next").value || "/",
      });
      window.location.assign(done.location);
    };

    const offerAutofill = async () => {
      if (!PublicKeyCredential.isConditionalMediationAvailable || !(await PublicKeyCredential.isConditionalMediationAvailable())) {
        return;
      }
      autofill = new AbortController();
      try {
        await signIn("conditional", autofill.signal);
      } catch (err) {
        if (err.name !== "AbortError") show(error, messageOf(err));
      }
    };

    button.addEventListener("click", async () => {
      if (autofill) autofill.abort(); // a browser runs one request at a time
      error.hidden = true;
      button.disabled = true;
      try {
        await signIn("optional");
      } catch (err) {
        show(error, messageOf(err));
        offerAutofill();
      } finally {
        button.disabled = false;
      }
    });
    login.hidden = false;
    offerAutofill();
  }

  // The account page: "Add a passkey", with a name and the current
  // password, which the server checks before the authenticator is asked.
  const add = document.getElementById("passkey-add");
  if (add) {
    const error = document.getElementById("passkey-add-error");
    add.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      for (const input of add.querySelectorAll("input")) input.removeAttribute("aria-invalid");
      const submit = add.querySelector("button[type=submit]");
      const password = add.elements.namedItem("current_password");
      submit.disabled = true;
      try {
        const begun = await post(add.dataset.begin, {
          name: add.elements.namedItem("name").value,
          current_password: password.value,
        });
        password.value = "";
        const cred = await navigator.credentials.create({ publicKey: creationOptions(begun.options.publicKey) });
        const done = await post(add.dataset.finish, { ceremony: begun.ceremony, credential: answerJSON(cred) });
        window.location.assign(done.location);
      } catch (err) {
        const fields = err instanceof Refused ? err.fields : [];
        show(error, fields.length ? fields.map((f) => f.message).join(" ") : messageOf(err));
        for (const f of fields) {
          const input = add.elements.namedItem(f.field);
          if (input) input.setAttribute("aria-invalid", "true");
        }
      } finally {
        submit.disabled = false;
      }
    });
    add.hidden = false;
    document.getElementById("passkey-unsupported").hidden = true;
  }
})();
