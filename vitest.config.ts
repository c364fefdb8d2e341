import { defineConfig } from 'vitest/config'
import { svelte } from '@sveltejs/vite-plugin-svelte'

export default defineConfig({
  // Compiles the runes in the renderer's stores (*.svelte.ts) that their tests import.
  plugins: [svelte({ configFile: false })],
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000
  }
})
