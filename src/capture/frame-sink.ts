/** What the file readers hand to the packet decoder: one captured frame, zero-copy. */
export interface FrameSink {
  /** `data[off, end)` holds the captured bytes; `data` is usually the whole file. */
  frame(frameNo: number, time: number, linkType: number, data: Buffer, off: number, end: number): void;
  /** A pcapng Decryption Secrets Block: its secrets type (0x544c534b "TLSK": a TLS key log) and data. */
  secrets?(type: number, data: Buffer): void;
}

export interface ReadSummary {
  frames: number;
  linkTypes: number[];
}
