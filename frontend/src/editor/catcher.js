// The webhook catcher: the function's test URL, its captures arriving live over the
// websocket, and Auto-fill via webhook (use a capture as the Run's input and run it).
// A function not created yet gets a scratch test URL of its own user (startScratch),
// which the function Configure creates adopts, captures included (adoptInto); left
// unadopted it is discarded when the page goes, or expires.
import { api } from "../lib/api.js";
import { $, h, toast } from "../lib/dom.js";
import { formatTime } from "../lib/time.js";
import { liveSocket } from "../lib/live.js";

const QUERY_SHOWN = 120;
const shortened = (text) => (text.length > QUERY_SHOWN ? `${text.slice(0, QUERY_SHOWN)}…` : text);

export function initCatcher({ path, can, use }) {
  // What is listened to: {functionId} or {scratchId, expiresAt}.
  let listening = null;
  let socket = null;
  let captures = [];
  let waiting = false;

  const capturePath = (id) => (listening.scratchId
    ? path(`catchers/${listening.scratchId}/captures/${id}/`)
    : path(`functions/${listening.functionId}/captures/${id}/`));

  // The request with the body exactly as it arrived (`body`, the raw text), not the
  // parsed JSON: the sender's signature is over those bytes.
  async function requestOf(capture) {
    const whole = capture.request ? capture : await api("GET", capturePath(capture.id));
    const request = { ...whole.request, rawBody: whole.body ?? "" };
    delete request.body;
    return request;
  }
  async function apply(capture, runNow) {
    const request = await requestOf(capture);
    use(request, { runNow: runNow && can.test_functions });
  }

  function render() {
    $("#captures").replaceChildren(...(captures.length ? captures.map((c) => h("li", { class: "capture", "data-capture": c.id },
      h("div", {}, h("strong", {}, c.method), " ", h("span", { class: "muted" }, `${c.content_type || "no content type"} · ${c.size} bytes · ${formatTime(c.received_at)}`)),
      // A GET says everything in its query (Meta's hub.mode, hub.challenge): show it.
      c.query_string ? h("div", { class: "capture-query" }, h("code", {}, `?${shortened(c.query_string)}`)) : null,
      c.json && c.json.type ? h("div", {}, h("code", {}, c.json.type)) : null,
      h("button", { type: "button", class: "link", onclick: () => apply(c, false) }, "Use as input"),
      can.test_functions ? h("button", { type: "button", class: "link", onclick: () => apply(c, true) }, "Use and run") : null))
      : [h("li", { class: "muted" }, "No requests caught yet. Point your service at the test URL, or POST to it with curl.")]));
  }

  function add(capture) {
    captures = [capture, ...captures.filter((c) => c.id !== capture.id)].slice(0, 50);
    render();
    if (waiting) {
      waiting = false;
      setAutofillState();
      apply(capture, true);
    }
  }

  function setAutofillState() {
    const button = $("#autofill");
    if (button) button.textContent = waiting ? "Waiting for a webhook… (click to cancel)" : "Auto-fill via webhook";
  }

  const autofill = $("#autofill");
  if (autofill) autofill.addEventListener("click", () => {
    if (waiting) {
      waiting = false;
    } else if (captures.length) {
      apply(captures[0], true);
    } else {
      waiting = true;
    }
    setAutofillState();
  });

  function listen(info) {
    $("#catcher-unavailable").hidden = true;
    $("#catcher").hidden = false;
    // null for members: the test URL works as a write credential (docs/security.md).
    $("#catcher-url").value = info.url || "";
    if (!info.url) $("#catcher-url").placeholder = "Only workspace owners and source admins see the test URL";
    render();
    if (socket) socket.close();
    socket = liveSocket(info.websocket, {
      onState(state) {
        $("#catcher-dot").className = `dot ${state === "open" ? "on" : ""}`;
        $("#catcher-state").textContent = state === "open" ? "Listening for requests at the test URL" : "Reconnecting…";
      },
      onMessage(message) {
        if (message.type === "captures") {
          const known = new Map(captures.map((c) => [c.id, c]));
          for (const c of message.captures) known.set(c.id, c);
          captures = [...known.values()].sort((a, b) => b.id - a.id);
          render();
        } else if (message.type === "capture") {
          add(message.capture);
        }
      },
    });
  }

  // Discarded as the page goes for good (not into the back-forward cache).
  function discardOnLeave(event) {
    if (event.persisted || !listening || !listening.scratchId) return;
    api("DELETE", path(`catchers/${listening.scratchId}/`), undefined, { keepalive: true }).catch(() => {});
  }

  async function start(functionId) {
    listening = { functionId };
    $("#catcher-note").hidden = true;
    try {
      listen(await api("GET", path(`functions/${functionId}/catcher/`)));
    } catch (error) {
      toast(error.message, "error");
    }
  }

  return {
    start,
    // A test URL before the function exists: its user's own, until Configure creates
    // the function (which adopts it) or for a day.
    // `existing`: the id of one made before (the empty catalog's first-run guide), so
    // what was sent to it is here; gone or expired, a new one is made.
    async startScratch(existing) {
      try {
        const known = existing && await api("GET", path(`catchers/${Number(existing)}/`)).catch(() => null);
        const info = known && Date.parse(known.expires_at) > Date.now() ? known : await api("POST", path("catchers/"));
        listening = { scratchId: info.id, expiresAt: Date.parse(info.expires_at) };
        listen(info);
        $("#catcher-note").hidden = false;
        window.addEventListener("pagehide", discardOnLeave);
      } catch (error) {
        toast(error.message, "error");
      }
    },
    // The new function takes the scratch URL and what it caught; then the editor listens
    // to the function's. An expired one is not adopted: the function gets a URL of its own.
    async adoptInto(functionId) {
      const scratch = listening && listening.scratchId && listening.expiresAt > Date.now() ? listening.scratchId : null;
      window.removeEventListener("pagehide", discardOnLeave);
      // Stopped first: the server closes the scratch URL's socket once it is adopted.
      if (socket) socket.close();
      socket = null;
      if (scratch) {
        try {
          await api("POST", path(`functions/${functionId}/catcher/adopt/`), { catcher: scratch });
        } catch (error) {
          toast(`The test URL of the new function is a new one: ${error.message}`, "error");
        }
      }
      await start(functionId);
    },
  };
}
