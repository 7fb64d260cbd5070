import { AppError } from '../errors.ts';

/** 400: the bytes claim to be an image but cannot be decoded (truncated, corrupt). */
export const imageInvalid = (detail: string) => new AppError(400, 'image_invalid', `The image cannot be read: ${detail}`);

/** 413: more pixels than IMAGE_MAX_PIXELS; refused from the header, before any pixel is decoded. */
export const imageTooLarge = (width: number, height: number, maxPixels: number) =>
  new AppError(413, 'image_too_large', `The image is ${width}×${height} pixels; at most ${maxPixels} pixels are decoded`);
