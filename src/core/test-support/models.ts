// The tiny models the engine's tests run (real ONNX graphs, written by training/export.py golden).
import { resolve } from 'node:path'

/** A 2-layer ILM memorising three sentences; no length head (format 2). */
export const TINY = resolve('src/core/testdata/tiny-ilm')

/** The same size with a length head (format 3), trained on scatter, span and complete drops. */
export const TINY_LENGTH = resolve('src/core/testdata/tiny-ilm-length')
