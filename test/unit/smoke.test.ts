import { fileURLToPath } from 'node:url';
test('esm works', () => { expect(fileURLToPath(import.meta.url)).toMatch(/smoke/); });
