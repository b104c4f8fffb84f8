/**
 * Content types for attachments. Allure's report picks its viewer from these: text/html in an iframe
 * (the HTML ladder), text/plain and XML as text, anything else as a download link (the pcap).
 */
import { extname } from 'node:path';

const BY_EXTENSION: Record<string, string> = {
  '.pcap': 'application/vnd.tcpdump.pcap',
  '.pcapng': 'application/vnd.tcpdump.pcap',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.csv': 'text/csv',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.conf': 'text/plain',
  '.cfg': 'text/plain',
};

/** The content type for a file name; unknown extensions are treated as text, since endpoint logs have many. */
export function contentTypeOf(path: string): string {
  return BY_EXTENSION[extname(path).toLowerCase()] ?? 'text/plain';
}

/** Whether redaction may treat the bytes as UTF-8 text. */
export function isTextType(contentType: string): boolean {
  return contentType.startsWith('text/') || /(?:xml|json|yaml)$/.test(contentType);
}
