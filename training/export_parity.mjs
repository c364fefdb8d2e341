// Runs ONNX models through onnxruntime-node for training/test_export.py (there is no Python onnxruntime here).
//   node training/export_parity.mjs request.json response.json
// request: {"runs": [{"model": path, "inputs": {name: {"dims": [...], "dtype": "int64"|"float32", "data": [...]}}}]}
// response: {"runs": [{name: {"dims": [...], "data": [...]}}]} with every output of each run.
import { readFileSync, writeFileSync } from 'node:fs'
import ort from 'onnxruntime-node'

const [requestPath, responsePath] = process.argv.slice(2)
const request = JSON.parse(readFileSync(requestPath, 'utf8'))
const sessions = new Map()
const runs = []
for (const run of request.runs) {
  if (!sessions.has(run.model)) sessions.set(run.model, await ort.InferenceSession.create(run.model))
  const feeds = {}
  for (const [name, t] of Object.entries(run.inputs)) {
    const data = t.dtype === 'int64' ? BigInt64Array.from(t.data, BigInt) : Float32Array.from(t.data)
    feeds[name] = new ort.Tensor(t.dtype, data, t.dims)
  }
  const out = await sessions.get(run.model).run(feeds)
  runs.push(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: v.dims, data: Array.from(v.data) }])))
}
writeFileSync(responsePath, JSON.stringify({ runs }))
