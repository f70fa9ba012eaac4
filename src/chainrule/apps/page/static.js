// The page `chainrule export RUN --web DIR` writes: the drawing (pad.js) goes through the
// exported ONNX model in the browser, with ONNX Runtime Web, and the prediction and every
// exported layer's output are drawn. No server: model.js and onnxruntime.js carry the model and
// the runtime's WebAssembly as base64 text, so the page works from a file:// address.
// model.js defines RUN (the run's description, its normalisation, the layers exported) and
// MODEL_BASE64; onnxruntime.js defines ORT_WASM_BASE64 and ORT_MJS (the runtime's loader).

"use strict";

let session = null;

function base64Bytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function startRuntime() {
  ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which file:// lacks
  ort.env.wasm.wasmBinary = base64Bytes(ORT_WASM_BASE64);
  const loader = new Blob([ORT_MJS], { type: "text/javascript" });
  ort.env.wasm.wasmPaths = { mjs: URL.createObjectURL(loader) };
  session = await ort.InferenceSession.create(base64Bytes(MODEL_BASE64));
}

// The run's normalisation, (pixel − μ)/σ, then the model; the answer holds the class scores
// and each exported layer's output.
async function runModel(image) {
  const input = Float32Array.from(image, (pixel) => (pixel - RUN.mean) / RUN.std);
  const feeds = { input: new ort.Tensor("float32", input, [1, 1, SIDE, SIDE]) };
  try {
    const outputs = await session.run(feeds);
    const layers = RUN.layers.map((name) => [name, outputs[name]]);
    return { scores: outputs.output.data, layers: [...layers, [RUN.output_layer, outputs.output]] };
  } catch (error) {
    return { error: `The model failed on this drawing (${error.message}).` };
  }
}

// p(c) ∝ exp(−L(x, c)) as on the served page: the softmax of the logits for cross-entropy; for
// LeNet-5's RBF penalties y (the MAP loss), the softmax of −y.
function probabilities(scores) {
  const sign = RUN.loss === "MAP loss" ? -1 : 1;
  const signed = Array.from(scores, (score) => sign * score);
  const top = Math.max(...signed);
  const weights = signed.map((score) => Math.exp(score - top));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((weight) => weight / total);
}

function render(answer) {
  const p = probabilities(answer.scores);
  const ranked = p.map((probability, label) => [label, probability]).sort((a, b) => b[1] - a[1]);
  document.getElementById("predicted").textContent = ranked[0][0];
  document.getElementById("top3").replaceChildren(
    ...ranked.slice(0, 3).map(([label, probability]) => {
      const item = element("li", "", `${label}  ${(100 * probability).toFixed(1)}%`);
      const bar = element("span", "bar");
      bar.style.width = `${Math.max(1, 150 * probability)}px`;
      item.append(bar);
      return item;
    }),
  );
  paint(document.getElementById("input"), state.lastImage, SIDE, SIDE, greyScale(0, 1));
  document.getElementById("layers").replaceChildren(
    ...answer.layers.map(([name, tensor]) => {
      const array = { shape: tensor.dims.slice(1), values: tensor.data };
      const [low, high] = extent(array.values);
      const about = element("td", "layer", "", [
        element("div", "name", name),
        element("div", "caption", array.shape.join("×")),
      ]);
      const row = element("tr");
      row.append(about, element("td", "maps", "", drawArray(array, greyScale(low, high))));
      return row;
    }),
  );
}

function clearResults() {
  document.getElementById("predicted").textContent = "–";
  document.getElementById("top3").replaceChildren();
  document.getElementById("layers").replaceChildren();
}

page.answerFor = runModel;
page.render = render;
page.clearResults = clearResults;
clearPad();
const variant = RUN.variant ? ` (${RUN.variant})` : "";
document.getElementById("run").textContent =
  `${RUN.model}${variant} on ${RUN.dataset}, loss: ${RUN.loss} — exported from ${RUN.run}`;
startRuntime().then(
  () => showMessage("Draw a digit with the mouse or a finger."),
  (error) => showMessage(`ONNX Runtime Web did not start (${error.message}).`),
);
