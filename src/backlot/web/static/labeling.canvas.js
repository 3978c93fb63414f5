// The annotator's drawing surface: the image and its shapes in one SVG whose viewBox is
// the image's pixels, so every coordinate stays in image pixels whatever the zoom.
// The mouse draws (drag a rectangle; click polygon points, double-click closes), moves
// and reshapes (the selected shape's handles); the keyboard draws too, with a crosshair
// moved by the arrows (Space sets a rectangle's corners or adds a polygon point, Enter
// closes the polygon). `editor` (labeling.annotator.js) holds the shapes and decides.
"use strict";

function createCanvas(stage, editor) {
  const NS = "http://www.w3.org/2000/svg";
  const ZOOM_STEP = 1.25;
  const ZOOM_MIN = 0.02;
  const ZOOM_MAX = 32;
  const HANDLE = 10; // screen pixels, whatever the zoom
  const NEAR = 6; // screen pixels: a click this close to a polygon's first point closes it

  function node(name, attributes = {}) {
    const element = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    return element;
  }

  const svg = node("svg", { "aria-hidden": "true", focusable: "false" });
  const backdrop = node("rect", { class: "backdrop", x: 0, y: 0 });
  const picture = node("image", { x: 0, y: 0, preserveAspectRatio: "none" });
  const layers = {
    shapes: node("g"),
    draft: node("g", { class: "draft" }),
    handles: node("g"),
    cursor: node("g", { class: "crosshair" }),
  };
  svg.append(backdrop, picture, layers.shapes, layers.draft, layers.handles, layers.cursor);
  stage.replaceChildren(svg);

  let zoom = 1;
  let fitted = true; // the view fits the image until zoomed by hand: it fits again on resize
  let drag = null; // {kind: "draw" | "move" | "handle", ...} while the mouse button is down
  let draft = null; // {kind: "polygon", points} or {kind: "corner", point}: a shape being made
  let pointer = null; // where the mouse last was over the image (the polygon's next edge)
  let keyboard = false; // the crosshair shows once the keyboard moves it
  const cursor = [0, 0];

  const size = () => editor.size;
  const drawing = () => editor.tool === "rect" || editor.tool === "polygon";

  function toImage(event) {
    const box = svg.getBoundingClientRect();
    return shapeModel.inside([(event.clientX - box.left) / zoom, (event.clientY - box.top) / zoom], size());
  }

  // --- drawing ------------------------------------------------------------------

  function render() {
    const { w, h } = size();
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("width", String(w * zoom));
    svg.setAttribute("height", String(h * zoom));
    for (const element of [backdrop, picture]) {
      element.setAttribute("width", String(w));
      element.setAttribute("height", String(h));
    }
    layers.shapes.replaceChildren(...editor.history.list.map(drawShape));
    drawHandles();
    drawDraft();
    drawCursor();
  }

  function outline(shape, attributes) {
    if (shape.type === "rect") {
      return node("rect", { x: shape.x, y: shape.y, width: shape.w, height: shape.h, ...attributes });
    }
    return node("polygon", { points: shape.points.map((p) => p.join(",")).join(" "), ...attributes });
  }

  function drawShape(shape, index) {
    const color = editor.colorOf(shape.label);
    const selected = index === editor.selected;
    return outline(shape, {
      class: selected ? "shape selected" : "shape",
      fill: color,
      "fill-opacity": selected ? 0.32 : 0.18,
      stroke: color,
      "stroke-width": selected ? 3 : 2,
      "vector-effect": "non-scaling-stroke",
      "data-index": index,
    });
  }

  function drawHandles() {
    const shape = editor.history.list[editor.selected];
    if (!shape || editor.tool !== "select") return layers.handles.replaceChildren();
    const side = HANDLE / zoom;
    const points = shape.type === "rect" ? shapeModel.corners(shape) : shape.points;
    layers.handles.replaceChildren(
      ...points.map(([x, y], index) =>
        node("rect", {
          class: "handle",
          x: x - side / 2,
          y: y - side / 2,
          width: side,
          height: side,
          stroke: editor.colorOf(shape.label),
          "vector-effect": "non-scaling-stroke",
          "data-handle": index,
        }),
      ),
    );
  }

  function dot([x, y], first = false) {
    return node("circle", { cx: x, cy: y, r: (first ? 6 : 4) / zoom, class: first ? "first" : "" });
  }

  function drawDraft() {
    const parts = [];
    const color = editor.colorOf(editor.label);
    const line = { stroke: color, "vector-effect": "non-scaling-stroke", "stroke-width": 2 };
    if (drag && drag.kind === "draw") {
      const shape = shapeModel.rectBetween(drag.from, drag.to, size(), {});
      if (shape) parts.push(outline(shape, { ...line, fill: color, "fill-opacity": 0.12 }));
    } else if (draft && draft.kind === "polygon") {
      const tip = keyboard ? cursor : pointer;
      const points = tip ? [...draft.points, tip] : draft.points;
      parts.push(node("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", ...line }));
      parts.push(...draft.points.map((point, i) => dot(point, i === 0)));
    } else if (draft && draft.kind === "corner") {
      const shape = shapeModel.rectBetween(draft.point, cursor, size(), {});
      if (shape) parts.push(outline(shape, { ...line, fill: color, "fill-opacity": 0.12 }));
      parts.push(dot(draft.point, true));
    }
    layers.draft.replaceChildren(...parts);
  }

  function drawCursor() {
    if (!keyboard || !drawing() || document.activeElement !== stage) return layers.cursor.replaceChildren();
    const { w, h } = size();
    const [x, y] = cursor;
    const hair = { "vector-effect": "non-scaling-stroke" };
    layers.cursor.replaceChildren(
      node("line", { x1: x, y1: 0, x2: x, y2: h, ...hair }),
      node("line", { x1: 0, y1: y, x2: w, y2: y, ...hair }),
      node("circle", { cx: x, cy: y, r: 5 / zoom, ...hair }),
    );
  }

  // --- shapes being made ----------------------------------------------------------

  function addPoint(point) {
    if (!draft || draft.kind !== "polygon") draft = { kind: "polygon", points: [] };
    const first = draft.points[0];
    if (draft.points.length >= 3 && Math.hypot(point[0] - first[0], point[1] - first[1]) < NEAR / zoom) {
      return closePolygon();
    }
    draft.points.push(point);
    drawDraft();
    return true;
  }

  function closePolygon() {
    if (!draft || draft.kind !== "polygon") return false;
    const shape = shapeModel.polygonFrom(draft.points, NEAR / zoom, { label: editor.label });
    if (!shape) {
      editor.tell("annotator.polygonShort");
      return true;
    }
    draft = null;
    editor.add(shape);
    return true;
  }

  function setCorner() {
    if (!draft || draft.kind !== "corner") {
      draft = { kind: "corner", point: [...cursor] };
      drawDraft();
      return;
    }
    const shape = shapeModel.rectBetween(draft.point, cursor, size(), { label: editor.label });
    if (!shape) return editor.tell("annotator.rectSmall");
    draft = null;
    editor.add(shape);
  }

  // Escape: the shape being made goes (a drag goes back to where it began).
  function cancel() {
    if (!draft && !drag) return false;
    if (drag && drag.before) editor.history.preview(drag.before);
    draft = null;
    drag = null;
    render();
    return true;
  }

  // --- the mouse ----------------------------------------------------------------

  stage.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !editor.active()) return;
    stage.focus({ preventScroll: true });
    keyboard = false;
    const point = toImage(event);
    if (drawing()) {
      if (!editor.canDraw()) return editor.tell("annotator.noLabels");
      if (editor.tool === "polygon") return addPoint(point);
      drag = { kind: "draw", from: point, to: point };
    } else {
      const target = event.target.dataset || {};
      const before = editor.history.snapshot();
      if (target.handle !== undefined) {
        drag = { kind: "handle", handle: Number(target.handle), index: editor.selected, before };
      } else if (target.index !== undefined) {
        editor.select(Number(target.index));
        drag = { kind: "move", from: point, index: editor.selected, before };
      } else {
        return editor.select(-1);
      }
    }
    stage.setPointerCapture(event.pointerId);
    event.preventDefault();
  });

  stage.addEventListener("pointermove", (event) => {
    if (!editor.active()) return;
    const point = toImage(event);
    pointer = point;
    if (keyboard && !drag) {
      keyboard = false;
      drawCursor();
    }
    if (!drag) {
      if (draft && draft.kind === "polygon") drawDraft();
      return;
    }
    if (drag.kind === "draw") {
      drag.to = point;
      return drawDraft();
    }
    const list = [...drag.before];
    const start = drag.before[drag.index];
    if (drag.kind === "move") {
      list[drag.index] = shapeModel.moved(start, point[0] - drag.from[0], point[1] - drag.from[1], size());
    } else {
      list[drag.index] = shapeModel.reshaped(start, drag.handle, point, size()) || start;
    }
    editor.history.preview(list);
    render();
  });

  function finish() {
    if (!drag) return;
    const done = drag;
    drag = null;
    if (done.kind !== "draw") {
      if (editor.history.settle(done.before)) editor.changed("moved");
      return;
    }
    const far = Math.hypot(done.to[0] - done.from[0], done.to[1] - done.from[1]) * zoom >= NEAR;
    const shape = far && shapeModel.rectBetween(done.from, done.to, size(), { label: editor.label });
    if (shape) editor.add(shape);
    else drawDraft();
  }
  stage.addEventListener("pointerup", finish);
  stage.addEventListener("pointercancel", () => cancel());
  stage.addEventListener("dblclick", (event) => {
    if (draft && draft.kind === "polygon") {
      event.preventDefault();
      closePolygon();
    }
  });
  stage.addEventListener("wheel", (event) => {
    if (!editor.active()) return;
    event.preventDefault();
    setZoom(zoom * (event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP), event);
  }, { passive: false });
  stage.addEventListener("focus", drawCursor);
  stage.addEventListener("blur", drawCursor);

  // --- the keyboard (on the drawing area, with a drawing tool) --------------------

  const STEPS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  // True when the key was the canvas's to handle.
  function key(event) {
    if (!drawing()) return false;
    if (event.key in STEPS) {
      const { w, h } = size();
      const step = Math.max(1, Math.round(Math.min(w, h) / 100)) * (event.shiftKey ? 10 : 1);
      const [dx, dy] = STEPS[event.key];
      const moved = shapeModel.inside([cursor[0] + dx * step, cursor[1] + dy * step], size());
      cursor[0] = moved[0];
      cursor[1] = moved[1];
      keyboard = true;
      reveal();
      drawDraft();
      drawCursor();
      return true;
    }
    if (event.key !== " " && event.key !== "Enter") return false;
    if (!editor.canDraw()) {
      editor.tell("annotator.noLabels");
      return true;
    }
    keyboard = true;
    if (editor.tool === "rect") setCorner();
    else if (event.key === "Enter" && draft && draft.kind === "polygon" && draft.points.length >= 3) closePolygon();
    else addPoint([...cursor]);
    drawCursor();
    return true;
  }

  // Keeps the crosshair in view while it moves.
  function reveal() {
    const x = cursor[0] * zoom;
    const y = cursor[1] * zoom;
    const margin = 24;
    if (x < stage.scrollLeft + margin) stage.scrollLeft = x - margin;
    if (x > stage.scrollLeft + stage.clientWidth - margin) stage.scrollLeft = x - stage.clientWidth + margin;
    if (y < stage.scrollTop + margin) stage.scrollTop = y - margin;
    if (y > stage.scrollTop + stage.clientHeight - margin) stage.scrollTop = y - stage.clientHeight + margin;
  }

  // --- zoom ---------------------------------------------------------------------

  // The image point under `anchor` (a mouse event; else the middle of the view) stays put.
  function setZoom(next, anchor = null) {
    const chosen = Math.min(Math.max(next, ZOOM_MIN), ZOOM_MAX);
    const box = stage.getBoundingClientRect();
    const ax = anchor ? anchor.clientX - box.left : stage.clientWidth / 2;
    const ay = anchor ? anchor.clientY - box.top : stage.clientHeight / 2;
    const ix = (stage.scrollLeft + ax) / zoom;
    const iy = (stage.scrollTop + ay) / zoom;
    zoom = chosen;
    fitted = false;
    render();
    stage.scrollLeft = ix * zoom - ax;
    stage.scrollTop = iy * zoom - ay;
    editor.zoomed(zoom);
  }

  function fit() {
    const { w, h } = size();
    const room = Math.min(stage.clientWidth / w, stage.clientHeight / h);
    zoom = Math.min(Math.max(room > 0 ? room : 1, ZOOM_MIN), ZOOM_MAX);
    fitted = true;
    render();
    stage.scrollLeft = 0;
    stage.scrollTop = 0;
    editor.zoomed(zoom);
  }

  new ResizeObserver(() => fitted && stage.clientWidth && fit()).observe(stage);

  return {
    render,
    fit,
    cancel,
    key,
    zoomIn: () => setZoom(zoom * ZOOM_STEP),
    zoomOut: () => setZoom(zoom / ZOOM_STEP),
    drafting: () => draft !== null || drag !== null,
    setImage(url) {
      if (url) picture.setAttribute("href", url);
      else picture.removeAttribute("href");
    },
    // A new file: nothing being made, the crosshair in the middle.
    reset() {
      draft = null;
      drag = null;
      pointer = null;
      keyboard = false;
      cursor[0] = Math.round(size().w / 2);
      cursor[1] = Math.round(size().h / 2);
    },
  };
}
