// The annotator: one file, locked to you, its latest saved shapes loaded, edited in the
// panel (labeling.panel.js), and saved with the lock's fencing token. Next file releases
// this lock and takes the next free file in one step; Close releases it. Neither saves:
// with unsaved changes they ask first. The keys work anywhere in the annotator, never
// while typing. The grid (labeling.js) lends it the locks through `annotator.connect`.
"use strict";

const annotator = (() => {
  const { root, stage, dialog, view, editor, canvas, $$, say, select } = annotatorPanel;
  const { drawAll, drawVersion, setTool, pickLabel, removeShape, nudge, undo, redo } = annotatorPanel;
  const { ARROWS, BLANK } = annotatorPanel;
  const t = (key, vars) => i18n.t(key, vars);
  let host = null;
  let busy = false; // saving, opening or switching: one at a time

  // --- the keyboard -------------------------------------------------------------

  // Shortcuts never fire while typing: text fields and lists of choices keep their keys.
  const CHOICES = ["radio", "checkbox", "button", "submit", "reset", "range", "color", "file"];
  function typing(target) {
    if (!target || target === document.body) return false;
    if (target.isContentEditable || ["TEXTAREA", "SELECT"].includes(target.tagName)) return true;
    return target.tagName === "INPUT" && !CHOICES.includes(target.type);
  }

  // True when the key was ours.
  function shortcut(event) {
    const key = event.key;
    const ctrl = event.ctrlKey || event.metaKey;
    const entry = event.target.closest && event.target.closest(".shape-item");
    const onStage = event.target === stage;
    const index = entry ? Number(entry.closest("li").dataset.index) : editor.selected;
    const onShape = index >= 0 && (entry || (onStage && editor.tool === "select"));
    if (ctrl && !event.altKey) {
      const letter = key.toLowerCase();
      if (letter === "z") event.shiftKey ? redo() : undo();
      else if (letter === "y") redo();
      else if (letter === "s") save();
      else if (key in ARROWS && onShape) nudge(index, event, true);
      else return false;
      return true;
    }
    if (event.altKey || event.metaKey) return false;
    if (key in ARROWS) {
      if (onShape) nudge(index, event, false);
      else if (onStage) return canvas.key(event);
      else return false;
      return true;
    }
    if (key === "Escape") {
      if (canvas.cancel()) return true;
      if (editor.selected < 0) return false;
      select(-1);
      return true;
    }
    if ((key === " " || key === "Enter") && onStage) return canvas.key(event);
    if ((key === "Delete" || key === "Backspace") && editor.selected >= 0) {
      removeShape(entry ? index : editor.selected, Boolean(entry));
      return true;
    }
    const letter = key.length === 1 ? key.toLowerCase() : "";
    const tools = { v: "select", r: "rect", p: "polygon" };
    if (letter in tools) setTool(tools[letter]);
    else if (letter === "s") save();
    else if (letter === "n") next();
    else if (key === "+" || key === "=") canvas.zoomIn();
    else if (key === "-" || key === "_") canvas.zoomOut();
    else if (key === "0") canvas.fit();
    else if (/^[1-9]$/.test(key) && editor.labels[Number(key) - 1]) pickLabel(editor.labels[Number(key) - 1].name);
    else return false;
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (!view.open || dialog.open || event.defaultPrevented) return;
    const inside = event.target === document.body || root.contains(event.target);
    if (!inside || typing(event.target)) return;
    if (shortcut(event)) event.preventDefault();
  });

  // --- the file: open, save, next, close -----------------------------------------

  async function load(file, lock) {
    view.open = true;
    view.file = file;
    view.token = lock.token;
    view.version = 0;
    view.note = null;
    view.moved = null;
    editor.selected = -1;
    editor.history.reset([]);
    say(() => t("annotator.loading", { file: file.name }), "info");
    const base = `/v1/labeling/projects/${view.project}`;
    const [labels, latest, image] = await Promise.all([
      api("GET", `${base}/labels`),
      api("GET", `${base}/annotations/${encodeURIComponent(file.name)}`).catch((error) => {
        if (error.problem && error.problem.code === "no_annotation") return null;
        throw error;
      }),
      file.content_url ? host.image(file.content_url) : null,
    ]);
    editor.labels = labels.labels;
    if (!editor.labels.some((label) => label.name === editor.label)) {
      editor.label = editor.labels.length ? editor.labels[0].name : null;
    }
    editor.size = await sizeOf(file, image);
    if (!editor.labels.length) {
      const admin = host.isAdmin();
      view.note = { key: admin ? "annotator.noLabelsAdmin" : "annotator.noLabels", editLabels: admin };
    }
    else if (!image) view.note = { key: "annotator.noImage", vars: editor.size };
    editor.history.reset(latest ? latest.shapes : []);
    view.version = latest ? latest.version : 0;
    canvas.setImage(image);
    canvas.reset();
    drawAll();
    drawMoved();
    canvas.fit();
    say(null);
  }

  // The size the API checks shapes against (read from the image's header at upload),
  // else the picture's own, else a blank area.
  async function sizeOf(file, image) {
    if (file.width && file.height) return { w: file.width, h: file.height };
    if (image) {
      const picture = new Image();
      picture.src = image;
      try {
        await picture.decode();
        if (picture.naturalWidth) return { w: picture.naturalWidth, h: picture.naturalHeight };
      } catch {
        // a type the browser cannot show: drawn on a blank area of the same use
      }
    }
    return { ...BLANK };
  }

  // Opens a file whose lock the grid has just taken (`lock.token` is what saves send).
  async function open(project, file, lock) {
    view.project = project;
    root.hidden = false;
    document.querySelector("main").dataset.view = "annotator";
    busy = true;
    try {
      await load(file, lock);
    } catch (error) {
      say(() => t("annotator.openFailed", { file: file.name, problem: i18n.problem(error) }), "error");
    } finally {
      busy = false;
    }
    stage.focus();
  }

  async function save() {
    if (busy || !view.open) return false;
    busy = true;
    const shapes = editor.history.snapshot();
    say(() => t("annotator.saving"), "info");
    try {
      const path = `/v1/labeling/projects/${view.project}/annotations/${encodeURIComponent(view.file.name)}`;
      const saved = await api("PUT", path, { token: view.token, shapes });
      view.version = saved.version;
      view.moved = null; // saved over theirs: nothing left to choose
      drawMoved();
      editor.history.markSaved(shapes);
      host.saved(view.file.name, saved.version);
      const version = i18n.number(saved.version);
      say(() => t("annotator.saved", { version }), "success");
      return true;
    } catch (error) {
      say(() => refusal(error), "error");
      const problem = error.problem || {};
      if (Number.isInteger(problem.index)) select(problem.index);
      return false;
    } finally {
      busy = false;
      drawVersion();
    }
  }

  // A refused save in a sentence: what happened, that nothing was saved, what to do.
  function refusal(error) {
    const problem = error.problem || {};
    const key = `annotator.refused.${problem.code}`;
    if (problem.code && i18n.has(key)) {
      return t(key, { n: (problem.index ?? 0) + 1, label: problem.label ?? "" });
    }
    return t("annotator.refused.other", { problem: i18n.problem(error) });
  }

  async function next() {
    if (busy || !view.open) return;
    if (editor.history.dirty()) return ask("next");
    busy = true;
    try {
      const taken = await host.takeNext(view.file.name);
      if (!taken) return say(() => t("annotator.noneFree"), "info");
      await load(taken.file, taken.lock);
      stage.focus();
    } catch (error) {
      say(() => i18n.problem(error), "error");
    } finally {
      busy = false;
    }
  }

  // Resolves true once the annotator is closed and the lock released; false when the
  // person chose to keep editing (or something else is under way).
  async function close() {
    if (busy || !view.open) return !view.open;
    if (editor.history.dirty()) return ask("close");
    const name = view.file.name;
    dismiss();
    const released = host.release(name); // the grid forgets the lock at once
    host.closed(name);
    await released;
    return true;
  }

  // After the lock ended (it ran out, or an admin released it): the file locked again
  // with a new token, the shapes kept. When someone saved it meanwhile, the person
  // chooses: their version loaded, or hers kept to be saved over it as a new version.
  async function relock() {
    if (busy || !view.open) return;
    busy = true;
    const name = view.file.name;
    try {
      const lock = await host.relock(name);
      view.token = lock.token;
      const path = `/v1/labeling/projects/${view.project}/annotations/${encodeURIComponent(name)}`;
      const latest = await api("GET", path).catch((error) => {
        if (error.problem && error.problem.code === "no_annotation") return null;
        throw error;
      });
      const version = latest ? latest.version : 0;
      if (version > view.version) {
        view.moved = { version, shapes: latest.shapes, author: (latest.author && latest.author.name) || "" };
        say(null);
      } else say(() => t("annotator.relocked"), "success");
    } catch (error) {
      const problem = error.problem || {};
      if (problem.code === "lock_held") say(() => t("annotator.relockHeld", { name: problem.locked_by }), "error");
      else say(() => i18n.problem(error), "error");
    } finally {
      busy = false;
    }
    drawAll();
    drawMoved();
    if (view.moved) $$("#moved-theirs").focus();
    else if (document.activeElement === document.body || $$("#relock").hidden) stage.focus();
  }

  // Someone saved the file while the lock was away: theirs loaded, or hers kept (still
  // unsaved: saving makes it the newest version).
  function drawMoved() {
    const box = $$("#annotator-moved");
    box.hidden = !view.moved;
    if (!view.moved) return;
    const { version, author } = view.moved;
    $$("#moved-text").textContent = t("annotator.moved", { version: i18n.number(version), name: author });
  }

  function resolveMoved(theirs) {
    const moved = view.moved;
    if (!moved) return;
    view.moved = null;
    view.version = moved.version;
    if (theirs) {
      editor.selected = -1;
      editor.history.reset(moved.shapes);
      say(() => t("annotator.loadedTheirs", { version: i18n.number(moved.version) }), "info");
    } else {
      editor.history.markSaved(moved.shapes); // unsaved against theirs until saved
      say(() => t("annotator.keptMine"), "info");
    }
    drawAll();
    drawMoved();
    stage.focus();
  }

  // Leaves the annotator without a word to the server (signed out): the lock lapses by
  // itself.
  function dismiss() {
    view.open = false;
    view.moved = null;
    canvas.cancel();
    if (dialog.open) dialog.close();
    root.hidden = true;
    delete document.querySelector("main").dataset.view;
  }

  // --- unsaved changes: ask ---------------------------------------------------------

  let pending = null;
  let answered = null; // resolves the question's promise: true when the annotator closed
  function ask(action) {
    pending = action;
    drawAsk();
    dialog.showModal();
    return new Promise((resolve) => (answered = resolve));
  }

  const lockEnded = () => !$$("#relock").hidden;

  function drawAsk() {
    if (!pending) return;
    const ended = lockEnded();
    const key = ended ? `annotator.unsaved.${pending}Ended` : `annotator.unsaved.${pending}`;
    $$("#unsaved-text").textContent = t(key, { file: view.file.name });
    dialog.querySelector("button[value=relock]").hidden = !ended;
    dialog.querySelector("button[value=save]").hidden = ended;
  }

  for (const button of dialog.querySelectorAll("button")) {
    button.addEventListener("click", () => dialog.close(button.value));
  }
  dialog.addEventListener("close", async () => {
    const action = pending;
    const resolve = answered || (() => {});
    pending = null;
    answered = null;
    const choice = dialog.returnValue;
    dialog.returnValue = "";
    if (!view.open || !action || choice === "stay" || !choice) {
      stage.focus();
      return resolve(!view.open);
    }
    if (choice === "relock") {
      await relock();
      return resolve(false);
    }
    if (choice === "save" && !(await save())) {
      stage.focus();
      return resolve(false);
    }
    if (choice === "discard") editor.history.discard();
    if (action === "next") {
      await next();
      return resolve(false);
    }
    return resolve(await close());
  });

  // --- the buttons that go: save, next, close ---------------------------------------

  $$("#save").addEventListener("click", save);
  $$("#next").addEventListener("click", next);
  $$("#close").addEventListener("click", close);
  $$("#relock").addEventListener("click", relock);
  $$("#moved-theirs").addEventListener("click", () => resolveMoved(true));
  $$("#moved-mine").addEventListener("click", () => resolveMoved(false));
  $$("#edit-labels").addEventListener("click", async () => {
    if (await close()) host.editLabels();
  });

  window.addEventListener("beforeunload", (event) => {
    if (view.open && editor.history.dirty()) event.preventDefault();
  });
  i18n.onChange(() => {
    drawAsk();
    if (view.open) drawMoved();
  });

  return {
    // `grid`: lockOf(name), isMine(lock), image(url) -> object URL,
    // takeNext(current) -> {file, lock} | null, release(name), relock(name) -> lock,
    // saved(name, version), closed(name), say(text, tone), isAdmin(), editLabels().
    connect(grid) {
      host = grid;
      annotatorPanel.setHost(grid);
    },
    open,
    close,
    dismiss,
    isOpen: () => view.open,
    file: () => (view.open ? view.file.name : null),
    lockChanged: annotatorPanel.drawLock,
  };
})();
