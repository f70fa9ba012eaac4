// The page of `chainrule serve`: the drawing (pad.js) is posted to /api/analyse, and the answer
// (the prediction, each layer's output and δ, the formulas) is drawn (render).

"use strict";

// ---- asking the server ---------------------------------------------------------------------

async function askServer(image) {
  try {
    const response = await fetch("api/analyse", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ image, label: state.label }),
    });
    return await response.json();
  } catch (error) {
    return { error: `The server did not answer (${error.message}); is chainrule serve running?` };
  }
}

// ---- showing the answer --------------------------------------------------------------------

function decode(encoded) {
  const bytes = Uint8Array.from(atob(encoded.data), (c) => c.charCodeAt(0));
  return { shape: encoded.shape, values: new Float32Array(bytes.buffer) };
}

function clearResults() {
  document.getElementById("predicted").textContent = "–";
  document.getElementById("top3").replaceChildren();
  document.getElementById("layers").replaceChildren();
  document.getElementById("loss").textContent = "";
}

function render(answer) {
  document.getElementById("predicted").textContent = answer.prediction;
  const top3 = document.getElementById("top3");
  top3.replaceChildren(
    ...answer.top3.map(([label, probability]) => {
      const item = element("li", "", `${label}  ${(100 * probability).toFixed(1)}%`);
      const bar = element("span", "bar");
      bar.style.width = `${Math.max(1, 150 * probability)}px`;
      item.append(bar);
      return item;
    }),
  );
  showLabels(answer.label);
  document.getElementById("loss").textContent =
    `backward for label ${answer.label}: ${answer.loss_name} L = ${answer.loss.toFixed(4)}`;
  paint(document.getElementById("input"), decode(answer.input).values, 28, 28, greyScale(0, 1));
  const gradient = decode(answer.input_gradient).values;
  paint(document.getElementById("input-gradient"), gradient, 28, 28, signedScale(gradient));
  const inputStep = document.getElementById("input-formula");
  inputStep.replaceChildren(answer.input_formula.formula, citation(answer.input_formula.cite));
  document.getElementById("layers").replaceChildren(...answer.layers.map(layerRow));
}

function showLabels(used) {
  const labels = document.getElementById("labels");
  const buttons = [null, ...Array.from({ length: 10 }, (_, i) => i)].map((label) => {
    const button = element("button", "", label === null ? "prediction" : String(label));
    button.type = "button";
    button.dataset.label = label === null ? "" : label;
    if (label === state.label) button.classList.add("chosen");
    button.addEventListener("click", () => {
      state.label = label;
      changed();
    });
    return button;
  });
  labels.replaceChildren(element("span", "caption", `δ for label (now ${used}) `), ...buttons);
}

// One row per layer: its name, shape and the backward step that gave its δ; its output; its δ.
function layerRow(layer) {
  const about = element("td", "layer", "", [
    element("div", "name", layer.title),
    element("div", "caption", `${layer.kind} ${layer.shape.join("×")}`),
    element("div", "formula", layer.formula),
    citation(layer.cite),
  ]);
  const output = decode(layer.output);
  const delta = decode(layer.delta);
  const [low, high] = extent(output.values);
  const row = element("tr");
  row.append(
    about,
    element("td", "maps", "", drawArray(output, greyScale(low, high))),
    element("td", "maps", "", drawArray(delta, signedScale(delta.values))),
  );
  return row;
}

function citation(cite) {
  return element("div", "cite", cite || "");
}

// ---- start -----------------------------------------------------------------------------------

async function showRun() {
  const run = await (await fetch("api/run")).json();
  const variant = run.variant ? ` (${run.variant})` : "";
  document.getElementById("run").textContent =
    `${run.model}${variant} on ${run.dataset}, loss: ${run.loss} — run folder ${run.run}`;
}

page.answerFor = askServer;
page.render = render;
page.clearResults = clearResults;
clearPad();
showLabels("–");
showRun();
showMessage("Draw a digit with the mouse or a finger.");
