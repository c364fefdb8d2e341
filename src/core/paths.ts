// Where Inlay keeps things, shared by the desktop app, browser mode and the CLI so all three see the same
// documents: the folder Electron calls userData for an app named "Inlay", unless INLAY_DATA_DIR says otherwise.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export const APP_NAME = 'Inlay'

/** The model shipped in models/, used when no other is chosen. */
export const DEFAULT_MODEL_NAME = 'inlay-story'

export function defaultModelDir(root = process.cwd()): string {
  return resolve(root, 'models', DEFAULT_MODEL_NAME)
}

export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform
): string {
  if (env['INLAY_DATA_DIR']) return resolve(env['INLAY_DATA_DIR'])
  const home = homedir()
  if (platform === 'win32') return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), APP_NAME)
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_NAME)
  return join(env['XDG_CONFIG_HOME'] ?? join(home, '.config'), APP_NAME)
}
