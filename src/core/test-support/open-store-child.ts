// Child process for store-errors.test.ts: opens the store in a folder (argv[2]) and prints what happened as JSON.
// When the tests run as root it runs without root's capabilities, since those let it write anywhere.
import { DocumentStore } from '../store/document-store'
import { StoreError } from '../store/errors'

try {
  const store = DocumentStore.open(process.argv[2])
  const titles = store.list().map((doc) => doc.title)
  store.close()
  console.log(JSON.stringify({ ok: true, titles }))
} catch (error) {
  if (!(error instanceof StoreError)) throw error
  console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }))
}
