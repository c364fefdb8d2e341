// Size limits that more than one side checks (contract schemas, store, importer, transports, renderer). Each
// lives here once, so the request schemas and the code behind them cannot drift apart.

/** Characters (UTF-16 units) in a title; a search query is held to the same length. */
export const MAX_TITLE_LENGTH = 300

/** UTF-8 bytes in a document's body, which is how SQLite stores it. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024

/** The largest file the app takes for import. */
export const MAX_IMPORT_BYTES = 12 * 1024 * 1024

/** An import travels as base64: four characters for every three bytes. */
export const MAX_IMPORT_BASE64_LENGTH = Math.ceil(MAX_IMPORT_BYTES / 3) * 4

/** The most insertions one parallel step may make (the engine clamps `parallel` to it). */
export const MAX_PARALLEL = 16

/**
 * The web host's cap on an HTTP request body, read before any schema runs. The largest request is an import
 * (its base64, 16 MiB); the 8 MiB over it leave room for the JSON around it and for escapes in a saved body.
 */
export const MAX_REQUEST_BYTES = MAX_IMPORT_BASE64_LENGTH + 8 * 1024 * 1024

/** The web host's cap on one WebSocket message: a generation start carries one document's content. */
export const MAX_SOCKET_MESSAGE_BYTES = 8 * 1024 * 1024
