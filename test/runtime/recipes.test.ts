/**
 * Image recipes: each docker/<name> folder's Dockerfile says what its recipe.json says (they build the same
 * tag, one with a registry and one without), and the tag follows the folder's content.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPILER_PACKAGES, compileCommand, loadRecipe, loadRecipes, recipeNames } from '../../src/runtime/images/recipe.js';
import { mountsUnder } from '../../src/runtime/images/rootfs.js';

describe('image recipes', () => {
  test('the four images of the issue are there', () => {
    expect(recipeNames()).toEqual(['asterisk', 'baresip', 'kamailio', 'sipp']);
    expect(loadRecipe('asterisk').suite).toBe('sid');
    expect(loadRecipe('sipp').suite).toBe('sid');
  });

  test.each(loadRecipes().map((r) => [r.name, r] as const))('%s: the Dockerfile installs the recipe\'s packages from its suite with its CMD', (_name, r) => {
    const df = readFileSync(join(r.dir, 'Dockerfile'), 'utf8');
    expect(df).toMatch(new RegExp(`^FROM debian:${r.suite}-slim$`, 'm'));
    const install = /apt-get install -y --no-install-recommends ([^\\\n]+)/.exec(df);
    expect(install?.[1].trim().split(/\s+/)).toEqual(r.packages);
    const cmd = /^CMD (.+)$/m.exec(df);
    expect(JSON.parse(cmd?.[1] ?? 'null')).toEqual(r.cmd);
    // sid's Release file is dated on this mirror: apt refuses it without this option.
    expect(df.includes('Acquire::Check-Valid-Until=false')).toBe(r.suite === 'sid');
    expect(r.tag).toMatch(new RegExp(`^sipwright/${r.name}:[0-9a-f]{12}$`));
    // Each compiled source: copied in, built with the builder's command, the compiler purged after.
    for (const c of r.compile ?? []) {
      expect(df).toContain(`COPY ${c.source} /tmp/sipwright-build/${c.source}`);
      expect(df).toContain(compileCommand(`/tmp/sipwright-build/${c.source}`, c.output).join(' '));
      expect(df).toContain(`apt-get purge -y --auto-remove ${COMPILER_PACKAGES.join(' ')}`);
    }
  });

  describe('tags follow the recipe', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'sipwright-recipes-'));
      cpSync(join(loadRecipe('kamailio').dir), join(root, 'kamailio'), { recursive: true, dereference: true });
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    test('the same files give the same tag; a changed package list gives another', () => {
      expect(loadRecipe('kamailio', root).tag).toBe(loadRecipe('kamailio').tag);
      const file = join(root, 'kamailio', 'recipe.json');
      const r = JSON.parse(readFileSync(file, 'utf8')) as { packages: string[] };
      r.packages.push('sngrep');
      writeFileSync(file, JSON.stringify(r));
      expect(loadRecipe('kamailio', root).tag).not.toBe(loadRecipe('kamailio').tag);
    });

    test('a bad recipe is rejected naming the field', () => {
      writeFileSync(join(root, 'kamailio', 'recipe.json'), JSON.stringify({ suite: 'trixie', packages: ['kamailio'], cmd: ['kamailio'] }));
      expect(() => loadRecipe('kamailio', root)).toThrow(/recipe\.json: suite:/);
      expect(() => loadRecipe('nope', root)).toThrow(/no image named "nope".*known: kamailio/);
    });
  });

  test('mountsUnder finds mount points below a folder, deepest first, and nothing for an unmounted one', () => {
    expect(mountsUnder('/proc')).toContain('/proc');
    expect(mountsUnder(join(tmpdir(), 'sipwright-never-mounted'))).toEqual([]);
    const sys = mountsUnder('/sys');
    expect(sys[sys.length - 1]).toBe('/sys');
  });
});
