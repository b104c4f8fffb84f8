import { writeSync } from 'node:fs';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

const SNAPLEN = 262144;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

/**
 * Classic pcap global header: magic 0xa1b2c3d4 little-endian (microseconds), version 2.4.
 * The packet builders produce Ethernet or raw IP; other link types are written as given.
 */
export function pcapGlobalHeader(linkType: number): Buffer {
  if (!Number.isInteger(linkType) || linkType < 0 || linkType > 0xffff) throw new Error(`bad link type: ${linkType}`);
  const h = Buffer.alloc(GLOBAL_HEADER);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(SNAPLEN, 16);
  h.writeUInt32LE(linkType, 20);
  return h;
}

function writeRecordHeader(out: Buffer, at: number, time: number, length: number): void {
  let sec = Math.floor(time);
  let usec = Math.round((time - sec) * 1e6);
  if (usec >= 1e6) {
    sec += 1;
    usec -= 1e6;
  }
  out.writeUInt32LE(sec >>> 0, at);
  out.writeUInt32LE(usec, at + 4);
  out.writeUInt32LE(length, at + 8);
  out.writeUInt32LE(length, at + 12);
}

function checkPacket(data: Buffer): void {
  if (data.length > SNAPLEN) throw new Error(`packet of ${data.length} bytes exceeds the snap length ${SNAPLEN}`);
}

/** Builds a whole pcap file in memory (tests, small captures). */
export class PcapWriter {
  private readonly chunks: Buffer[];
  private size: number;

  constructor(readonly linkType: number = LINKTYPE_ETHERNET) {
    const h = pcapGlobalHeader(linkType);
    this.chunks = [h];
    this.size = h.length;
  }

  /** `time` in seconds since the epoch; stored with microsecond precision. */
  addPacket(time: number, data: Buffer): void {
    checkPacket(data);
    const rh = Buffer.allocUnsafe(RECORD_HEADER);
    writeRecordHeader(rh, 0, time, data.length);
    this.chunks.push(rh, data);
    this.size += RECORD_HEADER + data.length;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/**
 * Writes pcap incrementally through `write` (a file descriptor via fdSink, or any
 * byte sink), batching records into large chunks so that hundreds of thousands of
 * packets cost few system calls and no whole-file buffer.
 */
export class PcapStreamWriter {
  private buf: Buffer;
  private used = 0;

  constructor(
    readonly linkType: number,
    private readonly write: (chunk: Buffer) => void,
    chunkSize = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(chunkSize, GLOBAL_HEADER + RECORD_HEADER));
    pcapGlobalHeader(linkType).copy(this.buf, 0);
    this.used = GLOBAL_HEADER;
  }

  addPacket(time: number, data: Buffer): void {
    checkPacket(data);
    const need = RECORD_HEADER + data.length;
    if (this.used + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) this.buf = Buffer.allocUnsafe(need);
    }
    writeRecordHeader(this.buf, this.used, time, data.length);
    data.copy(this.buf, this.used + RECORD_HEADER);
    this.used += need;
  }

  /** Hands everything buffered to the sink; call before closing the file. */
  flush(): void {
    if (this.used === 0) return;
    // The sink may keep the chunk (a stream queues it), so it gets its own copy.
    this.write(Buffer.from(this.buf.subarray(0, this.used)));
    this.used = 0;
  }
}

/** A sink for PcapStreamWriter that writes synchronously to an open file descriptor. */
export function fdSink(fd: number): (chunk: Buffer) => void {
  return (chunk) => {
    let off = 0;
    while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
  };
}
