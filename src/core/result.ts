// Errors travel as values until the CLI edge renders them; a Result makes that explicit in signatures.
export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E> = { readonly ok: false; readonly error: E };
export type Result<T, E = LemError> = Ok<T> | Err<E>;

import type { LemError } from './errors.js';

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E>(error: E): Err<E> => ({ ok: false, error });
