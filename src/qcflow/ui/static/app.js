// qcflow ui: the single-page app. The URL is the state (deep links, docs/ui.md); render()
// draws the view it names. ROOT objects are drawn by JSROOT, loaded from this server only.
"use strict";

const FILTERS = ["RunNumber", "RunType", "PeriodName", "PassName"];
const main = document.getElementById("main");
let info = {};
let jsroot = null;
// Folder counts cost a listing each: asked once per folder and filters in a page's life.
const counts = new Map();

// --- small helpers -----------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function time(ms) {
  const n = Number(ms);
  if (!Number.isFinite(n) || n > 8.64e15) return String(ms);
  return new Date(n).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

function status(text) {
  const box = document.getElementById("status");
  box.textContent = text;
  box.classList.toggle("shown", Boolean(text));
}

function params() { return new URLSearchParams(location.search); }

function filterParams(source = params()) {
  const out = new URLSearchParams();
  const run = source.get("run");
  if (run) { out.set("RunNumber", run); return out; }  // runs mode drops the other filters
  for (const k of FILTERS) if (source.get(k)) out.set(k, source.get(k));
  return out;
}

function keep(extra = {}) {
  // The filters (and runs mode) travel with every link.
  const p = new URLSearchParams();
  const cur = params();
  for (const k of [...FILTERS, "run"]) if (cur.get(k)) p.set(k, cur.get(k));
  for (const [k, v] of Object.entries(extra)) {
    if (v === null || v === undefined || v === "") p.delete(k); else p.set(k, v);
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

function objectUrl(path, extra = {}) { return `/ui/object/${path}${keep(extra)}`; }
function folderUrl(path) { return path ? `/ui/folder/${path}${keep()}` : `/ui/${keep()}`; }

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const token = sessionStorage.getItem("qcflow-token");
  if (token && options.method && options.method !== "GET") headers.Authorization = `Bearer ${token}`;
  const reply = await fetch(`/ui/api/${path}`, { ...options, headers });
  const body = await reply.json().catch(() => ({ error: `HTTP ${reply.status}` }));
  if (!reply.ok) {
    const err = new Error(body.error || `HTTP ${reply.status}`);
    err.status = reply.status;
    throw err;
  }
  return body;
}

function navigate(url, replace = false) {
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
  render();
}

document.addEventListener("click", (event) => {
  const a = event.target.closest("a[href^='/ui']");
  if (!a || a.target || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", () => render());

// --- JSROOT ------------------------------------------------------------------------------

async function loadJsroot() {
  if (!jsroot) {
    jsroot = await import("/ui/static/jsroot/modules/main.mjs");
    jsroot.settings.ApproxTextSize = true;
  }
  return jsroot;
}

function drawOptions(summary, extra = [], ignoreDefaults = false) {
  // QCG: drawOptions and displayHints are ';'-separated; layout options come on top.
  const parts = [];
  if (!ignoreDefaults) {
    for (const key of ["drawOptions", "displayHints"]) {
      for (const o of (summary[key] || "").split(";")) if (o.trim()) parts.push(o.trim());
    }
  }
  for (const o of extra) if (o.trim()) parts.push(o.trim());
  return parts.join(";");
}

function pointRunHandler(summary, runs) {
  // A trend point: its x is a time (s) on a time axis, else a run number.
  return (user) => {
    const graph = user?.obj;
    if (!graph?.fX || user.bin === undefined) return false;
    const x = graph.fX[user.bin];
    let run = runs.find((r) => r.run === Math.round(x));
    if (!run) run = runs.find((r) => r.validFrom <= x * 1000 && x * 1000 < r.validUntil);
    if (!run) return false;
    navigate(trendTarget(summary, run.run));
    return true;
  };
}

function trendSources(summary) {
  // The QCDB paths of the sources a TrendingTask / SliceTrendingTask trend reads, first one first.
  return (summary.metadata?.qcflow_sources || "").split(",").filter(Boolean);
}

function trendTarget(summary, run) {
  // QualityTask trends (.../Trends/details/<check>, .../Trends/global/<a>/<b>) open the quality
  // object of that run; trends naming their sources (qcflow_sources) that run's first source
  // object; other trends (older stores) the detector's monitor objects in runs mode.
  const m = summary.path.match(/^(.*?\/[^/]+)\/MO\/[^/]+\/Trends\/(?:details|global)\/(.+)$/);
  const p = new URLSearchParams({ RunNumber: String(run) });
  if (m) return `/ui/object/${m[1]}/QO/${m[2]}?${p}`;
  const [source] = trendSources(summary);
  if (source) return `/ui/object/${source}?${p}`;
  const det = summary.path.split("/").slice(0, 3).join("/");
  return `/ui/folder/${det}?run=${run}`;
}

async function drawInto(box, summary, { options = [], ignoreDefaults = false, trend = true } = {}) {
  box.replaceChildren();
  const url = `/ui/api/download/${summary.id}`;
  if (summary.kind === "image") {
    box.append(el("img", { class: "object", src: url, alt: summary.path }));
    return;
  }
  if (summary.kind === "json") {
    const text = await (await fetch(url)).text();
    box.append(el("pre", { text }));
    return;
  }
  if (summary.kind === "quality") {
    const full = summary.qualityObject ? summary : await api(`object?${new URLSearchParams({ path: summary.path, id: summary.id })}`);
    box.append(qualityView(full));
    return;
  }
  let lib;
  try { lib = await loadJsroot(); } catch (err) {
    box.append(el("p", { class: "error", text: `JSROOT is not available (run 'make jsroot'): ${err.message}` }));
    return;
  }
  const file = await lib.openFile(url);
  const object = await file.readObject("ccdb_object");
  const div = el("div", { class: "draw" });
  box.append(div);
  if (object._typename === "TTree") {
    await treeView(box, div, object, summary);
    return;
  }
  const painter = await lib.draw(div, object, drawOptions(summary, options, ignoreDefaults));
  div.painter = painter;
  div.dataset.drawn = object._typename;
  if (trend && /^TGraph|^TMultiGraph/.test(object._typename)) {
    // The runs of the objects next to the trended source (else to the trend): a point's run.
    const det = (trendSources(summary)[0] || summary.path).split("/").slice(0, 3).join("/");
    const runs = (await api(`runs?${new URLSearchParams({ path: det, ...Object.fromEntries(filterParams()) })}`)).runs;
    painter.configureUserClickHandler(pointRunHandler(summary, runs));
    box.append(el("p", { class: "muted", text: "Click a point to open that run." }));
  }
}

async function treeView(box, div, tree, summary) {
  const plots = summary.trendPlots || [];
  let varexp = plots[0]?.varexp || "";
  if (!varexp) {
    const names = (tree.fBranches?.arr || []).map((b) => b.fName).filter((n) => n !== "meta" && n !== "time");
    const leaves = tree.fBranches?.arr?.find((b) => b.fName === names[0])?.fLeaves?.arr || [];
    varexp = names.length ? `${names[0]}${leaves.length > 1 ? "." + leaves[0].fName : ""}:meta.runNumber` : "";
  }
  const input = el("input", { name: "varexp", value: varexp, size: 50 });
  const cut = el("input", { name: "selection", value: plots[0]?.selection || "", size: 20, placeholder: "selection" });
  const go = async () => {
    div.replaceChildren();
    const expr = cut.value.trim() ? `${input.value}::${cut.value}` : input.value;
    div.painter = await jsroot.draw(div, tree, expr);
    div.dataset.drawn = "TTree";
  };
  const form = el("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); go(); } },
    el("label", { text: "TTree::Draw " }), input, cut, el("button", { type: "submit", text: "Draw" }));
  if (plots.length > 1) {
    const pick = el("select", { onchange: () => { const p = plots[pick.selectedIndex]; input.value = p.varexp; cut.value = p.selection; go(); } },
      ...plots.map((p) => el("option", { text: p.name })));
    form.append(pick);
  }
  box.insertBefore(form, div);
  if (varexp) await go();
}

function judgedLinks(qo, run, period, pass) {
  // The monitor objects a verdict judged (drawn for that run) and its input tasks (their folder
  // in runs mode).
  const filters = new URLSearchParams();
  if (run && String(run) !== "0") filters.set("RunNumber", String(run));
  if (pass) filters.set("PassName", pass);
  if (period) filters.set("PeriodName", period);
  const runPart = run && String(run) !== "0" ? `?run=${run}` : "";
  return [
    el("p", { text: "Monitor objects:" }),
    el("ul", { class: "inputs" }, ...qo.monitorObjects.map((m) => el("li", {}, el("a", { href: `/ui/object/${m.path}?${filters}`, text: m.name })))),
    el("p", {}, "Input tasks: ", ...qo.inputs.flatMap((i) => [el("a", { href: `/ui/folder/${i.path}${runPart}`, text: i.name }), " "])),
  ];
}

function qualityView(summary) {
  const qo = summary.qualityObject;
  const run = qo.run || summary.run;
  return el("div", { class: "quality" },
    el("p", {}, el("span", { class: "verdict", "data-quality": qo.quality, text: qo.quality }),
      ` ${qo.checkName} (${qo.detector}${qo.policy ? ", " + qo.policy : ""}), run ${run}`),
    qo.flags.length ? el("ul", { class: "flags" }, ...qo.flags.map((f) => el("li", { text: `${f.name}${f.comment ? ": " + f.comment : ""}` }))) : el("p", { class: "muted", text: "no flags" }),
    ...judgedLinks(qo, run, summary.period, summary.pass));
}

// --- the object tree ---------------------------------------------------------------------

async function folderNode(path, name, open) {
  const node = el("div", { class: "tree-node tree-folder", "data-path": path });
  const count = el("span", { class: "count" });
  const toggle = el("button", { type: "button", class: "toggle", "aria-label": `open ${name}`, text: open ? "▾" : "▸" });
  const label = el("span", { class: "label" }, toggle, " ", el("a", { href: folderUrl(path), text: name }), " ", count);
  const children = el("div");
  node.append(label, children);
  toggle.addEventListener("click", async () => {
    const opened = node.classList.toggle("open");
    toggle.textContent = opened ? "▾" : "▸";
    if (opened) await fillFolder(children, path); else children.replaceChildren();
  });
  const query = `count?${new URLSearchParams({ path, ...Object.fromEntries(filterParams()) })}`;
  if (!counts.has(query)) counts.set(query, api(query).then((r) => r.count));
  counts.get(query).then((n) => { count.textContent = `(${n})`; }).catch(() => counts.delete(query));
  if (open) { node.classList.add("open"); await fillFolder(children, path); }
  return node;
}

async function fillFolder(container, path) {
  const p = new URLSearchParams({ path, ...Object.fromEntries(filterParams()) });
  const listing = await api(`tree?${p}`);
  const current = decodeURIComponent(location.pathname.replace(/^\/ui\/(object|folder)\//, ""));
  const nodes = [];
  for (const f of listing.folders) nodes.push(await folderNode(f.path, f.name, current.startsWith(f.path + "/") || current === f.path));
  for (const o of listing.objects) {
    nodes.push(el("div", { class: "tree-node tree-object" },
      el("a", { href: objectUrl(o.path), class: o.path === current ? "current" : null, text: o.path.split("/").pop() })));
  }
  container.replaceChildren(...nodes);
  return listing;
}

async function renderTree() {
  const tree = document.getElementById("tree");
  const q = params().get("q");
  if (q) {
    const found = await api(`search?${new URLSearchParams({ q, ...Object.fromEntries(filterParams()) })}`);
    tree.replaceChildren(el("p", { class: "muted", text: `${found.results.length}${found.truncated ? "+" : ""} match(es) for ${q}` }),
      ...found.results.map((o) => el("div", { class: "tree-object" }, el("a", { href: objectUrl(o.path), text: o.path }))));
    return;
  }
  await fillFolder(tree, "");
}

// --- views -------------------------------------------------------------------------------

async function folderView(path) {
  const run = params().get("run");
  main.replaceChildren(el("h2", { text: path || "QCDB" }), el("p", { class: "muted", text: info.qcdb }));
  if (!path) return;
  const listing = await api(`tree?${new URLSearchParams({ path, ...Object.fromEntries(filterParams()) })}`);
  if (!run) {
    main.append(el("ul", {}, ...listing.folders.map((f) => el("li", {}, el("a", { href: folderUrl(f.path), text: f.name + "/" }))),
      ...listing.objects.map((o) => el("li", {}, el("a", { href: objectUrl(o.path), text: o.path.split("/").pop() }), ` run ${o.run}`))));
    return;
  }
  // Runs mode: every object of the folder (and its subfolders' newest) drawn for that run.
  const found = await api(`search?${new URLSearchParams({ q: `${path}/.*`, RunNumber: run })}`);
  const grid = el("div", { class: "grid", style: "grid-template-columns: repeat(3, 1fr)" });
  main.append(el("p", { text: `${found.results.length} object(s) of run ${run}` }), grid);
  for (const o of found.results.slice(0, 60)) {
    const box = el("div");
    grid.append(el("div", { class: "cell" }, el("h4", {}, el("a", { href: objectUrl(o.path), text: o.path.slice(path.length + 1) })), box));
    drawInto(box, o, { trend: false }).catch((err) => box.append(el("p", { class: "error", text: err.message })));
  }
}

async function objectView(path) {
  const p = params();
  const query = new URLSearchParams({ path, ...Object.fromEntries(filterParams()) });
  if (p.get("at")) query.set("at", p.get("at"));
  if (p.get("id")) query.set("id", p.get("id"));
  main.replaceChildren(el("h2", { text: path }));
  let summary;
  try { summary = await api(`object?${query}`); } catch (err) {
    main.append(el("p", { class: "error", id: "not-found", text: `Not Found: ${err.message}` }));
    return;
  }
  const drawing = el("div", { id: "drawing" });
  const compareId = p.get("compare");
  if (compareId) {
    const other = await api(`object?${new URLSearchParams({ path, id: compareId })}`);
    const left = el("div"), right = el("div");
    main.append(el("div", { class: "side-by-side", id: "compare" },
      el("div", {}, el("h4", { text: `run ${summary.run}, created ${time(summary.created)}` }), left),
      el("div", {}, el("h4", { text: `run ${other.run}, created ${time(other.created)}` }), right)));
    await Promise.all([drawInto(left, summary, { trend: false }), drawInto(right, other, { trend: false })]);
  } else {
    main.append(drawing);
    await drawInto(drawing, summary);
  }
  const sources = trendSources(summary);
  if (sources.length) {
    const links = sources.map((s, i) => el("li", {}, el("a", { href: `/ui/object/${s}${keep()}`, text: s }),
      i === 0 && sources.length > 1 ? " (a clicked point opens this one)" : ""));
    main.append(el("div", { class: "section" }, el("h3", { text: "Trended sources" }), el("ul", { id: "sources" }, ...links)));
  }
  main.append(await layoutAdder(summary), metadataTable(summary), await versionsTable(path, summary));
}

function metadataTable(summary) {
  const rows = [["path", summary.path], ["id", summary.id], ["valid from", time(summary.validFrom)],
    ["valid until", time(summary.validUntil)], ["created", time(summary.created)],
    ["size", `${summary.size} bytes`], ["content type", summary.contentType],
    ...Object.entries(summary.metadata)];
  return el("div", { class: "section" }, el("h3", { text: "Metadata" }),
    el("table", { id: "metadata" }, ...rows.map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: v })))));
}

async function versionsTable(path, summary) {
  // Every run's version (the other filters apply): the shown run is compared with the others.
  const filters = filterParams();
  filters.delete("RunNumber");
  const all = await api(`versions?${new URLSearchParams({ path, ...Object.fromEntries(filters) })}`);
  const picked = new Set();
  const compare = el("button", { type: "button", disabled: true, text: "Compare the two picked",
    onclick: () => { const [a, b] = [...picked]; navigate(objectUrl(path, { id: a, compare: b, at: null })); } });
  const rows = all.versions.map((v) => el("tr", { "data-id": v.id, class: v.id === summary.id ? "current" : null },
    el("td", {}, el("input", { type: "checkbox", onchange: (e) => {
      if (e.target.checked) picked.add(v.id); else picked.delete(v.id);
      compare.disabled = picked.size !== 2;
    } })),
    el("td", {}, el("a", { href: objectUrl(path, { id: v.id, at: null, compare: null }), class: "version", text: v.id === summary.id ? "shown" : "draw" })),
    el("td", { text: v.run }), el("td", { text: v.pass }), el("td", { text: v.period }),
    el("td", { text: time(v.validFrom) }), el("td", { text: time(v.validUntil) }), el("td", { text: time(v.created) })));
  return el("div", { class: "section" }, el("h3", { text: `Versions (${all.versions.length}${all.truncated ? "+" : ""})` }),
    el("div", { class: "toolbar" }, compare),
    el("table", { id: "versions" }, el("tr", {}, ...["", "", "run", "pass", "period", "valid from", "valid until", "created"].map((h) => el("th", { text: h }))), ...rows));
}

// --- quality matrix ----------------------------------------------------------------------

async function matrixView() {
  const p = params();
  const period = p.get("period") || p.get("PeriodName") || "";
  const pass = p.get("pass") || p.get("PassName") || "";
  const form = el("form", { class: "toolbar", onsubmit: (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    navigate(`/ui/matrix?${new URLSearchParams({ period: f.get("period"), pass: f.get("pass") })}`);
  } }, el("input", { name: "period", value: period, placeholder: "period" }),
  el("input", { name: "pass", value: pass, placeholder: "pass" }), el("button", { type: "submit", text: "Show" }));
  main.replaceChildren(el("h2", { text: "Quality matrix" }), form);
  if (!period || !pass) return;
  const m = await api(`matrix?${new URLSearchParams({ period, pass })}`);
  const cells = new Map(m.cells.map((c) => [`${c.run}/${c.detector}`, c]));
  const detail = el("div", { id: "cell-detail", class: "section" });
  const head = el("tr", {}, el("th", { text: "run" }), ...m.detectors.map((d) => el("th", { text: d })));
  const runs = m.runs.map((r) => r.run);
  if (m.cells.some((c) => c.run === 0)) runs.push(0);
  const rows = runs.map((run) => el("tr", { "data-run": run },
    el("th", {}, run ? el("a", { href: `/ui/folder/${m.provenance}?run=${run}`, text: String(run) }) : "period"),
    ...m.detectors.map((d) => {
      const c = cells.get(`${run}/${d}`);
      if (!c) return el("td", { class: "none", text: m.checked.includes(d) ? "–" : "no check" });
      return el("td", { "data-quality": c.quality, "data-detector": d, text: c.quality, onclick: () => showCell(detail, c, m) });
    })));
  main.append(el("table", { id: "matrix" }, head, ...rows), detail);
}

async function showCell(detail, cell, m) {
  // The matrix lists verdicts only: a cell's quality objects (flags, what they judged) are
  // read when it is opened.
  const params = (run) => new URLSearchParams({ ...(run ? { RunNumber: String(run) } : {}), PeriodName: m.period, PassName: m.pass });
  const heading = el("h3", { text: `${cell.detector}, run ${cell.run || "period"}: ${cell.quality}` });
  detail.replaceChildren(heading, el("p", { class: "muted", text: "loading…" }));
  const read = await Promise.all(cell.objects.map((o) => api(`object?${new URLSearchParams({ path: o.path, id: o.id })}`)));
  detail.replaceChildren(heading,
    ...cell.objects.map((o, i) => {
      const qo = read[i].qualityObject;
      return el("div", { class: "qo" },
        el("p", {}, el("span", { class: "verdict", "data-quality": o.quality, text: o.quality }), " ",
          el("a", { href: `/ui/object/${o.path}?${params(cell.run)}`, text: o.name }),
          qo.flags.length ? ` — ${qo.flags.map((f) => f.name + (f.comment ? ": " + f.comment : "")).join("; ")}` : ""),
        ...judgedLinks(qo, cell.run, m.period, m.pass));
    }));
}

// --- layouts -----------------------------------------------------------------------------

async function withToken(action) {
  try { return await action(); } catch (err) {
    if (err.status !== 401 && err.status !== 403) throw err;
    if (!info.writable) throw err;
    const token = prompt("Write token for layouts:");
    if (!token) throw err;
    sessionStorage.setItem("qcflow-token", token);
    return await action();
  }
}

async function saveLayout(layout) {
  return withToken(() => api("layouts", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(layout) }));
}

async function layoutAdder(summary) {
  const list = await api("layouts");
  if (!info.writable) return el("span");
  const select = el("select", {}, el("option", { value: "", text: "new layout…" }), ...list.layouts.map((l) => el("option", { value: l.key, text: l.name })));
  const add = el("button", { type: "button", id: "add-to-layout", text: "Add to layout", onclick: async () => {
    let layout;
    if (select.value) layout = (await api(`layouts/${encodeURIComponent(select.value)}`)).layout;
    else {
      const name = prompt("Name of the new layout (3-40 characters):");
      if (!name) return;
      layout = { name, tabs: [{ name: "Main", columns: 2, objects: [] }] };
    }
    const tab = layout.tabs[0];
    tab.objects.push({ name: summary.path, x: tab.objects.length % tab.columns, y: Math.floor(tab.objects.length / tab.columns), w: 1, h: 1, options: [], ignoreDefaults: false });
    try { const saved = await saveLayout(layout); status(`saved in ${saved.layout.name}`); } catch (err) { status(err.message); }
  } });
  return el("div", { class: "toolbar" }, select, add);
}

async function layoutsView() {
  const list = await api("layouts");
  const errors = el("p", { class: "error", id: "import-errors" });
  const text = el("textarea", { id: "import-json", rows: 10, placeholder: "Paste a layout's JSON (QCG's skeleton)" });
  const importButton = el("button", { type: "button", id: "import", text: "Import", disabled: !info.writable, onclick: async () => {
    errors.textContent = "";
    let doc;
    try { doc = JSON.parse(text.value); } catch (err) { errors.textContent = `not JSON: ${err.message}`; return; }
    try { const saved = await saveLayout(doc); navigate(`/ui/layout/${encodeURIComponent(saved.key)}`); } catch (err) { errors.textContent = err.message; }
  } });
  main.replaceChildren(el("h2", { text: "Layouts" }),
    el("p", { class: "muted", text: `Stored as versioned JSON under ${list.folder}/ in the QCDB.${info.writable ? "" : " This UI is read-only."}` }),
    list.layouts.length ? el("ul", { id: "layout-list" }, ...list.layouts.map((l) => el("li", {}, el("a", { href: `/ui/layout/${encodeURIComponent(l.key)}${keep()}`, text: l.name }), ` (${time(l.created)})`)))
      : el("p", { class: "muted", id: "layout-list", text: "No layouts yet: add objects from their page, or import one." }),
    el("h3", { text: "Import" }), errors, text, importButton);
}

async function layoutView(key) {
  let stored;
  try { stored = await api(`layouts/${encodeURIComponent(key)}${params().get("version") ? "?id=" + params().get("version") : ""}`); } catch (err) {
    main.replaceChildren(el("p", { class: "error", id: "not-found", text: `Not Found: ${err.message}` }));
    return;
  }
  const layout = stored.layout;
  const tabIndex = Math.min(Number(params().get("tab") || 0), layout.tabs.length - 1);
  const tab = layout.tabs[tabIndex];
  const exported = el("textarea", { id: "export-json", rows: 12, hidden: true, readonly: true });
  const editor = el("textarea", { id: "edit-json", rows: 16, hidden: true });
  const errors = el("p", { class: "error" });
  const toolbar = el("div", { class: "toolbar" },
    el("button", { type: "button", id: "export", text: "Export JSON", onclick: () => { exported.value = JSON.stringify(layout, null, 2); exported.hidden = false; } }),
    el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(layout, null, 2)], { type: "application/json" })), download: `${key}.json`, text: "download", target: "_blank" }),
    info.writable ? el("button", { type: "button", id: "edit", text: "Edit JSON", onclick: () => { editor.value = JSON.stringify(layout, null, 2); editor.hidden = false; save.hidden = false; } }) : null,
    info.writable ? el("button", { type: "button", id: "delete", text: "Delete", onclick: async () => {
      try { await withToken(() => api(`layouts/${encodeURIComponent(key)}`, { method: "DELETE" })); navigate("/ui/layouts"); } catch (err) { errors.textContent = err.message; }
    } }) : null,
    el("span", { class: "muted", text: `${stored.versions.length} version(s)` }));
  const save = el("button", { type: "button", id: "save", hidden: true, text: "Save", onclick: async () => {
    try { const doc = JSON.parse(editor.value); const saved = await saveLayout(doc); navigate(`/ui/layout/${encodeURIComponent(saved.key)}`); } catch (err) { errors.textContent = err.message; }
  } });
  const tabs = el("div", { class: "tabs toolbar" }, ...layout.tabs.map((t, i) => el("a", { href: `/ui/layout/${encodeURIComponent(key)}${keep({ tab: i })}`, class: i === tabIndex ? "active" : null },
    el("button", { type: "button", class: i === tabIndex ? "active" : null, text: t.name }))));
  const grid = el("div", { class: "grid", id: "layout-grid", style: `grid-template-columns: repeat(${tab.columns}, 1fr)` });
  main.replaceChildren(el("h2", { text: layout.name }), toolbar, errors, exported, editor, save, tabs, grid);
  for (const o of tab.objects) {
    const box = el("div");
    grid.append(el("div", { class: "cell", style: `grid-column: span ${Math.max(1, o.w || 1)}` }, el("h4", {}, el("a", { href: objectUrl(o.name), text: o.name })), box));
    api(`object?${new URLSearchParams({ path: o.name, ...Object.fromEntries(filterParams()) })}`)
      .then((s) => drawInto(box, s, { options: o.options, ignoreDefaults: o.ignoreDefaults, trend: false }))
      .catch((err) => box.append(el("p", { class: "muted", text: `Not Found (${err.message})` })));
  }
  if (layout.autoTabChange > 0 && layout.tabs.length > 1) {
    const next = (tabIndex + 1) % layout.tabs.length;
    const here = location.href;
    setTimeout(() => { if (location.href === here) navigate(`/ui/layout/${encodeURIComponent(key)}${keep({ tab: next })}`, true); }, layout.autoTabChange * 1000);
  }
}

// --- header: filters and runs mode ---------------------------------------------------------

function syncHeader() {
  const p = params();
  const form = document.getElementById("filters");
  for (const k of FILTERS) form.elements[k].value = p.get(k) || "";
  const run = p.get("run");
  document.getElementById("run-banner").hidden = !run;
  if (run) {
    document.getElementById("run-label").textContent = `Run #${run}`;
    document.getElementById("run-state").textContent = "ENDED";
  }
}

document.getElementById("filters").addEventListener("submit", (e) => {
  e.preventDefault();
  const p = params();
  for (const k of FILTERS) { const v = e.target.elements[k].value.trim(); if (v) p.set(k, v); else p.delete(k); }
  p.delete("run"); p.delete("at"); p.delete("id");
  navigate(`${location.pathname}${p.toString() ? "?" + p : ""}`);
});
document.getElementById("clear-filters").addEventListener("click", () => navigate(location.pathname));
document.getElementById("runs-mode").addEventListener("click", () => {
  const run = prompt("Run number:", params().get("RunNumber") || "");
  if (!run || !/^\d+$/.test(run.trim())) return;
  navigate(`${location.pathname}?run=${run.trim()}`);  // runs mode drops the other filters
});
document.getElementById("run-exit").addEventListener("click", () => navigate(location.pathname));
document.getElementById("search").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = e.target.elements.q.value.trim();
  navigate(q ? `/ui/search${keep({ q })}` : `/ui/${keep()}`);
});

// --- the router --------------------------------------------------------------------------

async function render() {
  syncHeader();
  const path = decodeURIComponent(location.pathname);
  document.getElementById("search").elements.q.value = params().get("q") || "";
  const views = [
    [/^\/ui\/object\/(.+)$/, (m) => objectView(m[1])],
    [/^\/ui\/folder\/(.+?)\/?$/, (m) => folderView(m[1])],
    [/^\/ui\/matrix\/?$/, () => matrixView()],
    [/^\/ui\/layouts\/?$/, () => layoutsView()],
    [/^\/ui\/layout\/(.+)$/, (m) => layoutView(m[1])],
    [/^\/ui\/(search)?$/, () => folderView("")],
  ];
  document.body.dataset.ready = "";
  try {
    await renderTree();
    for (const [re, view] of views) {
      const m = path.match(re);
      if (m) { await view(m); break; }
    }
  } catch (err) {
    main.replaceChildren(el("p", { class: "error", text: err.message }));
  }
  document.body.dataset.ready = "1";
}

info = await api("info");
render();
