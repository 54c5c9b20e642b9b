/**
 * Text that came from files lem did not write (experiment ids, labels, paths, error reasons) may hold escape
 * sequences that retitle, clear or rewrite a terminal. Before such text reaches a terminal, every control character
 * (C0, DEL, C1) and every bidirectional control that reorders what is shown is replaced by a visible escape such as
 * \x1b or \u202e. Backslashes are left as they are, so escaping twice changes nothing.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Multi-line output: each line escaped, the line breaks kept. */
export function escapeLinesForTerminal(text: string): string {
  return text.split('\n').map(escapeForTerminal).join('\n');
}
