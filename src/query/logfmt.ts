/**
 * logfmt as Tempo's legacy `tags=` parameter carries it (go-logfmt): `key=value` pairs separated by
 * spaces, a value double-quoted when it holds spaces, quotes or `=` (with Go's string escapes), a
 * key alone meaning an empty value.
 */

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', '/': '/' };

/** The pairs of `text` in order, or a message naming the first thing that is not logfmt. */
export function parseLogfmt(text: string): [string, string][] | string {
  const pairs: [string, string][] = [];
  let at = 0;
  const skipSpaces = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  skipSpaces();
  while (at < text.length) {
    const keyStart = at;
    while (at < text.length && !/[\s="]/.test(text[at]!)) at++;
    const key = text.slice(keyStart, at);
    if (key === '') return `a key is missing at ${keyStart}`;
    let value = '';
    if (text[at] === '=') {
      at++;
      if (text[at] === '"') {
        const quoteAt = at;
        at++;
        let closed = false;
        while (at < text.length) {
          const char = text[at]!;
          if (char === '"') {
            closed = true;
            at++;
            break;
          }
          if (char === '\\') {
            const escaped = ESCAPES[text[at + 1] ?? ''];
            if (escaped === undefined) return `unsupported escape \\${text[at + 1] ?? ''} at ${at}`;
            value += escaped;
            at += 2;
            continue;
          }
          value += char;
          at++;
        }
        if (!closed) return `a quoted value with no closing quote at ${quoteAt}`;
      } else {
        const valueStart = at;
        while (at < text.length && !/[\s"=]/.test(text[at]!)) at++;
        if (text[at] === '"' || text[at] === '=') return `unexpected ${JSON.stringify(text[at])} at ${at}`;
        value = text.slice(valueStart, at);
      }
    } else if (text[at] === '"') {
      return `unexpected '"' at ${at}`;
    }
    if (at < text.length && !/\s/.test(text[at]!)) return `unexpected ${JSON.stringify(text[at])} at ${at}`;
    pairs.push([key, value]);
    skipSpaces();
  }
  return pairs;
}
