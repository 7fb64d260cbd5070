/** The EXIF fields an analysis reports: enough to say what took the picture and when, never where. */
export interface ExifSummary {
  /** 1–8, as stored; the thumbnail and boxes already have it applied. */
  orientation?: number;
  make?: string;
  model?: string;
  /** When the picture was taken (DateTimeOriginal), as written by the camera: `YYYY:MM:DD HH:MM:SS`. */
  takenAt?: string;
  /** When the file was last changed (DateTime). */
  modifiedAt?: string;
  /** Whether the file carried a GPS block; its coordinates are never reported, and the thumbnail drops them. */
  hasGps: boolean;
}

const TAG = {
  make: 0x010f,
  model: 0x0110,
  orientation: 0x0112,
  dateTime: 0x0132,
  exifIfd: 0x8769,
  gpsIfd: 0x8825,
  dateTimeOriginal: 0x9003,
};
const ASCII = 2;
const SHORT = 3;
const LONG = 4;
/** A string field longer than this is not a camera name or a date: ignore it rather than echo it back. */
const MAX_STRING = 64;

/**
 * Reads a few fields of the EXIF block sharp hands over (`metadata().exif`: "Exif\0\0" then a TIFF
 * header). No EXIF parser is installed and these six tags need only the TIFF directory walk, so this
 * is it; anything malformed yields what was read so far rather than an error.
 */
export function parseExif(exif: Buffer | undefined): ExifSummary | undefined {
  if (!exif || exif.length < 14) return undefined;
  const tiffStart = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  const tiff = exif.subarray(tiffStart);
  const order = tiff.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const u16 = (at: number) => (at + 2 <= tiff.length ? (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at)) : undefined);
  const u32 = (at: number) => (at + 4 <= tiff.length ? (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at)) : undefined);

  /** The entries of the directory at `offset`, by tag. */
  const readIfd = (offset: number) => {
    const entries = new Map<number, { type: number; count: number; valueAt: number }>();
    const count = u16(offset);
    if (count === undefined || count > 512) return entries;
    for (let i = 0; i < count; i++) {
      const at = offset + 2 + i * 12;
      const tag = u16(at);
      const type = u16(at + 2);
      const n = u32(at + 4);
      if (tag === undefined || type === undefined || n === undefined) break;
      const size = type === ASCII ? n : type === SHORT ? 2 * n : 4 * n;
      entries.set(tag, { type, count: n, valueAt: size <= 4 ? at + 8 : (u32(at + 8) ?? tiff.length) });
    }
    return entries;
  };
  const stringOf = (entry?: { type: number; count: number; valueAt: number }) => {
    if (!entry || entry.type !== ASCII || entry.count > MAX_STRING || entry.valueAt + entry.count > tiff.length) return undefined;
    const text = tiff
      .subarray(entry.valueAt, entry.valueAt + entry.count)
      .toString('latin1')
      .replace(/\0.*$/s, '')
      .trim();
    return text || undefined;
  };
  const numberOf = (entry?: { type: number; valueAt: number }) =>
    entry?.type === SHORT ? u16(entry.valueAt) : entry?.type === LONG ? u32(entry.valueAt) : undefined;

  const ifd0 = readIfd(u32(4) ?? tiff.length);
  const exifPointer = numberOf(ifd0.get(TAG.exifIfd));
  const exifIfd = exifPointer ? readIfd(exifPointer) : readIfd(tiff.length);
  const summary: ExifSummary = {
    orientation: numberOf(ifd0.get(TAG.orientation)),
    make: stringOf(ifd0.get(TAG.make)),
    model: stringOf(ifd0.get(TAG.model)),
    takenAt: stringOf(exifIfd.get(TAG.dateTimeOriginal)),
    modifiedAt: stringOf(ifd0.get(TAG.dateTime)),
    hasGps: ifd0.has(TAG.gpsIfd),
  };
  return Object.fromEntries(Object.entries(summary).filter(([, value]) => value !== undefined)) as unknown as ExifSummary;
}
