/**
 * IAM wildcards as IoT Core applies them: `*` is any run of characters (none,
 * or many, `/` included), `?` exactly one character. Everything else is
 * literal, MQTT's `+` and `#` included (IOT-CORE.md §1.11; AWS developer guide
 * "AWS IoT Core policy variables": "The characters + and # are treated as
 * literal strings in a policy").
 */
export function wildcardSource(pattern: string): string {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += literalSource(char);
  }
  return source;
}

/** Regular-expression source that matches `text` and nothing else. */
export function literalSource(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Whole-string match; `s` so `*` spans newlines, `u` so `?` is one code point. */
export function wildcardRegExp(pattern: string): RegExp {
  return new RegExp(`^${wildcardSource(pattern)}$`, 'su');
}
