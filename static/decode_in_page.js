// The latent sliders' listener, run in the page (app.py wires it with fn=None: no server call): the slider values
// z1..zN and the model id in, the digit drawn by the page decoder (decoder.js). It throws when the page cannot decode;
// its event's .failure() then runs the server's `decode` event, whose picture is shown instead.
(...values) => {
  const model = values.pop();
  const decoder = document.querySelector("#page-decoder canvas");
  if (!decoder) throw new Error("the page decoder is not on the page yet: its tab has not been opened");
  if (!decoder.show) {
    if (!decoder.dataset.noted) console.info("Latent sliders: decoded on the server (the page decoder did not start).");
    decoder.dataset.noted = "yes";
    throw new Error("the page decoder did not start");
  }
  decoder.show(values, model);
}
