/**
 * A rubric: what earns points. Each item names the tests that earn it (a suite, and a pattern on the test's
 * title) and how they earn it: all of them or nothing, or in proportion to those that passed. Items may be
 * grouped by exercise, and an optional item is a bonus (it adds to the total, not to the maximum).
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../lab/schema.js';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-" only');

const pattern = z.string().min(1).refine((p) => {
  try {
    new RegExp(p, 'i');
    return true;
  } catch {
    return false;
  }
}, 'is not a regular expression');

export const TestSelectorSchema = z
  .object({
    /** A suite (a folder under suites/). */
    suite: z.string().min(1, 'must name a suite'),
    /** A regular expression (case-insensitive) on the test's title; absent, every test of the suite. */
    name: pattern.optional(),
  })
  .strict();

export const RubricItemSchema = z
  .object({
    id,
    title: z.string().min(1, 'must not be empty'),
    points: z.number().positive('must be more than 0'),
    /** all: the points when every test passed; proportional: points × passed / tests. */
    scoring: z.enum(['all', 'proportional']).default('all'),
    exercise: id.optional(),
    /** A bonus: counts towards the total, not the maximum. */
    optional: z.boolean().default(false),
    tests: z.array(TestSelectorSchema).min(1, 'list at least one test (suite, and a name pattern)'),
  })
  .strict();

export const RubricSchema = z
  .object({
    name: z.string().min(1, 'must not be empty'),
    exercises: z.array(z.object({ id, title: z.string().min(1) }).strict()).default([]),
    items: z.array(RubricItemSchema).min(1, 'list at least one item'),
  })
  .strict()
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.items.forEach((item, i) => {
      if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: ['items', i, 'id'], message: `"${item.id}" is used by an earlier item` });
      seen.add(item.id);
      if (item.exercise && !r.exercises.some((e) => e.id === item.exercise)) {
        ctx.addIssue({ code: 'custom', path: ['items', i, 'exercise'], message: `"${item.exercise}" is not one of exercises[].id (${r.exercises.map((e) => e.id).join(', ') || 'none declared'})` });
      }
    });
  });

export type Rubric = z.infer<typeof RubricSchema>;
export type RubricItem = z.infer<typeof RubricItemSchema>;

export class GradeConfigError extends Error {}

export function readYamlOrJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new GradeConfigError(`${what} ${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new GradeConfigError(`${what} ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function loadRubric(path: string): Rubric {
  const r = RubricSchema.safeParse(readYamlOrJson(path, 'rubric') ?? {});
  if (!r.success) throw new GradeConfigError(formatIssues(r.error.issues, `rubric ${path}`));
  return r.data;
}

/** The points a student can earn: every item but the optional ones. */
export function maxPoints(rubric: Rubric): number {
  return round2(rubric.items.filter((i) => !i.optional).reduce((s, i) => s + i.points, 0));
}

/** The suites the rubric's items need, in first-use order. */
export function suitesOf(rubric: Rubric): string[] {
  return [...new Set(rubric.items.flatMap((i) => i.tests.map((t) => t.suite)))];
}

/**
 * A `--grep` (jest's test-name pattern, case-insensitive, on "target describe title") that runs the tests the
 * rubric names and no others, or undefined when it can't be narrowed: a selector with no name (a whole suite),
 * or a `^` the full name would move. A title's start is after a space in the full name, so a leading `^`
 * becomes `(?:^| )`: the grep may take in a few more tests than the rubric scores, never fewer.
 */
export function grepOf(rubric: Rubric): string | undefined {
  const names = rubric.items.flatMap((i) => i.tests.map((t) => t.name));
  if (names.some((n) => n === undefined)) return undefined;
  const parts: string[] = [];
  for (const name of names as string[]) {
    const rest = name.startsWith('^') ? name.slice(1) : name;
    if (/(?<![\\[])\^/.test(rest)) return undefined;
    parts.push(`(?:${name.startsWith('^') ? '(?:^| )' : ''}${rest})`);
  }
  return [...new Set(parts)].join('|');
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
