// The annotator's shapes and their history, in image pixels; no page here, only numbers.
// A shape is what the API saves: {type: "rect", label, x, y, w, h} or
// {type: "polygon", label, points: [[x, y], ...]}, with `attributes` kept as loaded.
// Every shape stays inside the image (the API refuses one outside it).
"use strict";

const shapeModel = (() => {
  const round = (value) => Math.round(value * 100) / 100;
  const clamp = (value, low, high) => Math.min(Math.max(value, low), high);
  const copy = (value) => JSON.parse(JSON.stringify(value));
  const MIN_SIZE = 1; // pixels: the API wants a positive width and height

  function bounds(shape) {
    if (shape.type === "rect") {
      return { left: shape.x, top: shape.y, right: shape.x + shape.w, bottom: shape.y + shape.h };
    }
    const xs = shape.points.map((point) => point[0]);
    const ys = shape.points.map((point) => point[1]);
    return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
  }

  const inside = (point, size) => [round(clamp(point[0], 0, size.w)), round(clamp(point[1], 0, size.h))];

  // The rectangle with corners a and b (either order), or null when it has no area.
  function rectBetween(a, b, size, base) {
    const [x1, y1] = inside(a, size);
    const [x2, y2] = inside(b, size);
    const w = round(Math.abs(x2 - x1));
    const h = round(Math.abs(y2 - y1));
    if (w < MIN_SIZE || h < MIN_SIZE) return null;
    return { ...base, type: "rect", x: Math.min(x1, x2), y: Math.min(y1, y2), w, h };
  }

  // The shape moved by (dx, dy), stopped at the image's edges.
  function moved(shape, dx, dy, size) {
    const box = bounds(shape);
    const x = clamp(dx, -box.left, size.w - box.right);
    const y = clamp(dy, -box.top, size.h - box.bottom);
    if (shape.type === "rect") return { ...shape, x: round(shape.x + x), y: round(shape.y + y) };
    return { ...shape, points: shape.points.map((p) => [round(p[0] + x), round(p[1] + y)]) };
  }

  // Corners of a rectangle, clockwise from the top left: the resize handles.
  function corners(shape) {
    const { left, top, right, bottom } = bounds(shape);
    return [[left, top], [right, top], [right, bottom], [left, bottom]];
  }

  // A handle dragged to `point`: a rectangle's corner (the opposite one stays) or a
  // polygon's vertex. Null when the rectangle would have no area.
  function reshaped(shape, handle, point, size) {
    if (shape.type === "rect") {
      const opposite = corners(shape)[(handle + 2) % 4];
      return rectBetween(opposite, point, size, shape);
    }
    const points = shape.points.map((p, i) => (i === handle ? inside(point, size) : p));
    return { ...shape, points };
  }

  // A rectangle grown (or shrunk) by dw, dh from its top-left corner, kept inside.
  function grown(shape, dw, dh, size) {
    if (shape.type !== "rect") return shape;
    const w = round(clamp(shape.w + dw, MIN_SIZE, size.w - shape.x));
    const h = round(clamp(shape.h + dh, MIN_SIZE, size.h - shape.y));
    return { ...shape, w, h };
  }

  // The polygon a list of clicked points makes: points closer than `near` to the one
  // before are one point (a double click lands twice). Null below three points.
  function polygonFrom(points, near, base) {
    const kept = [];
    for (const point of points) {
      const last = kept[kept.length - 1];
      if (!last || Math.hypot(point[0] - last[0], point[1] - last[1]) >= near) kept.push(point);
    }
    if (kept.length < 3) return null;
    return { ...base, type: "polygon", points: kept.map((p) => [round(p[0]), round(p[1])]) };
  }

  // What is on the image, with undo and redo. A change is a function from the current
  // list to the next; a drag changes the list as it goes (`preview`) and is one step
  // of history when it ends (`settle`). "Dirty" compares with what was last saved, so
  // undoing back to it is clean again.
  function history() {
    let list = [];
    let past = [];
    let future = [];
    let saved = "[]";
    const text = (value) => JSON.stringify(value);
    return {
      get list() {
        return list;
      },
      reset(loaded) {
        list = copy(loaded);
        past = [];
        future = [];
        saved = text(list);
      },
      change(update) {
        const next = update(copy(list));
        if (text(next) === text(list)) return false;
        past.push(list);
        future = [];
        list = next;
        return true;
      },
      preview(next) {
        list = next;
      },
      settle(before) {
        if (text(before) === text(list)) return false;
        past.push(before);
        future = [];
        return true;
      },
      snapshot: () => copy(list),
      undo() {
        if (!past.length) return false;
        future.push(list);
        list = past.pop();
        return true;
      },
      redo() {
        if (!future.length) return false;
        past.push(list);
        list = future.pop();
        return true;
      },
      canUndo: () => past.length > 0,
      canRedo: () => future.length > 0,
      dirty: () => text(list) !== saved,
      markSaved(savedList) {
        saved = text(savedList);
      },
      // Back to what was last saved, as if nothing had happened since.
      discard() {
        list = JSON.parse(saved);
        past = [];
        future = [];
      },
    };
  }

  return { bounds, inside, rectBetween, moved, corners, reshaped, grown, polygonFrom, history, round };
})();
