/**
 * A class: the students, each with an id, a name and a target (a target file, or its fields inline). A class
 * may also be a folder of target files: one student per file, its id the file's name and its name the target's.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../lab/schema.js';
import { GradeConfigError, readYamlOrJson } from './rubric.js';

const StudentSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-" only'),
    name: z.string().min(1, 'must not be empty'),
    /** A target file (relative to the class file), or the target file's fields inline. */
    target: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  })
  .strict();

const ClassSchema = z
  .object({ students: z.array(StudentSchema).min(1, 'list at least one student') })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.students.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['students', i, 'id'], message: `"${s.id}" is used by an earlier student` });
      seen.add(s.id);
    });
  });

export interface Student {
  id: string;
  name: string;
  /** A target file to run against: the student's own, or one written from the inline fields. */
  targetFile: string;
}

/**
 * The students of a class file or folder. Inline targets are written to `workDir/targets/ID.yaml`; whether a
 * target file is valid is the run's to say (an invalid one is graded 0 with the reason, not refused here).
 */
export function loadClass(path: string, workDir: string): Student[] {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new GradeConfigError(`class ${path} does not exist`);
  }
  if (isDir) {
    const files = readdirSync(path).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort();
    if (files.length === 0) throw new GradeConfigError(`class folder ${path} holds no target file (*.yaml, *.yml, *.json)`);
    return files.map((f) => {
      const file = join(path, f);
      const raw = safeRead(file);
      const name = raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : basename(f, extname(f));
      return { id: basename(f, extname(f)).replace(/[^A-Za-z0-9_.-]/g, '-'), name, targetFile: resolve(file) };
    });
  }
  const r = ClassSchema.safeParse(readYamlOrJson(path, 'class') ?? {});
  if (!r.success) throw new GradeConfigError(formatIssues(r.error.issues, `class ${path}`));
  return r.data.students.map((s) => {
    if (typeof s.target === 'string') return { id: s.id, name: s.name, targetFile: resolve(dirname(path), s.target) };
    const file = join(workDir, 'targets', `${s.id}.yaml`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, stringify(s.target), { mode: 0o600 });
    return { id: s.id, name: s.name, targetFile: file };
  });
}

function safeRead(file: string): unknown {
  try {
    return readYamlOrJson(file, 'target file');
  } catch {
    return undefined;
  }
}
