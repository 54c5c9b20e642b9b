/**
 * User text (campaign and experiment names, file paths, YAML values) reaches the terminal in plans,
 * warnings and errors. Control characters in it could rewrite the terminal's title, clear the screen or
 * hide text (`\x1b]0;pwned\x07\x1b[2J`), so they are shown escaped, as the characters a user would type.
 */

// C0 controls, DEL and C1 controls; line/paragraph separators; bidirectional overrides and isolates, which
// can make text read differently from what it is.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_LINES =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string): string {
  if (Object.hasOwn(NAMED, c)) return NAMED[c]!;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One value (a name, a path) for the terminal: every control character escaped, newlines included. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/**
 * A block of output lem composed (a table, a list of problems): its own newlines and tabs are kept, every
 * other control character is escaped. The last line of defence for values not escaped where they were put.
 */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL_BUT_LINES, escapeOne);
}

/**
 * JSON text with C1 controls and separators written as \u escapes too (JSON.stringify leaves them raw;
 * a terminal may act on them). Still valid JSON: these characters only occur inside strings.
 */
export function jsonSafe(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
