/**
 * Free text a tenant stores and others read (descriptions, test messages): no control characters
 * (C0, C1, DEL — also newlines and tabs), no bidirectional controls (U+061C, U+200E/F,
 * U+202A–U+202E, U+2066–U+2069: "Trojan Source" reordering), no line/paragraph separators and no
 * unpaired surrogates (not valid Unicode; they break JSON consumers).
 */
import { HookstreamError } from '../core/errors.js';

/** The characters refused, as a regular-expression class body (with the `u` flag). */
const UNSAFE = '\\p{Cc}\\p{Cs}\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';

/** JSON Schema `pattern` of safe text (Ajv compiles it with the `u` flag), for the OpenAPI document too. */
export const SAFE_TEXT_PATTERN = `^[^${UNSAFE}]*$`;

const UNSAFE_RE = new RegExp(`[${UNSAFE}]`, 'u');

export const UNSAFE_TEXT_MESSAGE =
  'must not contain control, bidirectional-control or line-separator characters, or unpaired surrogates';

/** True when `text` is safe to store and show. */
export function isSafeText(text: string): boolean {
  return !UNSAFE_RE.test(text);
}

/** `text` unchanged, or VALIDATION_FAILED naming `field` and the first offending position. */
export function checkText(field: string, text: string): string {
  if (isSafeText(text)) return text;
  const at = [...text].findIndex((ch) => !isSafeText(ch));
  throw new HookstreamError('VALIDATION_FAILED', `${field}: ${UNSAFE_TEXT_MESSAGE} (character ${at + 1})`, {
    details: { field },
  });
}
