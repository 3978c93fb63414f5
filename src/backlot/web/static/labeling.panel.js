// The annotator's panel: its markup, the shapes drawn on the image (labeling.canvas.js)
// and listed beside it for the keyboard and screen readers, the labels, the tools, undo
// and redo, zoom, and what it says about the file's lock and version. What opens, saves
// and leaves a file, and the keys, are labeling.annotator.js's.
"use strict";

const annotatorPanel = (() => {
  const root = document.getElementById("annotator");
  const GREY = "#6b7280"; // a label no longer in the set
  const BLANK = { w: 1000, h: 750 }; // a file registered by name, with no image
  const t = (key, vars) => i18n.t(key, vars);
  let host = null; // the grid (labeling.js): the locks, the status line

  const view = { open: false, project: null, file: null, token: null, version: 0, note: null, moved: null };

  root.innerHTML = `
    <div class="annotator-head">
      <h2 id="annotator-title" tabindex="-1"></h2>
      <span id="annotator-lock" class="pill"></span>
      <span id="annotator-version" class="pill"></span>
    </div>
    <div id="annotator-note" class="notice" hidden>
      <p id="annotator-note-text"></p>
      <button type="button" id="edit-labels" class="secondary" data-text="annotator.editLabels" hidden></button>
    </div>
    <div id="annotator-moved" class="notice" hidden>
      <p id="moved-text"></p>
      <div class="bar">
        <button type="button" id="moved-theirs" data-text="annotator.moved.theirs"></button>
        <button type="button" id="moved-mine" class="secondary" data-text="annotator.moved.mine"></button>
      </div>
    </div>
    <div class="annotator-tools">
      <div role="group" data-text-aria-label="annotator.tools">
        <button type="button" data-tool="select" aria-keyshortcuts="V"><span data-text="annotator.select"></span> <kbd>V</kbd></button>
        <button type="button" data-tool="rect" aria-keyshortcuts="R"><span data-text="annotator.rect"></span> <kbd>R</kbd></button>
        <button type="button" data-tool="polygon" aria-keyshortcuts="P"><span data-text="annotator.polygon"></span> <kbd>P</kbd></button>
      </div>
      <div role="group" data-text-aria-label="annotator.history">
        <button type="button" id="undo" aria-keyshortcuts="Control+Z" data-text="annotator.undo"></button>
        <button type="button" id="redo" aria-keyshortcuts="Control+Shift+Z Control+Y" data-text="annotator.redo"></button>
      </div>
      <div role="group" data-text-aria-label="annotator.zoom">
        <button type="button" id="zoom-out" aria-keyshortcuts="-" data-text="annotator.zoomOut"></button>
        <output id="zoom-level" aria-live="off"></output>
        <button type="button" id="zoom-in" aria-keyshortcuts="+" data-text="annotator.zoomIn"></button>
        <button type="button" id="zoom-fit" aria-keyshortcuts="0" data-text="annotator.fit"></button>
      </div>
      <div role="group" data-text-aria-label="annotator.file">
        <button type="button" id="save" aria-keyshortcuts="S"><span data-text="annotator.save"></span> <kbd>S</kbd></button>
        <button type="button" id="next" aria-keyshortcuts="N"><span data-text="annotator.next"></span> <kbd>N</kbd></button>
        <button type="button" id="relock" data-text="annotator.relock" hidden></button>
        <button type="button" id="close" class="secondary" data-text="annotator.close"></button>
      </div>
    </div>
    <fieldset id="annotator-labels">
      <legend data-text="annotator.labels"></legend>
      <div class="choices"></div>
    </fieldset>
    <div class="annotator-body">
      <div id="stage" tabindex="0" role="application" aria-describedby="annotator-keys"></div>
      <div class="annotator-side">
        <h3 id="shapes-title"></h3>
        <p id="no-shapes" class="help" data-text="annotator.noShapes"></p>
        <ol id="shape-list" aria-labelledby="shapes-title"></ol>
        <label id="selected-shape" hidden><span data-text="annotator.shapeLabel"></span>
          <select id="shape-label"></select></label>
        <h3 id="keys-title" data-text="annotator.keys"></h3>
        <ul id="annotator-keys" class="keys" aria-labelledby="keys-title">
          ${["tools", "mouse", "keyboard", "shape", "history", "zoom", "file"]
            .map((key) => `<li data-text="annotator.key.${key}"></li>`)
            .join("")}
        </ul>
      </div>
    </div>
    <p id="annotator-live" class="visually-hidden" aria-live="polite"></p>
    <dialog id="unsaved" aria-labelledby="unsaved-title" aria-describedby="unsaved-text">
      <h2 id="unsaved-title" data-text="annotator.unsaved.title"></h2>
      <p id="unsaved-text"></p>
      <div class="bar">
        <button type="button" value="save" data-text="annotator.unsaved.save"></button>
        <button type="button" value="relock" data-text="annotator.relock" hidden></button>
        <button type="button" value="discard" class="danger" data-text="annotator.unsaved.discard"></button>
        <button type="button" value="stay" class="secondary" data-text="annotator.unsaved.stay" autofocus></button>
      </div>
    </dialog>`;
  const $$ = (selector) => root.querySelector(selector);
  const stage = $$("#stage");
  const dialog = $$("#unsaved");

  // What the canvas reads and calls back.
  const editor = {
    history: shapeModel.history(),
    size: BLANK,
    tool: "select",
    selected: -1,
    labels: [],
    label: null,
    active: () => view.open && !dialog.open,
    colorOf: (name) => (editor.labels.find((label) => label.name === name) || { color: GREY }).color,
    canDraw: () => editor.label !== null,
    select,
    add(shape) {
      editor.history.change((list) => [...list, shape]);
      editor.selected = editor.history.list.length - 1;
      changed();
      announce(t("annotator.added", { shape: describe(editor.selected) }));
    },
    changed: () => changed(),
    tell: (key) => say(() => t(key), "error"),
    zoomed(zoom) {
      $$("#zoom-level").textContent = t("annotator.zoomLevel", { percent: i18n.number(Math.round(zoom * 100)) });
    },
  };
  const canvas = createCanvas(stage, editor);

  const say = (text, tone) => host && host.say(text, tone);
  const announce = (text) => {
    $$("#annotator-live").textContent = text;
  };

  // --- what is shown ------------------------------------------------------------

  function describe(index) {
    const shape = editor.history.list[index];
    const known = editor.labels.some((label) => label.name === shape.label);
    const label = known ? shape.label : t("annotator.notInSet", { label: shape.label });
    if (shape.type === "rect") return t("annotator.shape.rect", { n: index + 1, label });
    return t("annotator.shape.polygon", { n: index + 1, label, points: shape.points.length });
  }

  function select(index) {
    editor.selected = index < editor.history.list.length ? index : -1;
    canvas.render();
    drawList();
  }

  function changed() {
    if (editor.selected >= editor.history.list.length) editor.selected = -1;
    canvas.render();
    drawList();
    drawButtons();
    drawVersion();
  }

  // The list is rebuilt, and the focus put back on the entry that had it.
  function drawList() {
    const list = editor.history.list;
    const focused = document.activeElement && document.activeElement.closest("#shape-list li");
    const focusedIndex = focused ? Number(focused.dataset.index) : null;
    const focusedDelete = focused && document.activeElement.classList.contains("shape-delete");
    const items = list.map((shape, index) => {
      const item = document.createElement("li");
      item.dataset.index = String(index);
      const entry = document.createElement("button");
      entry.type = "button";
      entry.className = "shape-item";
      if (index === editor.selected) entry.setAttribute("aria-current", "true");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = editor.colorOf(shape.label);
      const name = document.createElement("span");
      name.textContent = describe(index);
      entry.append(swatch, name);
      entry.addEventListener("focus", () => editor.selected !== index && select(index));
      entry.addEventListener("click", () => select(index));
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "shape-delete secondary";
      const word = document.createElement("span");
      word.textContent = t("annotator.delete");
      const whose = document.createElement("span");
      whose.className = "visually-hidden";
      whose.textContent = ` ${describe(index)}`;
      remove.append(word, whose);
      remove.addEventListener("click", () => removeShape(index, true));
      item.append(entry, remove);
      return item;
    });
    $$("#shape-list").replaceChildren(...items);
    $$("#shapes-title").textContent = t("annotator.shapes", { count: i18n.number(list.length) });
    $$("#no-shapes").hidden = list.length > 0;
    if (focusedIndex !== null && items[focusedIndex]) {
      items[focusedIndex].querySelector(focusedDelete ? ".shape-delete" : ".shape-item").focus();
    }
    drawSelected();
  }

  function drawSelected() {
    const shape = editor.history.list[editor.selected];
    $$("#selected-shape").hidden = !shape;
    if (!shape) return;
    const choices = editor.labels.map((label) => new Option(label.name, label.name));
    if (!editor.labels.some((label) => label.name === shape.label)) {
      choices.unshift(new Option(t("annotator.notInSet", { label: shape.label }), shape.label));
    }
    $$("#shape-label").replaceChildren(...choices);
    $$("#shape-label").value = shape.label;
  }

  function drawLabels() {
    const choices = editor.labels.map((label, index) => {
      const choice = document.createElement("label");
      choice.className = "choice";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "annotator-label";
      input.value = label.name;
      input.checked = label.name === editor.label;
      input.addEventListener("change", () => pickLabel(label.name));
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = label.color;
      const name = document.createElement("span");
      name.textContent = label.name;
      choice.append(input, swatch, name);
      if (index < 9) {
        const key = document.createElement("kbd");
        key.textContent = String(index + 1);
        choice.append(key);
      }
      return choice;
    });
    $$("#annotator-labels .choices").replaceChildren(...choices);
    $$("#annotator-labels").hidden = choices.length === 0;
  }

  function drawButtons() {
    for (const button of root.querySelectorAll("[data-tool]")) {
      button.setAttribute("aria-pressed", String(button.dataset.tool === editor.tool));
    }
    $$("#undo").disabled = !editor.history.canUndo();
    $$("#redo").disabled = !editor.history.canRedo();
    stage.classList.toggle("drawing", editor.tool !== "select");
  }

  function drawVersion() {
    let text = t("annotator.version.none");
    if (editor.history.dirty()) text = t("annotator.version.unsaved");
    else if (view.version) text = t("annotator.version.saved", { version: i18n.number(view.version) });
    $$("#annotator-version").textContent = text;
    $$("#annotator-version").classList.toggle("unsaved", editor.history.dirty());
  }

  // The lock as the grid knows it, live: the time left (renewed before it runs out), or
  // that it has ended, or who holds the file now.
  const RENEWING_MS = 3000;
  function drawLock() {
    if (!view.open) return;
    const lock = host.lockOf(view.file.name);
    const ours = Boolean(lock) && host.isMine(lock) && lock.token === view.token;
    const left = ours ? lock.deadline - Date.now() : 0;
    let text = t("annotator.lock.mine", { seconds: i18n.number(Math.ceil(left / 1000)) });
    if (!ours && lock) text = t("annotator.lock.taken", { name: lock.user });
    else if (left <= 0) text = t("annotator.lock.ended");
    else if (left <= RENEWING_MS) text = t("annotator.lock.renewing");
    const pill = $$("#annotator-lock");
    pill.textContent = text;
    pill.classList.toggle("lost", left <= 0);
    const relock = $$("#relock");
    const ended = left <= 0;
    if (relock.hidden === ended) {
      if (!ended && document.activeElement === relock) stage.focus(); // it is going away
      relock.hidden = !ended;
    }
  }

  function drawNote() {
    const note = $$("#annotator-note");
    note.hidden = !view.note;
    if (view.note) $$("#annotator-note-text").textContent = t(view.note.key, view.note.vars);
    $$("#edit-labels").hidden = !(view.note && view.note.editLabels);
  }

  function drawAll() {
    i18n.apply(root);
    stage.setAttribute("aria-label", t("annotator.stage", { file: view.file.name }));
    $$("#annotator-title").textContent = view.file.name;
    canvas.render();
    drawLabels();
    drawList();
    drawButtons();
    drawVersion();
    drawLock();
    drawNote();
    editor.zoomed(currentZoom());
  }

  const currentZoom = () => Number(stage.querySelector("svg").getAttribute("width")) / editor.size.w || 1;

  // --- changing the shapes ------------------------------------------------------

  function setTool(tool) {
    if (tool !== editor.tool) canvas.cancel();
    editor.tool = tool;
    drawButtons();
    canvas.render();
  }

  function pickLabel(name) {
    editor.label = name;
    for (const input of root.querySelectorAll("input[name=annotator-label]")) input.checked = input.value === name;
  }

  function relabel(name) {
    const index = editor.selected;
    editor.history.change((list) => {
      list[index] = { ...list[index], label: name };
      return list;
    });
    changed();
  }

  function removeShape(index, fromList = false) {
    const name = describe(index);
    editor.history.change((list) => list.filter((_, i) => i !== index));
    const left = editor.history.list.length;
    editor.selected = fromList && left ? Math.min(index, left - 1) : -1;
    changed();
    announce(t("annotator.deleted", { shape: name }));
    if (fromList) (left ? $$(`#shape-list li[data-index="${editor.selected}"] .shape-item`) : stage).focus();
  }

  // Arrow keys on the selected shape: a pixel (Shift: 10); with Ctrl a rectangle's size.
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  function nudge(index, event, resize) {
    const [dx, dy] = ARROWS[event.key].map((step) => step * (event.shiftKey ? 10 : 1));
    editor.history.change((list) => {
      list[index] = resize
        ? shapeModel.grown(list[index], dx, dy, editor.size)
        : shapeModel.moved(list[index], dx, dy, editor.size);
      return list;
    });
    editor.selected = index;
    changed();
    const box = shapeModel.bounds(editor.history.list[index]);
    const at = { x: box.left, y: box.top, w: shapeModel.round(box.right - box.left), h: shapeModel.round(box.bottom - box.top) };
    announce(t("annotator.at", { shape: describe(index), ...at }));
  }

  function undo() {
    if (!editor.history.undo()) return;
    changed();
    announce(t("annotator.undone"));
  }

  function redo() {
    if (!editor.history.redo()) return;
    changed();
    announce(t("annotator.redone"));
  }

  // --- the buttons that edit -------------------------------------------------------

  for (const button of root.querySelectorAll("[data-tool]")) {
    button.addEventListener("click", () => setTool(button.dataset.tool));
  }
  $$("#undo").addEventListener("click", undo);
  $$("#redo").addEventListener("click", redo);
  $$("#zoom-in").addEventListener("click", () => canvas.zoomIn());
  $$("#zoom-out").addEventListener("click", () => canvas.zoomOut());
  $$("#zoom-fit").addEventListener("click", () => canvas.fit());
  $$("#shape-label").addEventListener("change", (event) => relabel(event.target.value));
  i18n.onChange(() => view.open && drawAll());

  return {
    root,
    stage,
    dialog,
    view,
    editor,
    canvas,
    $$,
    say,
    select,
    drawAll,
    drawVersion,
    drawLock,
    setTool,
    pickLabel,
    removeShape,
    nudge,
    undo,
    redo,
    ARROWS,
    BLANK,
    setHost(grid) {
      host = grid;
    },
  };
})();
