// The decoded digit, drawn by the page itself: gr.HTML's js_on_load, run with `element` (the component's root) and
// `props` (route, model, sliders: the latent sliders' elem_ids in order, side, zoom). It downloads a model's decoder
// once, from GET <route>/<model id> (safetensors: each Linear layer's float32 weight (out, in) and bias (out,), named
// "<i>.weight" and "<i>.bias" by the layer's place i in the decoder, ELU between them, the last giving side² Bernoulli
// logits; vae/page_decoder.py), decodes a latent with typed-array loops and paints the Bernoulli means on its side × side
// canvas.
// canvas.show(z, model), called by the sliders' listener (decode_in_page.js), draws the digit of z, or throws when the
// page cannot decode it (the model's weights still downloading, their request failed, a script error): the server then
// decodes it and the server's picture (this component's child) is shown until the page draws again. A slider dragged
// while the page's picture is current is drawn at once, from the slider's own input event.
// data-decoded-by on the element says which picture is shown ("page" or "server"). For tests and benchmarks, the
// canvas keeps its last picture as canvas.decoded = {model, latent, probabilities (Float32Array)} and fires a
// "decoded" event once it is drawn.
const canvas = element.querySelector("canvas");
const paint = canvas.getContext("2d");
const picture = paint.createImageData(canvas.width, canvas.height);
const decoders = new Map(); // model id → {layers} once downloaded, {error} if that failed, {} meanwhile
const noted = new Set();
let wanted = null; // {z, model}: the latest latent asked for, drawn as soon as its model's weights arrive
let drawn = null; // {model, latent}: the digit on the canvas

picture.data.fill(255); // opaque; draw() sets the grey of each pixel

function note(reason) {
  if (!noted.has(reason)) console.info(`Latent sliders: decoded on the server (${reason}).`);
  noted.add(reason);
}

function arrays(buffer) {
  // A safetensors file's arrays: {name: {shape, data (Float32Array)}}.
  const headerLength = Number(new DataView(buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
  delete header.__metadata__;
  return Object.fromEntries(Object.entries(header).map(([name, {dtype, shape, data_offsets: [begin, end]}]) => {
    if (dtype !== "F32") throw new Error(`${name} is ${dtype}, not float32`);
    const start = 8 + headerLength;
    return [name, {shape, data: new Float32Array(buffer.slice(start + begin, start + end))}];
  }));
}

function linearLayers(tensors) {
  // The Linear layers in decoding order, checked to chain from z to the side² logits.
  const places = [...new Set(Object.keys(tensors).map((name) => Number(name.split(".")[0])))].sort((a, b) => a - b);
  const result = places.map((i) => {
    const {shape: [outputs, inputs], data: weight} = tensors[`${i}.weight`];
    return {inputs, outputs, weight, bias: tensors[`${i}.bias`].data};
  });
  result.forEach(({inputs, outputs, weight, bias}, i) => {
    const next = result[i + 1]?.inputs ?? picture.width * picture.height;
    if (outputs !== next || weight.length !== inputs * outputs || bias.length !== outputs) {
      throw new Error(`layer ${places[i]} (${inputs} → ${outputs}) does not lead to the ${picture.width}² picture`);
    }
  });
  return result;
}

async function fetchLayers(model) {
  const response = await fetch(`${props.route}/${model.split("/").map(encodeURIComponent).join("/")}`);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return linearLayers(arrays(await response.arrayBuffer()));
}

function download(model) {
  // The model's decoder: its download starts on first use.
  if (!decoders.has(model)) {
    const decoder = {};
    decoders.set(model, decoder);
    fetchLayers(model).then((downloaded) => {
      decoder.layers = downloaded;
      if (wanted?.model === model) show(wanted.z, model);
    }, (error) => {
      decoder.error = `the ${model} decoder could not be loaded: ${error.message}`;
    });
  }
  return decoders.get(model);
}

function decode(layers, z) {
  // Bernoulli means (side²,) of p(x|z) as float32, computed in float64 from the float32 weights.
  let x = Float64Array.from({length: layers[0].inputs}, (_, i) => z[i]);
  for (const [place, {inputs, outputs, weight, bias}] of layers.entries()) {
    const y = new Float64Array(outputs);
    for (let o = 0; o < outputs; o++) {
      let sum = bias[o];
      for (let i = 0, row = o * inputs; i < inputs; i++) sum += weight[row + i] * x[i];
      y[o] = place === layers.length - 1 || sum > 0 ? sum : Math.expm1(sum); // ELU between the layers
    }
    x = y;
  }
  return Float32Array.from(x, (logit) => 1 / (1 + Math.exp(-logit)));
}

function draw(layers, z, model) {
  const probabilities = decode(layers, z);
  probabilities.forEach((p, i) => picture.data.fill(Math.round(255 * p), 4 * i, 4 * i + 3));
  paint.putImageData(picture, 0, 0);
  element.dataset.decodedBy = "page";
  drawn = {model, latent: Array.from(z).slice(0, layers[0].inputs)};
  canvas.decoded = {...drawn, probabilities};
  canvas.dispatchEvent(new Event("decoded"));
}

function shown(z, model) {
  // Whether the page's picture is already the digit of z: a drag drew it before Gradio handed the sliders over.
  return element.dataset.decodedBy === "page" && drawn.model === model && drawn.latent.every((v, i) => v === z[i]);
}

function show(z, model) {
  wanted = {z, model};
  const decoder = download(model);
  try {
    if (!decoder.layers) throw new Error(decoder.error ?? `the ${model} decoder is still downloading`);
    if (!shown(z, model)) draw(decoder.layers, z, model);
  } catch (error) {
    element.dataset.decodedBy = "server";
    note(error.message);
    throw error;
  }
}

function drag(event) {
  // A latent slider dragged while the page's picture is current: its coordinate changed and the digit drawn in this
  // very task, so that it is on screen at the next frame (Gradio hands the sliders to show() some milliseconds and a
  // task later, which costs a frame; bench/bench_sliders.py).
  if (event.target.type !== "range" || element.dataset.decodedBy !== "page") return;
  const index = props.sliders.findIndex((id) => document.getElementById(id)?.contains(event.target));
  if (index < 0 || index >= drawn.latent.length) return; // not a latent slider, or past the model's dimensions
  const z = drawn.latent.with(index, Number(event.target.value));
  draw(decoders.get(drawn.model).layers, z, drawn.model);
}

canvas.show = show;
document.addEventListener("input", drag, true);
download(props.model);
