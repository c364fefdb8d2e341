export { DocumentStore, DOCUMENTS_FILE_NAME, type DocumentStoreOptions } from './document-store'
export { Autosaver, type AutosaverOptions, type DraftWriter } from './autosaver'
export { StoreError } from './errors'
