// The part of the linebreak package (UAX #14 line breaking, pdfkit's own) that the PDF typesetter uses.
declare module 'linebreak' {
  interface Break {
    /** UTF-16 index where the next line may start. */
    position: number
    /** A mandatory break (a newline), not only an opportunity. */
    required: boolean
  }
  export default class LineBreaker {
    constructor(text: string)
    nextBreak(): Break | null
  }
}
