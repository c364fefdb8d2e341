// The tiny models the engine's tests run (real ONNX graphs, written by training/export.py golden).
import { resolve } from 'node:path'

/** A 2-layer ILM memorising three sentences; no length head (format 2). */
export const TINY = resolve('src/core/testdata/tiny-ilm')
