#!/usr/bin/env node
/*
 * Run one TF.js graph model (model.json + its .bin) on given float32 inputs with the official
 * TF.js runtime, and write the requested output tensors as .npy files.
 *
 * Used by scripts/make_network_fixtures.py to record the raw outputs of the BlazePose and PoseNet
 * graphs on inputs the tests can rebuild exactly. It needs the TF.js packages that the shared
 * tfjs-oracle installs (run with NODE_PATH=<oracle home>/node_modules): @tensorflow/tfjs-core,
 * tfjs-converter and tfjs-backend-wasm (or -cpu).
 *
 *   node tfjs_graph_outputs.js --model M.json --out DIR --outputs T1,T2 [--free-hw]
 *        [--backend wasm|cpu] [--time N] IN0.npy IN1.npy ...
 *
 * For every input INk.npy (float32, C order) it writes DIR/k_<j>.npy, output j of --outputs
 * (TF tensor names such as "Identity_2:0"). --free-hw makes the placeholder's height and width
 * -1 in memory, for a fully convolutional graph exported at one size (PoseNet); the weights and
 * the graph are not changed. --time N also times N runs of every input after 3 warm-up runs
 * (execute plus reading every output back), reported as `median_ms` per input. Prints one JSON
 * line: versions, backend and timings.
 */
'use strict';

const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const opts = { backend: 'wasm', freeHw: false, time: 0, inputs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model') opts.model = argv[++i];
    else if (a === '--out') opts.out = argv[++i];
    else if (a === '--outputs') opts.outputs = argv[++i].split(',');
    else if (a === '--backend') opts.backend = argv[++i];
    else if (a === '--free-hw') opts.freeHw = true;
    else if (a === '--time') opts.time = Number(argv[++i]);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else opts.inputs.push(a);
  }
  if (!opts.model || !opts.out || !opts.outputs || !opts.inputs.length) {
    throw new Error('usage: --model M.json --out DIR --outputs T1,T2 [--free-hw] [--backend wasm|cpu] IN.npy ...');
  }
  return opts;
}

/** A float32 C-order .npy file as {shape, data}. */
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${file}: expected little-endian float32 in C order, header ${header.trim()}`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const bytes = buf.subarray(start);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { shape, data };
}

function writeNpy(file, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const f32 = Float32Array.from(data);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(f32.buffer)]));
}

/** Free the H and W of 4-d placeholders and signature inputs (in memory only). */
function freeHeightWidth(modelJSON) {
  const free = (dims) => {
    if (dims && dims.length === 4) {
      dims[1].size = '-1';
      dims[2].size = '-1';
    }
  };
  for (const node of modelJSON.modelTopology.node) {
    if (node.op === 'Placeholder' && node.attr && node.attr.shape) free(node.attr.shape.shape.dim);
  }
  const inputs = (modelJSON.signature && modelJSON.signature.inputs) || {};
  for (const spec of Object.values(inputs)) free(spec.tensorShape && spec.tensorShape.dim);
}

async function loadModel(tf, tfconv, modelPath, freeHw) {
  const modelJSON = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  if (freeHw) freeHeightWidth(modelJSON);
  const dir = path.dirname(modelPath);
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const shards = manifest.flatMap((group) => group.paths.map((p) => fs.readFileSync(path.join(dir, p))));
    const all = Buffer.concat(shards);
    return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
  });
  const model = await tfconv.loadGraphModel({ load: async () => artifacts });
  const placeholders = modelJSON.modelTopology.node.filter((n) => n.op === 'Placeholder').map((n) => n.name);
  if (placeholders.length !== 1) throw new Error(`${modelPath}: expected one input, found ${placeholders}`);
  return { model, inputName: placeholders[0] };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tf = require('@tensorflow/tfjs-core');
  const tfconv = require('@tensorflow/tfjs-converter');
  if (opts.backend === 'cpu') {
    require('@tensorflow/tfjs-backend-cpu');
  } else {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  }
  if (!(await tf.setBackend(opts.backend))) throw new Error(`backend ${opts.backend} failed to start`);
  await tf.ready();
  const { model, inputName } = await loadModel(tf, tfconv, opts.model, opts.freeHw);
  fs.mkdirSync(opts.out, { recursive: true });
  const medianMs = [];
  const run = async (x) => {
    const ys = model.execute({ [inputName]: x }, opts.outputs);
    const list = Array.isArray(ys) ? ys : [ys];
    const values = [];
    for (const y of list) values.push(await y.data());
    const shapes = list.map((y) => y.shape);
    tf.dispose(list);
    return { shapes, values };
  };
  for (const [k, file] of opts.inputs.entries()) {
    const { shape, data } = readNpy(file);
    const x = tf.tensor(data, shape, 'float32');
    const { shapes, values } = await run(x);
    for (const [j, v] of values.entries()) writeNpy(path.join(opts.out, `${k}_${j}.npy`), shapes[j], v);
    if (opts.time > 0) {
      for (let w = 0; w < 3; w++) await run(x);
      const ms = [];
      for (let r = 0; r < opts.time; r++) {
        const t0 = process.hrtime.bigint();
        await run(x);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      ms.sort((a, b) => a - b);
      medianMs.push(ms[Math.floor(ms.length / 2)]);
    }
    tf.dispose(x);
  }
  const version = (name) => JSON.parse(fs.readFileSync(
    path.join(path.dirname(require.resolve(`${name}/package.json`)), 'package.json'), 'utf8')).version;
  console.log(JSON.stringify({
    node: process.version, backend: tf.getBackend(),
    simd: opts.backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : null,
    'tfjs-core': version('@tensorflow/tfjs-core'), 'tfjs-converter': version('@tensorflow/tfjs-converter'),
    [`tfjs-backend-${opts.backend}`]: version(`@tensorflow/tfjs-backend-${opts.backend}`),
    ...(opts.time > 0 ? { median_ms: medianMs } : {}),
  }));
}

main().catch((err) => {
  console.error(`tfjs_graph_outputs: ${err.message}`);
  process.exit(1);
});
