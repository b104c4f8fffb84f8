/**
 * baresip's audio source: a WAV file of a 440 Hz tone, 8 kHz mono 16-bit, which is what its aufile source
 * accepts with G.711 (it refuses a file whose rate differs from the codec's). aufile does not loop: at the end
 * of the file baresip hangs the call up itself (CALL_CLOSED "end of file", and a BYE on the wire), so the file
 * lasts longer than any call a test makes.
 */

export const TONE_RATE = 8000;
/** A call baresip takes part in ends with its own BYE after this long. */
export const TONE_SECONDS = 300;

function wavHeader(dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // PCM fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(TONE_RATE, 24);
  h.writeUInt32LE(TONE_RATE * 2, 28); // bytes per second
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export function toneWav(seconds = TONE_SECONDS): Buffer {
  // 440 whole cycles a second at 8 kHz: one second repeats without a click, so it is computed once.
  const second = Buffer.alloc(TONE_RATE * 2);
  for (let i = 0; i < TONE_RATE; i++) second.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / TONE_RATE)), 2 * i);
  return Buffer.concat([wavHeader(second.length * seconds), ...Array.from({ length: seconds }, () => second)]);
}
