// The drawing pad shared by both pages (the served one, page.js, and the static one, static.js):
// drawing with mouse or touch, rasterising the drawing as MNIST digits are (rasterise), and the
// helpers that draw arrays on small canvases. Shortly after each change of the drawing the
// page's own answer is asked for and shown (analyse).

"use strict";

const SIDE = 28; // the image the model sees: 28×28
const BOX = 20; // MNIST fits each digit's ink into a 20×20 box ...
const CENTRE = SIDE / 2; // ... and puts its centre of mass at the image's centre
const PEN_WIDTH = 22; // on the 280-pixel pad: about 2 pixels of 28 on a digit as tall as the pad
const DEBOUNCE_MS = 120;
const MAX_MAPS = 16; // channels drawn per layer, as `chainrule viz features`
const STRIP_WIDTH = 280; // pixels of a vector layer's strip (one cell per unit)

const pad = document.getElementById("pad");
const pen = pad.getContext("2d", { willReadFrequently: true }); // rasterise reads it back

// What the page last drew, sent and received. `version` counts changes to the drawing;
// `answeredVersion` is the version the shown answer belongs to (tests wait for them to meet).
const state = {
  version: 0,
  answeredVersion: 0,
  label: null, // the label of the backward pass (served page); null: the prediction
  lastImage: null, // the 784 pixels last analysed
  lastAnswer: null,
};
window.digitPage = state;

// Set by each page: answerFor(image) gives (a promise of) the answer to a drawing, or
// {error: sentence}; render(answer) shows it; clearResults() empties what render drew.
const page = { answerFor: null, render: null, clearResults: null };

let timer = null;
let drawing = false;
let last = null;

// ---- drawing ---------------------------------------------------------------------------------

function clearPad() {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, pad.width, pad.height);
}

function padPoint(event) {
  const box = pad.getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) * pad.width) / box.width,
    y: ((event.clientY - box.top) * pad.height) / box.height,
  };
}

function strokeTo(point) {
  pen.strokeStyle = "#fff";
  pen.lineWidth = PEN_WIDTH;
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.beginPath();
  pen.moveTo(last.x, last.y);
  pen.lineTo(point.x, point.y);
  pen.stroke();
  last = point;
  changed();
}

pad.addEventListener("pointerdown", (event) => {
  pad.setPointerCapture(event.pointerId);
  drawing = true;
  last = padPoint(event);
  strokeTo(last);
});
pad.addEventListener("pointermove", (event) => {
  if (drawing) strokeTo(padPoint(event));
});
for (const end of ["pointerup", "pointercancel"]) {
  pad.addEventListener(end, () => {
    drawing = false;
  });
}
document.getElementById("clear").addEventListener("click", () => {
  clearPad();
  changed();
});

function changed() {
  state.version += 1;
  clearTimeout(timer);
  timer = setTimeout(analyse, DEBOUNCE_MS);
}

// ---- rasterising as MNIST ----------------------------------------------------------------------

// The drawing as MNIST digits look: ink in [0, 1], scaled so its bounding box fits 20×20 (aspect
// kept), placed with its centre of mass at (14, 14) of 28×28. Each pad pixel adds its ink × its
// area in the small image to the pixel it falls in (a box filter: anti-aliased edges).
// Returns 784 numbers, row by row, or null for an empty pad.
function rasterise() {
  const { width, height } = pad;
  const rgba = pen.getImageData(0, 0, width, height).data;
  let left = width, right = -1, top = height, bottom = -1;
  let mass = 0, sumX = 0, sumY = 0;
  const ink = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = rgba[4 * (y * width + x)] / 255;
      if (value === 0) continue;
      ink[y * width + x] = value;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
      mass += value;
      sumX += value * (x + 0.5);
      sumY += value * (y + 0.5);
    }
  }
  if (mass === 0) return null;
  const scale = BOX / Math.max(right - left + 1, bottom - top + 1);
  const centreX = sumX / mass, centreY = sumY / mass;
  const image = new Array(SIDE * SIDE).fill(0);
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const value = ink[y * width + x];
      if (value === 0) continue;
      const u = Math.floor((x + 0.5 - centreX) * scale + CENTRE);
      const v = Math.floor((y + 0.5 - centreY) * scale + CENTRE);
      if (u >= 0 && u < SIDE && v >= 0 && v < SIDE) image[v * SIDE + u] += value * scale * scale;
    }
  }
  return image.map((value) => Math.min(value, 1));
}

// ---- analysing the drawing -------------------------------------------------------------------

async function analyse() {
  const version = state.version;
  const image = rasterise();
  if (image === null) {
    showMessage("The canvas is empty: draw a digit.");
    page.clearResults();
    state.lastImage = null;
    state.lastAnswer = null;
    state.answeredVersion = version;
    return;
  }
  state.lastImage = image;
  const answer = await page.answerFor(image);
  if (version < state.answeredVersion) return; // a later drawing was answered already
  state.answeredVersion = version;
  state.lastAnswer = answer;
  if (answer.error) {
    showMessage(answer.error);
    return;
  }
  showMessage("");
  page.render(answer);
}

function showMessage(text) {
  document.getElementById("message").textContent = text;
}

// ---- drawing arrays ------------------------------------------------------------------------

// (C, H, W) with H·W > 1: up to MAX_MAPS small canvases; anything else: one strip of cells.
function drawArray(array, colour) {
  const { shape, values } = array;
  if (shape.length === 3 && shape[1] * shape[2] > 1) {
    const [channels, height, width] = shape;
    const size = height * width;
    return Array.from({ length: Math.min(channels, MAX_MAPS) }, (_, c) => {
      const canvas = element("canvas", "map");
      paint(canvas, values.subarray(c * size, (c + 1) * size), width, height, colour);
      return canvas;
    });
  }
  const canvas = element("canvas", "strip");
  paint(canvas, values, values.length, 1, colour);
  canvas.style.width = `${Math.min(STRIP_WIDTH, 10 * values.length)}px`;
  return [canvas];
}

function paint(canvas, values, width, height, colour) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(width, height);
  values.forEach((value, i) => {
    pixels.data.set([...colour(value), 255], 4 * i);
  });
  context.putImageData(pixels, 0, 0);
}

function extent(values) {
  let low = Infinity, high = -Infinity;
  for (const value of values) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  return [low, high];
}

function greyScale(low, high) {
  const range = high > low ? high - low : 1;
  return (value) => {
    const grey = Math.round((255 * (value - low)) / range);
    return [grey, grey, grey];
  };
}

// Blue below 0, red above, white at 0; the largest |value| is full colour.
function signedScale(values) {
  const [low, high] = extent(values);
  const largest = Math.max(Math.abs(low), Math.abs(high)) || 1;
  return (value) => {
    const t = value / largest;
    const fade = Math.round(255 * (1 - Math.abs(t)));
    return t >= 0 ? [255, fade, fade] : [fade, fade, 255];
  };
}

function element(tag, className = "", text = "", children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  node.append(...children);
  return node;
}
