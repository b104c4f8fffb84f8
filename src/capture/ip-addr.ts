/** Textual IP addresses as the contract wants them: dotted IPv4, RFC 5952 IPv6. */

export function formatIpv4(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/**
 * RFC 5952: lower-case hex without leading zeros, the longest run (first on a tie)
 * of two or more zero groups becomes "::", and IPv4-mapped addresses keep their
 * dotted tail (section 5) as Wireshark shows them.
 */
export function formatIpv6(buf: Buffer, off: number): string {
  let mapped = true;
  for (let i = 0; i < 10; i++) {
    if (buf[off + i] !== 0) {
      mapped = false;
      break;
    }
  }
  if (mapped && buf[off + 10] === 0xff && buf[off + 11] === 0xff) {
    return `::ffff:${formatIpv4(buf, off + 12)}`;
  }

  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = buf[off + 2 * g] === 0 && buf[off + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;

  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += ((buf[off + 2 * g] << 8) | buf[off + 2 * g + 1]).toString(16);
  }
  return out;
}

/** Small memo for IPv4 text: a capture usually has few hosts and many packets. */
export class Ipv4Names {
  private readonly names = new Map<number, string>();

  name(buf: Buffer, off: number): string {
    const key = buf.readUInt32BE(off);
    let s = this.names.get(key);
    if (s === undefined) {
      if (this.names.size >= 4096) this.names.clear();
      s = formatIpv4(buf, off);
      this.names.set(key, s);
    }
    return s;
  }
}
