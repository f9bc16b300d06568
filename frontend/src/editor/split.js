// A resizable split of the editor: a handle (role="separator") between two panes, dragged
// with the mouse or moved with the arrow keys when focused (Home/End: as far as it goes,
// double-click: the default). It sizes the pane after the handle, in pixels, through a CSS
// variable of the container (the CSS keeps both panes' minimums even before this runs),
// and keeps the size per browser in localStorage.

const STEP = 16;
const BIG_STEP = 64;

function stored(key) {
  try {
    const value = Number(window.localStorage.getItem(key));
    return Number.isFinite(value) && value > 0 ? value : null;
  } catch {
    return null; // storage refused (private mode, a policy): the default then
  }
}

function store(key, value) {
  try {
    window.localStorage.setItem(key, String(Math.round(value)));
  } catch {
    // Not kept: the size still holds until the page is left.
  }
}

// axis "x": the pane is right of the handle (its width); "y": below it (its height).
// min / otherMin: the pane's and the pane before the handle's minimum, in pixels.
// defaultSize(available): the size before anyone moved the handle.
export function initSplit({ handle, container, variable, storageKey, axis = "x", min, otherMin, defaultSize, label, onResize = () => {} }) {
  const horizontal = axis === "x";
  let size = stored(storageKey);

  // The room the two panes share: the container without the handle and the gaps.
  const available = () => {
    const box = container.getBoundingClientRect();
    const total = horizontal ? box.width : box.height;
    const style = getComputedStyle(container);
    const gap = parseFloat(horizontal ? style.columnGap : style.rowGap) || 0;
    const handleSize = horizontal ? handle.offsetWidth : handle.offsetHeight;
    return total - handleSize - 2 * gap;
  };
  const limits = () => {
    const room = available();
    return { room, low: min, high: Math.max(min, room - otherMin) };
  };
  const clamp = (value) => {
    const { low, high } = limits();
    return Math.min(high, Math.max(low, value));
  };
  const shown = () => handle.offsetParent !== null; // display: none in the stacked layout

  function apply(value, { keep = false } = {}) {
    if (!shown()) return;
    const { room, low, high } = limits();
    const next = clamp(value ?? size ?? defaultSize(room));
    container.style.setProperty(variable, `${Math.round(next)}px`);
    if (value !== undefined && value !== null) size = next;
    if (keep) store(storageKey, next);
    // The separator's value: the share of the pane before it, in percent.
    const share = (pane) => Math.round(((room - pane) / room) * 100);
    handle.setAttribute("aria-valuemin", String(share(high)));
    handle.setAttribute("aria-valuemax", String(share(low)));
    handle.setAttribute("aria-valuenow", String(share(next)));
    handle.setAttribute("aria-valuetext", label(Math.round(next), share(next)));
    onResize();
  }
  const current = () => {
    const value = parseFloat(container.style.getPropertyValue(variable));
    return Number.isFinite(value) ? value : clamp(size ?? defaultSize(available()));
  };

  handle.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    handle.setPointerCapture(event.pointerId);
    handle.classList.add("dragging");
    document.body.classList.add(horizontal ? "resizing-columns" : "resizing-rows");
    const start = horizontal ? event.clientX : event.clientY;
    const from = current();
    const move = (moved) => apply(from - ((horizontal ? moved.clientX : moved.clientY) - start));
    const end = (ended) => {
      handle.releasePointerCapture(ended.pointerId);
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", end);
      handle.removeEventListener("pointercancel", end);
      handle.classList.remove("dragging");
      document.body.classList.remove("resizing-columns", "resizing-rows");
      apply(current(), { keep: true });
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", end);
    handle.addEventListener("pointercancel", end);
  });

  // The arrows move the handle: left/up makes the pane after it bigger.
  const KEYS = horizontal ? { ArrowLeft: 1, ArrowRight: -1 } : { ArrowUp: 1, ArrowDown: -1 };
  handle.addEventListener("keydown", (event) => {
    const { low, high } = limits();
    let next = null;
    if (event.key in KEYS) next = current() + KEYS[event.key] * (event.shiftKey ? BIG_STEP : STEP);
    else if (event.key === "Home") next = high; // the pane before the handle at its smallest
    else if (event.key === "End") next = low;
    if (next === null) return;
    event.preventDefault();
    apply(next, { keep: true });
  });
  handle.addEventListener("dblclick", () => {
    size = null;
    try {
      window.localStorage.removeItem(storageKey);
    } catch {
      // nothing kept
    }
    apply(defaultSize(available()));
    size = null;
  });

  // The window (or what the container holds) changed: the kept size, within the room there is.
  // (On the next frame: resizing inside the observer's callback would loop.)
  new ResizeObserver(() => requestAnimationFrame(() => apply())).observe(container);
  window.addEventListener("resize", () => apply());
  apply();
  return { refresh: () => apply() };
}
