// The preview page: renders the simulator's current screen as real HTML controls and sends what the
// user does back to `flows preview`. The engine (flows-simulator) owns all flow logic: this file only
// draws the view the server computes and forwards events, so the browser and `flows walk` cannot
// disagree about what a flow does.
"use strict";

const $ = (id) => document.getElementById(id);
let current = null; // the last state from the server
let shape = ""; // what the rendered screen looks like, minus values: unchanged => patch in place
let generation = -1;

// One request at a time, in order: a value typed and then a Footer tapped must reach the engine in
// that order, as on the phone.
let queue = Promise.resolve();
function send(path, body) {
  queue = queue.then(async () => {
    // The client's spinner while a request is in flight. The screen stays usable: values typed
    // meanwhile are queued behind this request, in order, so nothing typed is lost.
    $("spinner").hidden = false;
    try {
      const res = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body ?? {}),
      });
      const state = await res.json();
      // A request the server refused ({error}) leaves the screen as it is.
      if (!res.ok) showSnackbar("preview: " + (state.error ?? res.status));
      else show(state);
    } catch (e) {
      showSnackbar("preview server unreachable: " + e.message);
    } finally {
      $("spinner").hidden = current?.status !== "loading";
    }
  });
  return queue;
}

async function poll() {
  try {
    const res = await fetch("/api/state");
    const state = await res.json();
    if (state.generation !== generation || current === null) show(state);
  } catch (_) {
    // The server restarts or is gone: keep the last screen, try again.
  }
  setTimeout(poll, 1500);
}

// replaceChildren would show a null or undefined child as the text "null".
function fill(node, ...children) {
  node.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function show(state) {
  const first = current === null;
  // The engine keeps the snackbar until the next tap or back: show it once, not on every redraw.
  const newSnackbar = state.snackbar && state.snackbar !== current?.snackbar;
  current = state;
  generation = state.generation;
  $("flow-file").textContent = state.flow ? `${state.flow.path} (Flow JSON ${state.flow.version})` : "";
  if (first || state.reloaded) fillRestartOptions(state);
  renderScreen(state);
  renderInspector(state);
  if (newSnackbar) showSnackbar(state.snackbar);
}

function fillRestartOptions(state) {
  const select = $("opt-screen");
  fill(select, el("option", { value: "", text: "(first)" }));
  for (const id of state.flow?.screens ?? []) select.append(el("option", { value: id, text: id }));
  if (state.options) {
    $("opt-action").value = state.options.flow_action;
    select.value = state.options.screen ?? "";
  }
}

function renderScreen(state) {
  const screen = state.screen;
  const body = $("screen");
  const busy = state.status === "loading";
  $("spinner").hidden = !busy;
  $("nav-back").hidden = !screen || screen.first;
  $("nav-close").hidden = !!(screen && !screen.first);
  if (state.closed || state.error || !screen) {
    shape = "";
    $("screen-title").textContent = state.closed ? "Flow completed" : "Flow stopped";
    fill(body, ...endView(state));
    fill($("footer"));
    return;
  }
  $("screen-title").textContent = screen.title ?? screen.id;
  const newShape = JSON.stringify([screen.id, screen.components.map(strip), screen.footer && strip(screen.footer)]);
  if (newShape === shape) {
    patch(screen);
    return;
  }
  shape = newShape;
  // Rebuilt, the field being typed in would lose its focus and what was typed since the state was
  // sent: keystrokes would then go nowhere. It keeps both.
  const typing = document.activeElement?.closest?.("#screen [data-key]");
  const key = typing?.dataset.key;
  const control = typing?.querySelector("input, textarea");
  const kept = control && document.activeElement === control ? { value: control.value, start: control.selectionStart, end: control.selectionEnd } : null;
  fill(body, ...screen.components.map(component));
  fill($("footer"), ...(screen.footer ? footer(screen.footer) : []));
  if (kept) {
    const again = body.querySelector(`[data-key="${CSS.escape(key)}"]`)?.querySelector("input, textarea");
    if (again && !again.disabled) {
      again.value = kept.value;
      again.focus();
      try { again.setSelectionRange(kept.start, kept.end); } catch (_) { /* not a text control */ }
    }
  }
}

// What decides whether a screen is rebuilt or patched in place: not values, errors, or whether a
// control or the footer is enabled and why not (the footer's refusal changes as fields are filled).
function strip(c) {
  const { value, error, enabled, refusal, ...rest } = c;
  return rest;
}

function endView(state) {
  if (state.closed) {
    return [
      el("p", { class: "done", text: "The flow closed and sent the business:" }),
      el("pre", { class: "params", "aria-label": "Completion parameters", text: JSON.stringify(state.closed.params ?? {}, null, 2) }),
    ];
  }
  return [el("p", { class: "error-screen", role: "alert", text: state.error ?? "No screen." })];
}

// Each component becomes the HTML control a screen reader and a browser test would look for: the
// accessible name of every input is its Flow JSON label.
function component(c) {
  const id = "c-" + c.key;
  switch (c.type) {
    case "TextHeading":
      return el("h2", { class: "heading", text: c.text });
    case "TextSubheading":
      return el("h3", { class: "subheading", text: c.text });
    case "TextBody":
    case "TextCaption":
    case "RichText":
      return el("div", { class: [c.type === "TextCaption" ? "caption" : "text", c.font_weight, c.strikethrough ? "strike" : null].filter(Boolean).join(" ") }, ...paragraphs(c.text));
    case "TextInput":
    case "TextArea":
      return field(c, id, textControl(c, id));
    case "Dropdown": {
      const select = el("select", { id, name: c.name, disabled: !c.enabled, required: c.required, onchange: (e) => set(c, e.target.value) });
      select.append(el("option", { value: "", text: "Select an option" }));
      for (const o of c.options) select.append(el("option", { value: o.id, disabled: o.enabled === false, text: o.title }));
      select.value = c.value ?? "";
      return field(c, id, select);
    }
    case "RadioButtonsGroup":
    case "CheckboxGroup":
    case "ChipsSelector":
      return choiceGroup(c, id);
    case "DatePicker":
      return field(c, id, el("input", { id, type: "date", name: c.name, value: c.value ?? "", min: c.min_date, max: c.max_date, disabled: !c.enabled, required: c.required, onchange: (e) => set(c, e.target.value) }));
    case "CalendarPicker":
      return calendar(c, id);
    case "OptIn":
      return el("div", { class: "optin", "data-key": c.key },
        el("input", { id, type: "checkbox", name: c.name, checked: c.value === true, disabled: !c.enabled, onchange: (e) => set(c, e.target.checked) }),
        el("label", { for: id, text: c.label + (c.required ? "" : " (Optional)") }),
        c.has_action ? el("a", { href: "#", class: "link", onclick: (e) => { e.preventDefault(); tap(c.label); }, text: c.read_more_label }) : null,
        errorLine(c));
    case "EmbeddedLink":
      return el("p", { class: "embedded" }, el("a", { href: "#", class: "link", onclick: (e) => { e.preventDefault(); tap(c.text); }, text: c.text }));
    case "NavigationList":
      return el("nav", { class: "navlist", "aria-label": c.label || "Options" },
        c.label ? el("h3", { class: "subheading", text: c.label }) : null,
        el("ul", {}, ...c.items.map((item) => el("li", {},
          el("button", { type: "button", class: "navitem", "aria-label": item.title, onclick: () => tap(item.title) },
            el("span", { class: "title", text: item.title }),
            item.description ? el("span", { class: "muted", text: item.description }) : null,
            item.metadata ? el("span", { class: "muted", text: item.metadata }) : null)))));
    case "Image":
      return el("img", { class: "image", src: c.src, alt: c.alt_text ?? "", width: c.width, height: c.height });
    case "ImageCarousel":
      return el("div", { class: "carousel" }, ...c.images.map((i) => el("img", { src: i.src, alt: i.alt_text ?? "" })));
    case "PhotoPicker":
    case "DocumentPicker":
      return field(c, id, el("input", { id, type: "file", disabled: true, "aria-describedby": id + "-note" }),
        el("p", { id: id + "-note", class: "muted", text: "Media uploads go through WhatsApp's CDN; the preview cannot upload." }));
    default:
      return el("p", { class: "unknown", text: `(${c.type} is not drawn by the preview)` });
  }
}

function paragraphs(text) {
  const items = Array.isArray(text) ? text : String(text ?? "").split("\n");
  return items.map((t) => el("p", { text: t }));
}

function textControl(c, id) {
  const common = { id, name: c.name, disabled: !c.enabled, required: c.required, "aria-invalid": c.error ? "true" : null, "aria-describedby": id + "-help" };
  if (c.type === "TextArea") {
    const area = el("textarea", { ...common, maxlength: c.max_length, oninput: (e) => set(c, e.target.value) });
    area.value = c.value ?? "";
    return area;
  }
  const kind = { email: "email", password: "password", passcode: "password", phone: "tel", number: "text" }[c.input_type] ?? "text";
  const mode = { number: "decimal", passcode: "numeric", phone: "tel", email: "email" }[c.input_type];
  const input = el("input", { ...common, type: kind, inputmode: mode, maxlength: c.max_chars, oninput: (e) => set(c, e.target.value) });
  input.value = c.value ?? "";
  return input;
}

function field(c, id, control, ...extra) {
  return el("div", { class: "field" + (c.error ? " invalid" : ""), "data-key": c.key },
    el("label", { for: id, text: c.label + (c.required ? "" : " (Optional)") }),
    control,
    ...extra,
    c.error ? null : c.helper_text ? el("p", { id: id + "-help", class: "helper muted", text: c.helper_text }) : null,
    errorLine(c, id));
}

function errorLine(c, id) {
  return c.error ? el("p", { id: id ? id + "-help" : null, class: "error", role: "alert", text: c.error }) : null;
}

function choiceGroup(c, id) {
  const multiple = c.type !== "RadioButtonsGroup";
  const chosen = new Set(multiple ? (c.value ?? []) : c.value ? [c.value] : []);
  const group = el("fieldset", { class: "choices" + (c.type === "ChipsSelector" ? " chips" : ""), "data-key": c.key, disabled: !c.enabled },
    el("legend", { text: c.label + (c.required ? "" : " (Optional)") }));
  if (c.description) group.append(el("p", { class: "muted", text: c.description }));
  c.options.forEach((o, i) => {
    const oid = `${id}-${i}`;
    const input = el("input", {
      id: oid, type: multiple ? "checkbox" : "radio", name: c.name, value: o.id, checked: chosen.has(o.id), disabled: o.enabled === false,
      onchange: () => {
        if (!multiple) return set(c, o.id);
        const values = [...group.querySelectorAll("input:checked")].map((x) => x.value);
        set(c, values);
      },
    });
    group.append(el("div", { class: "choice" }, input,
      el("label", { for: oid }, el("span", { text: o.title }), o.description ? el("span", { class: "muted", text: " " + o.description }) : null)));
  });
  const err = errorLine(c);
  if (err) group.append(err);
  return group;
}

function calendar(c, id) {
  if (c.mode !== "range") {
    return field(c, id, el("input", { id, type: "date", name: c.name, value: c.value ?? "", min: c.min_date, max: c.max_date, disabled: !c.enabled, onchange: (e) => set(c, e.target.value) }));
  }
  const value = c.value ?? {};
  const update = () => set(c, { "start-date": $(id + "-start").value, "end-date": $(id + "-end").value });
  return el("fieldset", { class: "range", "data-key": c.key },
    el("legend", { text: c.label }),
    el("label", { for: id + "-start", text: "Start date" }),
    el("input", { id: id + "-start", type: "date", value: value["start-date"] ?? "", min: c.min_date, max: c.max_date, onchange: update }),
    el("label", { for: id + "-end", text: "End date" }),
    el("input", { id: id + "-end", type: "date", value: value["end-date"] ?? "", min: c.min_date, max: c.max_date, onchange: update }),
    errorLine(c));
}

function footer(f) {
  const captions = f.center_caption
    ? el("div", { class: "captions center" }, el("span", { text: f.center_caption }))
    : f.left_caption || f.right_caption
      ? el("div", { class: "captions" }, el("span", { text: f.left_caption ?? "" }), el("span", { text: f.right_caption ?? "" }))
      : null;
  const button = el("button", { type: "button", id: "footer-button", class: "primary", disabled: !f.enabled, title: f.refusal ?? null, onclick: () => tap(f.label) , text: f.label });
  return [captions, button, el("p", { class: "managed muted", text: "Managed by the business. Simulated by flows preview." })];
}

// Values typed or chosen change only what they touch; the rest of the screen keeps its focus.
function patch(screen) {
  for (const c of screen.components) {
    const node = document.querySelector(`[data-key="${CSS.escape(c.key)}"]`);
    if (!node) continue;
    const control = node.querySelector("input, select, textarea");
    if (control && "value" in c && document.activeElement !== control && ["TextInput", "TextArea", "Dropdown", "DatePicker"].includes(c.type)) {
      control.value = c.value ?? "";
    }
    if (control && "enabled" in c) control.disabled = !c.enabled;
    node.querySelectorAll(".error").forEach((e) => e.remove());
    node.classList.toggle("invalid", !!c.error);
    if (c.error) node.append(errorLine(c));
  }
  const button = $("footer-button");
  if (button && screen.footer) {
    button.disabled = !screen.footer.enabled;
    button.title = screen.footer.refusal ?? "";
  }
}

function set(c, value) {
  send("/api/set", { name: c.name, value });
}
function tap(label) {
  send("/api/tap", { label });
}

function showSnackbar(text) {
  const bar = $("snackbar");
  bar.textContent = text;
  bar.hidden = false;
  clearTimeout(showSnackbar.timer);
  showSnackbar.timer = setTimeout(() => (bar.hidden = true), text.length <= 45 ? 4500 : 7000);
}

function renderInspector(state) {
  const screen = state.screen;
  fill($("state-summary"),
    el("p", { text: `status: ${state.status}` + (screen ? ` · screen ${screen.id}` : "") + (state.flow_token ? ` · flow token ${state.flow_token}` : "") }),
    state.error ? el("p", { class: "error", text: state.error }) : null,
    state.notice ? el("p", { class: "error", text: "Last action: " + state.notice }) : null,
    screen?.footer?.refusal ? el("p", { class: "muted", text: `"${screen.footer.label}" is disabled: ${screen.footer.refusal}` }) : null);
  $("state-data").textContent = JSON.stringify(state.data ?? {}, null, 2);
  $("state-form").textContent = JSON.stringify(state.form ?? {}, null, 2);
  const list = $("exchanges");
  // Newest first, numbered as sent; the newest is open, as it is the one just made.
  list.setAttribute("start", String((state.exchanges ?? []).length));
  fill(list, ...[...(state.exchanges ?? [])].reverse().map(exchange));
  list.querySelector("details")?.setAttribute("open", "");
}

function exchange(x) {
  const ok = x.status >= 200 && x.status < 300 && !(x.violations && x.violations.length);
  const title = `${x.action}${x.screen ? " " + x.screen : ""} → ${x.status ?? "no reply"} · ${x.latency_ms.toFixed(1)} ms`;
  return el("li", { class: ok ? "ok" : "bad" },
    el("details", {},
      el("summary", { text: title }),
      el("h4", { text: "Request (decrypted)" }),
      el("pre", { text: JSON.stringify(x.request, null, 2) }),
      el("h4", { text: "Reply (decrypted)" }),
      el("pre", { text: typeof x.reply === "string" ? x.reply : JSON.stringify(x.reply, null, 2) }),
      ...(x.violations ?? []).map((v) => el("p", { class: "error", text: "contract: " + v })),
      x.error ? el("p", { class: "error", text: x.error }) : null));
}

$("nav-back").addEventListener("click", () => send("/api/back"));
$("nav-close").addEventListener("click", () => send("/api/restart", restartOptions()));
$("restart-form").addEventListener("submit", (e) => {
  e.preventDefault();
  send("/api/restart", restartOptions());
});
function restartOptions() {
  return { flow_action: $("opt-action").value, screen: $("opt-screen").value || null };
}

poll();
