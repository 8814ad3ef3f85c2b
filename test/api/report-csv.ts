// The one reader of job report CSV for the tests and the soak script (Node-safe: no vitest, no
// cloudflare:* imports).

/** Splits report CSV text (RFC 4180, rows end with a newline) into rows of fields; fast on unquoted rows. */
export function parseReportCsv(text: string): string[][] {
  const rows: string[][] = []
  let i = 0
  while (i < text.length) {
    const end = text.indexOf('\n', i)
    const line = text.slice(i, end < 0 ? text.length : end)
    // Most rows have no quotes: split them directly; quoted ones go through the full parser.
    if (!line.includes('"')) {
      rows.push(line.split(','))
      i = end < 0 ? text.length : end + 1
      continue
    }
    const fields: string[] = []
    let field = ''
    let quoted = false
    for (; i < text.length; i++) {
      const c = text[i]!
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          field += '"'
          i++
        } else if (c === '"') quoted = false
        else field += c
      } else if (c === '"') quoted = true
      else if (c === ',') {
        fields.push(field)
        field = ''
      } else if (c === '\n') break
      else field += c
    }
    fields.push(field)
    rows.push(fields)
    i++
  }
  return rows
}
