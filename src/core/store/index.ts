// The document store: documents, revisions and settings in one SQLite file in the user-data folder.
//
//   const store = DocumentStore.open(app.getPath('userData'))   // Electron main; the web host passes its folder
//   const autosaver = new Autosaver(store)                      // update() on edits, flush() before snapshots
//   …
//   autosaver.dispose(); store.close()                          // on quit, in this order
//
// Store methods are synchronous and report failures as StoreError (a code for the UI, a message for the user).
export { DocumentStore, DOCUMENTS_FILE_NAME, TRASH_KEEP_MS, type DocumentStoreOptions } from './document-store'
export { Autosaver, type AutosaverOptions, type DraftWriter } from './autosaver'
export { StoreError } from './errors'
