import QRCode from 'qrcode';

/** What a QR code can be rendered as, and the media type each is served with. */
export const QR_CODE_MEDIA_TYPES = { png: 'image/png', svg: 'image/svg+xml' } as const;
export type QrCodeFormat = keyof typeof QR_CODE_MEDIA_TYPES;

// Medium error correction and a 4-module quiet zone: what phone cameras read reliably off a screen.
// 256 pixels is plenty on a screen and costs ~10 ms of CPU; print from the SVG, which scales.
const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;
const PNG_WIDTH = 256;

/** The link as an image file: PNG bytes, or SVG markup. */
export async function renderShareQrCode(url: string, format: QrCodeFormat): Promise<Buffer | string> {
  if (format === 'svg') return QRCode.toString(url, { ...OPTIONS, type: 'svg' });
  return QRCode.toBuffer(url, { ...OPTIONS, type: 'png', width: PNG_WIDTH });
}

/** The link as the same PNG, in a `data:` URL ready for an `<img src>`. */
export async function shareQrCodeDataUrl(url: string): Promise<string> {
  const png = (await renderShareQrCode(url, 'png')) as Buffer;
  return `data:image/png;base64,${png.toString('base64')}`;
}
