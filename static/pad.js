// The drawing pad: gr.HTML's js_on_load, run with `element` (the pad's root) and `props` (its properties).
// It draws from the first touch: mouse, pen or finger through pointer events, no tool to choose. On pen up, undo
// and clear, props.value becomes the canvas as a PNG data URL (null when empty): that fires the change event.
const canvas = element.querySelector("canvas");
const hint = element.querySelector(".hint");
const pen = canvas.getContext("2d");
const strokes = []; // each a list of [x, y] points in canvas pixels
let drawing = null; // the pointerId of the stroke under way

pen.lineWidth = props.pen_width;
pen.lineCap = pen.lineJoin = "round";
pen.strokeStyle = pen.fillStyle = "#000";

function at(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left - canvas.clientLeft) * canvas.width / canvas.clientWidth,
          (event.clientY - box.top - canvas.clientTop) * canvas.height / canvas.clientHeight];
}

function dot([x, y]) {
  pen.beginPath();
  pen.arc(x, y, props.pen_width / 2, 0, 2 * Math.PI);
  pen.fill();
}

function segment(from, to) {
  pen.beginPath();
  pen.moveTo(...from);
  pen.lineTo(...to);
  pen.stroke();
}

function repaint() {
  pen.clearRect(0, 0, canvas.width, canvas.height);
  for (const stroke of strokes) {
    dot(stroke[0]);
    stroke.slice(1).forEach((point, i) => segment(stroke[i], point));
  }
  hint.hidden = strokes.length > 0;
}

function send() {
  props.value = strokes.length ? canvas.toDataURL("image/png") : null;
}

canvas.addEventListener("pointerdown", (event) => {
  if (drawing !== null || event.button !== 0) return;
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  drawing = event.pointerId;
  strokes.push([at(event)]);
  dot(at(event));
  hint.hidden = true;
});

canvas.addEventListener("pointermove", (event) => {
  if (event.pointerId !== drawing) return;
  const stroke = strokes[strokes.length - 1];
  for (const moved of event.getCoalescedEvents?.() ?? [event]) {
    const point = at(moved);
    segment(stroke[stroke.length - 1], point);
    stroke.push(point);
  }
});

function penUp(event) {
  if (event.pointerId !== drawing) return;
  drawing = null;
  send();
}
canvas.addEventListener("pointerup", penUp);
canvas.addEventListener("pointercancel", penUp);

element.querySelector(".undo").addEventListener("click", () => {
  strokes.pop();
  repaint();
  send();
});

element.querySelector(".clear").addEventListener("click", () => {
  strokes.length = 0;
  repaint();
  send();
});
