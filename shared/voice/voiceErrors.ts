import { AppError, ValidationError } from '../errors.ts';

/** 503: a local engine's program is not installed; the message names the Debian package that provides it. */
export class EngineUnavailableError extends AppError {
  constructor(
    readonly binary: string,
    readonly debianPackage: string,
  ) {
    super(503, 'engine_unavailable', `${binary} is not installed on the server: install the Debian package \`${debianPackage}\``);
  }
}

/** 415: ffmpeg found no audio it could decode in the bytes. */
export const notAudio = (detail: string) =>
  new AppError(415, 'unsupported_media_type', `The file holds no audio that could be decoded (${detail})`);

/** 400: the recording is longer than VOICE_MAX_SECONDS. */
export const tooLong = (maxSeconds: number) =>
  new ValidationError(`The recording is longer than the limit of ${maxSeconds} seconds`, undefined, 'audio_too_long');
