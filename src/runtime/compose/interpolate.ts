/**
 * Compose's variable interpolation, applied to the values of compose.yaml (never its keys), as `docker compose`
 * does it: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset), `${VAR:?message}`,
 * `${VAR?message}`, `${VAR:+replacement}`, `${VAR+replacement}`, and `$$` for a literal `$`. Defaults may
 * themselves hold interpolations. Pure: the variables are passed in, nothing here reads the process environment.
 *
 * One deliberate difference: compose substitutes an unset variable without a default by an empty string (with a
 * warning that scrolls away); lem refuses it, because a backend silently started without, say, its cache folder
 * measures something else than the user meant.
 */
export type Variables = Readonly<Record<string, string | undefined>>;

export type Interpolated =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(text: string, vars: Variables): Interpolated {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const close = matchingBrace(text, dollar + 2);
      if (close < 0) return fail(`"${text}" has a "\${" without its closing "}"`);
      const r = expand(text.slice(dollar + 2, close), vars);
      if (!r.ok) return r;
      out += r.value;
      i = close + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (!name) return fail(`"${text}" has a "$" that starts no variable (write "$$" for a literal "$")`);
      const value = vars[name];
      if (value === undefined) return unset(name);
      out += value;
      i = dollar + 1 + name.length;
    }
  }
  return { ok: true, value: out };
}

/** Index of the "}" closing a "${" whose body starts at `from`, counting nested "${ }"; -1 when there is none. */
function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++;
    else if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function expand(body: string, vars: Variables): Interpolated {
  const name = NAME.exec(body)?.[0];
  if (!name) return fail(`"\${${body}}" does not start with a variable name`);
  const value = vars[name];
  const rest = body.slice(name.length);
  if (rest === '') return value === undefined ? unset(name) : { ok: true, value };
  const op = /^(:?[-?+])/.exec(rest)?.[1];
  if (!op)
    return fail(`"\${${body}}" is not a valid interpolation (expected \${VAR}, \${VAR:-default} or \${VAR:?message})`);
  const arg = rest.slice(op.length);
  const missing = op.startsWith(':') ? value === undefined || value === '' : value === undefined;
  switch (op.at(-1)) {
    case '-':
      return missing ? interpolate(arg, vars) : { ok: true, value: value! };
    case '+':
      return missing ? { ok: true, value: '' } : interpolate(arg, vars);
    default: {
      if (!missing) return { ok: true, value: value! };
      const message = interpolate(arg, vars);
      const why =
        message.ok && message.value !== '' ? message.value : `${name} is ${value === '' ? 'empty' : 'not set'}`;
      return fail(`required variable ${name}: ${why}`);
    }
  }
}

function unset(name: string): Interpolated {
  return fail(`\${${name}} is not set in the environment: set it, or give a default with \${${name}:-value}`);
}

function fail(error: string): Interpolated {
  return { ok: false, error };
}
