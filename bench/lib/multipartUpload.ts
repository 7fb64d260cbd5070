import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

/** What the API answered to an upload, and how long the whole request took. */
export interface TimedUpload {
  ms: number;
  status: number;
  body: string;
}

/**
 * POSTs `file` as the `file` field of a multipart form, streamed from disk with a known
 * Content-Length (as a browser sends a form), and times it from the first byte sent to the last
 * byte of the answer.
 */
export function uploadFileAsForm(url: string, token: string, file: string, contentType: string): Promise<TimedUpload> {
  const size = fs.statSync(file).size;
  const boundary = `bench-${crypto.randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + size + tail.length),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.write(head);
    const source = fs.createReadStream(file);
    source.on('error', reject);
    source.on('end', () => req.end(tail));
    source.pipe(req, { end: false });
  });
}
