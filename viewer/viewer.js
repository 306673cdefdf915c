// kvlm trace viewer: loads trace.json (schema: docs/trace-format.md) and replays it step by step.
// Not a plotting library: a few SVG helpers, one render() that draws the state at the cursor.
"use strict";

const TRACE_FORMAT = "kvlm-trace";
const TRACE_VERSION = 1;
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

const state = { trace: null, compare: null, cursor: -1, playing: false, timer: null };

// ---- loading and checking ----------------------------------------------------------------

class TraceError extends Error {}

function check(trace, name) {
  if (trace === null || typeof trace !== "object" || Array.isArray(trace))
    throw new TraceError(`${name} is not a kvlm trace: expected a JSON object.`);
  if (trace.format !== TRACE_FORMAT)
    throw new TraceError(`${name} is not a kvlm trace (its "format" is ${JSON.stringify(trace.format)}, not "${TRACE_FORMAT}").`);
  if (trace.version !== TRACE_VERSION)
    throw new TraceError(`${name} has schema version ${JSON.stringify(trace.version)}; this viewer reads version ${TRACE_VERSION}. ` +
                         "Make the trace again with this kvlm, or open it with the viewer of the kvlm that made it.");
  const fields = { model: "object", prompt: "object", steps: "object", attention_layers: "object", attention_heads: "object" };
  for (const [key, type] of Object.entries(fields))
    if (typeof trace[key] !== type || trace[key] === null) throw new TraceError(`${name} has no valid "${key}" field.`);
  if (!Array.isArray(trace.steps) || trace.steps.length === 0) throw new TraceError(`${name} has no steps.`);
  if (!Array.isArray(trace.prompt.ids) || !Array.isArray(trace.prompt.tokens))
    throw new TraceError(`${name} has no prompt ids or tokens.`);
  trace.steps.forEach((s, i) => {
    for (const key of ["start_pos", "n_positions", "ms", "cache_length", "cache_bytes"])
      if (typeof s[key] !== "number") throw new TraceError(`${name}: step ${i} has no number "${key}".`);
    if (!s.token || !Array.isArray(s.top_before) || !Array.isArray(s.top_after) || !Array.isArray(s.attention))
      throw new TraceError(`${name}: step ${i} lacks its token, candidates or attention.`);
  });
  return trace;
}

async function load(url, name) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new TraceError(`Could not load ${name} (HTTP ${response.status}).`);
  const text = await response.text();
  let trace;
  try {
    trace = JSON.parse(text);
  } catch (e) {
    throw new TraceError(`${name} is not valid JSON (${e.message}). Was it cut short? Make it again with kvlm generate --trace.`);
  }
  return check(trace, name);
}

function showError(message) {
  $("error").textContent = "⚠ " + message;
  $("error").hidden = false;
  $("main").hidden = true;
  $("summary").textContent = "no trace shown";
}

// ---- SVG helpers ----------------------------------------------------------------------------

function el(tag, attrs = {}, parent = null, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function svgIn(container, width, height) {
  container.replaceChildren();
  return el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" }, container);
}

const show = (s) => JSON.stringify(s).slice(1, -1);  // token text with \n and spaces visible
const bytes = (n) => n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
// Attention weight in [0, 1] -> colour: dark violet, red, then amber (a magma-like ramp).
const RAMP = [[42, 23, 64], [194, 59, 78], [255, 209, 102]];
function heat(w) {
  const x = Math.max(0, Math.min(1, w)) * (RAMP.length - 1), i = Math.min(Math.floor(x), RAMP.length - 2), f = x - i;
  const c = RAMP[i].map((a, j) => Math.round(a + f * (RAMP[i + 1][j] - a)));
  return `rgb(${c.join(",")})`;
}

// ---- the panels ---------------------------------------------------------------------------

function renderTokens(t, k) {
  const box = $("tokens");
  box.replaceChildren();
  t.prompt.tokens.forEach((text) => {
    const span = document.createElement("span");
    span.className = "token prompt" + (k < 0 ? " waiting" : "");
    span.textContent = show(text);
    box.appendChild(span);
  });
  for (let i = 0; i <= k; i++) {
    const span = document.createElement("span");
    span.className = "token generated" + (i === k ? " current" : "");
    span.textContent = show(t.steps[i].token.text);
    span.title = `step ${i}: id ${t.steps[i].token.id}`;
    box.appendChild(span);
  }
  $("token-note").textContent = `${t.prompt.ids.length} prompt + ${k + 1} new`;
}

function positionsTotal(t) { return t.prompt.ids.length + t.steps.length - 1; }

function renderCache(t, k) {
  const L = t.model.num_hidden_layers, P = positionsTotal(t);
  const cell = Math.max(4, Math.min(22, Math.floor(760 / P))), rowH = Math.max(4, Math.min(26, Math.floor(300 / L)));
  const left = 90, top = 8, W = left + P * cell + 10, H = top + L * rowH + 34;
  const svg = svgIn($("cache"), W, H);
  const s = k >= 0 ? t.steps[k] : null;
  const cached = t.cache !== "none";
  const filled = s ? (cached ? s.cache_length : 0) : 0;
  const freshFrom = s ? s.start_pos : 0, freshTo = s ? s.start_pos + s.n_positions : 0;
  for (let l = 0; l < L; l++) {
    for (let p = 0; p < P; p++) {
      let cls = "cell";
      if (cached && p < filled) cls += p >= freshFrom ? " filled fresh" : " filled";
      else if (!cached && p >= freshFrom && p < freshTo) cls += " recomputed";
      el("rect", { class: cls, x: left + p * cell, y: top + l * rowH, width: cell - 1, height: rowH - 1 }, svg);
    }
  }
  const label = { class: "dim", style: `font-size: ${Math.max(12, W / 50)}px` };  // readable however far the grid is scaled down
  el("text", { ...label, x: left - 6, y: top + rowH, "text-anchor": "end" }, svg, "layer 0");
  el("text", { ...label, x: left - 6, y: top + L * rowH, "text-anchor": "end" }, svg, `${L - 1}`);
  el("text", { ...label, x: left, y: H - 4 }, svg, "position 0");
  el("text", { ...label, x: left + P * cell, y: H - 4, "text-anchor": "end" }, svg, `${P - 1}`);
  $("cache-note").textContent = !s ? "empty" : cached
    ? `${s.cache_length} positions × ${L} layers = ${bytes(s.cache_bytes)} (${bytes(t.model.kv_bytes_per_token)} per token)`
    : `no cache: this step recomputed all ${s.n_positions} positions`;
}

function renderCandidates(t, k) {
  const W = 600, rowH = 28, left = 130, H = 10 * rowH + 10;
  const svg = svgIn($("candidates"), W, H);
  if (k < 0) {
    el("text", { x: 10, y: 30, class: "dim" }, svg, "press ▶ to run the prefill step");
    return;
  }
  const s = t.steps[k];
  const after = new Map(s.top_after.map((c) => [c.id, c.prob]));
  const barW = W - left - 70;
  s.top_before.forEach((c, i) => {
    const y = 6 + i * rowH;
    el("text", { x: left - 8, y: y + 16, "text-anchor": "end" }, svg, show(c.text).slice(0, 18));
    el("rect", { class: "bar-before", x: left, y: y + 2, width: Math.max(1, c.prob * barW), height: rowH - 8 }, svg);
    if (after.has(c.id))
      el("rect", { class: "bar-after", x: left, y: y + 8, width: Math.max(1, after.get(c.id) * barW), height: rowH - 14 }, svg);
    if (c.id === s.token.id)
      el("rect", { class: "bar-chosen", x: left - 2, y: y, width: barW + 4, height: rowH - 4, rx: 4 }, svg);
    el("text", { x: left + barW + 8, y: y + 16, class: "dim" }, svg, `${(100 * c.prob).toFixed(1)}%`);
  });
}

function renderAttention(t, k) {
  const svg = svgIn($("attention"), 1000, 150);
  if (k < 0) {
    el("text", { x: 10, y: 30, class: "dim" }, svg, "the attention of the newest token appears once a step has run");
    return;
  }
  const s = t.steps[k];
  const li = Number($("layer").value), hi = Number($("head").value);
  const row = s.attention[li] && s.attention[li][hi];
  if (!row) return;
  const tokens = t.prompt.tokens.concat(t.steps.slice(0, k).map((x) => x.token.text));
  const left = 40, cell = Math.min(40, (1000 - left - 10) / row.length);  // the viewBox stays 1000 wide
  const max = Math.max(...row);
  row.forEach((w, p) => {
    const r = el("rect", { class: "heat", x: left + p * cell, y: 10, width: cell - 1, height: 50, fill: heat(max > 0 ? w / max : 0) }, svg);
    el("title", {}, r, `position ${p} ${show(tokens[p] ?? "")}: ${w.toFixed(4)}`);
    if (cell >= 14)
      el("text", { x: left + p * cell + cell / 2, y: 74, "text-anchor": "end", transform: `rotate(-60 ${left + p * cell + cell / 2} 74)`,
                   class: "dim", "font-size": Math.min(12, cell * 0.7) }, svg, show(tokens[p] ?? "").slice(0, 8));
  });
  el("text", { x: left, y: 146, class: "dim" }, svg,
     `layer ${t.attention_layers[li]}, head ${t.attention_heads[hi]}: how much position ${row.length - 1} reads each earlier one (brightest = ${max.toFixed(3)})`);
}

function renderTiming(t, k) {
  const W = 1000, H = 240, left = 80, right = 20, top = 16, bottom = 36;
  const svg = svgIn($("timing"), W, H);
  const traces = [t].concat(state.compare ? [state.compare] : []);
  const pos = (s) => s.start_pos + s.n_positions - 1;
  const maxPos = Math.max(...traces.map((x) => pos(x.steps[x.steps.length - 1])));
  const minPos = Math.min(...traces.map((x) => pos(x.steps[0])));
  // Decode steps only: the prefill step of the cached loop does the whole prompt and would flatten the rest.
  const decode = (x) => x.steps.slice(1);
  const maxMs = Math.max(1e-3, ...traces.flatMap((x) => decode(x).map((s) => s.ms)));
  const X = (p) => left + (maxPos > minPos ? (p - minPos) / (maxPos - minPos) : 0.5) * (W - left - right);
  const Y = (ms) => top + (1 - ms / maxMs) * (H - top - bottom);
  el("line", { class: "axis", x1: left, y1: H - bottom, x2: W - right, y2: H - bottom }, svg);
  el("line", { class: "axis", x1: left, y1: top, x2: left, y2: H - bottom }, svg);
  el("text", { x: left - 6, y: top + 10, "text-anchor": "end", class: "dim" }, svg, `${maxMs.toFixed(1)} ms`);
  el("text", { x: left - 6, y: H - bottom, "text-anchor": "end", class: "dim" }, svg, "0");
  el("text", { x: W / 2, y: H - 6, "text-anchor": "middle", class: "dim" }, svg, "position of the new token (decode steps)");
  traces.forEach((x, i) => {
    const pts = decode(x).map((s) => `${X(pos(s)).toFixed(1)},${Y(s.ms).toFixed(1)}`);
    if (pts.length) el("path", { class: x.cache === "none" ? "line-none" : "line-kv", d: "M" + pts.join(" L") }, svg);
    el("text", { x: left + 12, y: top + 14 + 20 * i, class: x.cache === "none" ? "legend-none" : "legend-kv" }, svg, x.cache === "none" ? "naive (no cache)" : "KV cache");
  });
  if (k >= 1) el("circle", { class: "dot-now", cx: X(pos(t.steps[k])), cy: Y(t.steps[k].ms), r: 6 }, svg);
  const s0 = t.steps[0];
  $("timing-note").textContent = `prefill: ${s0.n_positions} positions in ${s0.ms.toFixed(1)} ms` +
    (state.compare ? ` · ${state.compare.cache === "none" ? "naive" : "cached"} trace loaded for comparison` : "");
}

function render() {
  const t = state.trace, k = state.cursor;
  const s = k >= 0 ? t.steps[k] : null;
  $("step-label").textContent = `step ${k + 1} / ${t.steps.length}`;
  $("phase").className = "phase " + (s ? s.phase : "");
  $("phase").textContent = s ? (s.phase === "prefill" ? `prefill: ${s.n_positions} positions at once` : `decode: position ${s.start_pos + s.n_positions - 1}`) : "ready";
  $("play").textContent = state.playing ? "⏸ pause" : "▶ play";
  renderTokens(t, k);
  renderCache(t, k);
  renderCandidates(t, k);
  renderAttention(t, k);
  renderTiming(t, k);
}

// ---- playback -----------------------------------------------------------------------------

function go(k) {
  state.cursor = Math.max(-1, Math.min(state.trace.steps.length - 1, k));
  if (state.cursor === state.trace.steps.length - 1) pause();
  render();
}
function pause() { state.playing = false; clearTimeout(state.timer); }
function tick() {
  if (!state.playing) return;
  go(state.cursor + 1);
  if (state.playing) state.timer = setTimeout(tick, 900 / Number($("speed").value));
}
function togglePlay() {
  if (state.playing) { pause(); render(); return; }
  if (state.cursor === state.trace.steps.length - 1) state.cursor = -1;
  state.playing = true;
  tick();
}

function fillPicker(select, values) {
  select.replaceChildren();
  values.forEach((v, i) => select.appendChild(new Option(String(v), i)));
}

async function main() {
  try {
    state.trace = await load("trace.json", "The trace");
    if (new URLSearchParams(location.search).has("compare")) state.compare = await load("compare.json", "The second trace");
  } catch (e) {
    showError(e instanceof TraceError ? e.message : `The trace could not be shown: ${e.message}`);
    return;
  }
  const t = state.trace, m = t.model;
  $("summary").textContent = `${m.path ?? "model"} · ${m.architecture}, ${m.num_hidden_layers} layers, ` +
    `${m.num_attention_heads} heads (${m.num_key_value_heads} KV) · ${t.cache === "none" ? "naive loop, no cache" : "KV cache"} · ` +
    `${t.prompt.ids.length} prompt tokens, ${t.steps.length} new`;
  fillPicker($("layer"), t.attention_layers);
  fillPicker($("head"), t.attention_heads);
  $("layer").value = String(t.attention_layers.length - 1);
  $("main").hidden = false;
  $("reset").onclick = () => { pause(); go(-1); };
  $("back").onclick = () => { pause(); go(state.cursor - 1); };
  $("step").onclick = () => { pause(); go(state.cursor + 1); };
  $("play").onclick = togglePlay;
  $("layer").onchange = $("head").onchange = render;
  document.addEventListener("keydown", (e) => {
    if (e.key === " ") { e.preventDefault(); togglePlay(); }
    if (e.key === "ArrowRight") $("step").click();
    if (e.key === "ArrowLeft") $("back").click();
  });
  render();
}

main();
