/** `node dist/bench/floor-run.js FILE`: the floor's report (bench/floor.ts) on stdout, as bench/analyze times it. */
import { writeFloorJson } from './floor.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: node dist/bench/floor-run.js FILE');
  process.exit(2);
}
writeFloorJson(file, (s) => process.stdout.write(s));
