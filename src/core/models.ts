import { resolve } from 'node:path'

/** The model shipped in models/, used when no other is chosen. */
export const DEFAULT_MODEL_NAME = 'inlay-story'

export function defaultModelDir(root = process.cwd()): string {
  return resolve(root, 'models', DEFAULT_MODEL_NAME)
}
