// The centernet model, run by tfjs's WebAssembly backend in a worker thread: one inference takes a few
// hundred ms of CPU (the pure-JavaScript backend took 7 s here, 20 times as long; it remains the fallback
// when WebAssembly cannot start), which on the main thread would stall every other request (and /healthz).
// Plain JavaScript because worker threads do not inherit the `--import tsx` loader of the process.
// Decoding follows @vladmandic/human's src/object/centernet.ts: the model's `tower_0/detections`
// output is [1, 100, 6] rows of x1, y1, x2, y2 (input pixels), score, class; then NMS.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

// The .wasm files ship inside the package; without a path tfjs would look for them beside the page.
const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
setWasmPaths(`${path.join(path.dirname(wasmPackage), 'dist')}/`);

const { modelJsonPath, modelBinPath, minScore, maxDetected, iouThreshold } = workerData;

async function loadModel() {
  if (!(await tf.setBackend('wasm').catch(() => false))) await tf.setBackend('cpu');
  const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
  const bin = fs.readFileSync(modelBinPath);
  // An IOHandler over the files read here: tf.loadGraphModel would otherwise fetch() a URL.
  const handler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
      userDefinedMetadata: json.userDefinedMetadata,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  };
  const model = await tf.loadGraphModel(handler);
  const inputSize = Number(json.signature.inputs['tower_0/images'].tensorShape.dim[2].size);
  return { model, inputSize };
}

const ready = loadModel();
ready.then(
  ({ inputSize }) => parentPort.postMessage({ type: 'ready', inputSize }),
  (error) => parentPort.postMessage({ type: 'failed', message: String(error?.message ?? error) }),
);

parentPort.on('message', async ({ id, pixels }) => {
  try {
    const { model, inputSize } = await ready;
    const input = tf.tidy(() => tf.tensor3d(pixels, [inputSize, inputSize, 3], 'int32').toFloat().expandDims(0));
    const output = model.execute(input, ['tower_0/detections']);
    input.dispose();
    const rows = (await output.array())[0];
    const boxes = tf.tensor2d(rows.map(([x1, y1, x2, y2]) => [y1, x1, y2, x2]));
    const scores = tf.tensor1d(rows.map((row) => row[4]));
    const kept = await tf.image.nonMaxSuppressionAsync(boxes, scores, maxDetected, iouThreshold, minScore);
    const indices = Array.from(await kept.data());
    tf.dispose([output, boxes, scores, kept]);
    const detections = indices.map((index) => {
      const [x1, y1, x2, y2, score, classIndex] = rows[index];
      return { x1, y1, x2, y2, score, classIndex };
    });
    parentPort.postMessage({ type: 'result', id, detections });
  } catch (error) {
    parentPort.postMessage({ type: 'error', id, message: String(error?.message ?? error) });
  }
});
