import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors.js';

/** `['dials', 3, 'phone']` -> `dials[3].phone`, the spelling every error message uses. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function issuesOf(error: z.ZodError, basePath: readonly PropertyKey[] = []): ValidationIssue[] {
  return error.issues.flatMap((issue) => {
    const path = [...basePath, ...issue.path];
    // zod reports unknown keys together on the parent object; one issue per key, each named.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: formatPath([...path, key]), message: 'unknown field' }));
    }
    return [{ field: formatPath(path), message: issue.message }];
  });
}

/** Parses with a zod schema, turning its error into a ValidationError that names every bad field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  make: (issues: ValidationIssue[]) => ValidationError = (issues) => new ValidationError(issues),
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw make(issuesOf(result.error));
  return result.data;
}
