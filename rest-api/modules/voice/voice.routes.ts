import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { NotFoundError } from '@shared/errors.ts';
import type { Services } from '@shared/services.ts';
import { AUDIO_CONTENT_TYPES, type AudioFormat } from '@shared/voice/types.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf } from '../../http/schemas.ts';
import { newAttachmentKey } from '../attachments/attachmentKeys.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { presentTranscription } from './transcription.presenter.ts';
import { transcribeUpload } from './transcribeUpload.ts';
import { findTranscriptionForUser } from './voice.repo.ts';
import {
  SynthesizeSchema,
  TranscribeSchema,
  TranscriptionIdSchema,
  TranscriptionSchema,
  VoiceSchema,
  type TranscribeQuery,
  VOICE_UPLOAD_TYPES,
} from './voice.schemas.ts';
import { voiceEnginesOf } from './voiceEngines.ts';
import { registerVoiceMetrics } from './voiceMetrics.ts';
import { createVoiceTranscribeQueue } from './voiceTranscribeQueue.ts';

const tag = 'voice';

/** The validated query of a transcribe request. */
const queryOf = (req: Request) => (req.input as { query: TranscribeQuery }).query;

/** The format asked for: `format`, else the first audio type `Accept` names, else WAV. */
function formatOf(req: Request, format?: AudioFormat): AudioFormat {
  if (format) return format;
  const accepted = req.accepts(['audio/wav', 'audio/ogg', 'audio/mpeg']);
  return accepted === 'audio/ogg' ? 'ogg' : accepted === 'audio/mpeg' ? 'mp3' : 'wav';
}

/** Speech to text, text to speech and the voices on offer; the engines are the deployment's (shared/voice). */
export function voiceRoutes(api: ApiRouter, services: Services, registry: Registry, limitMedia: RequestHandler): void {
  const { db, config, storage } = services;
  const metrics = registerVoiceMetrics(services, registry);
  services.jobs.define(createVoiceTranscribeQueue(services, metrics));
  // Before a byte of the body is read: nobody streams into a conversation they may not post in.
  const mayAttach: RequestHandler = async (req, _res, next) => {
    const { conversationId } = queryOf(req);
    if (conversationId) await findConversationForActor(db, req.actor!, conversationId, 'postMessage');
    next();
  };

  api.route(
    {
      method: 'post',
      path: '/api/voice/transcribe',
      tag,
      summary:
        'Transcribe a recording (multipart `audio`: wav, ogg/opus, webm/opus, mp3 or m4a). Up to VOICE_SYNC_SECONDS it is done in ' +
        'the request (200); longer ones go to the job queue (202, then GET the transcription). The same bytes are never transcribed twice',
      request: TranscribeSchema,
      errors: [404, 429, 503],
      before: [limitMedia, mayAttach],
      upload: {
        field: 'audio',
        maxBytes: config.VOICE_MAX_BYTES,
        accept: VOICE_UPLOAD_TYPES,
        storage,
        key: (req) => {
          const { conversationId } = queryOf(req);
          return conversationId ? newAttachmentKey(conversationId) : `voice/${req.actor!.id}/${crypto.randomUUID()}`;
        },
      },
      responses: {
        200: { description: 'Transcribed', schema: dataOf(TranscriptionSchema) },
        202: { description: 'Long: queued, `status` pending; GET it for progress and the result', schema: dataOf(TranscriptionSchema) },
      },
    },
    async (req, res) => {
      const { language, conversationId, post } = req.input.query;
      const { row, queued } = await transcribeUpload(
        { services, engines: voiceEnginesOf(services), metrics },
        { actor: req.actor, upload: req.upload!, language, conversationId, post },
      );
      res.status(queued ? 202 : 200).json({ data: presentTranscription(row) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/voice/transcriptions/:id',
      tag,
      summary: 'One of your transcriptions: its state, progress and, once done, the text and segments',
      request: TranscriptionIdSchema,
      errors: [404],
      responses: { 200: { description: 'The transcription', schema: dataOf(TranscriptionSchema) } },
    },
    async (req, res) => {
      const row = await findTranscriptionForUser(db, req.actor.id, req.input.params.id);
      if (!row) throw new NotFoundError('Transcription not found');
      res.json({ data: presentTranscription(row) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/voice/synthesize',
      tag,
      summary:
        'Speak a text (at most 5,000 characters) as WAV, Ogg/Opus or MP3 (`format`, else `Accept`). `X-Voice-Engine` names the ' +
        'engine; `X-Voice-Fallbacks` lists cloud engines that failed first',
      request: SynthesizeSchema,
      errors: [429, 503],
      before: [limitMedia],
      responses: {
        200: { description: 'The speech', schema: z.string().meta({ format: 'binary' }), contentType: 'audio/wav' },
      },
    },
    async (req, res) => {
      const { text, voice } = req.input.body;
      const started = performance.now();
      const speech = await voiceEnginesOf(services).synthesize(text, { voice, format: formatOf(req, req.input.body.format) });
      metrics.record('synthesize', speech.engine, 'ok', (performance.now() - started) / 1000);
      res.setHeader('X-Voice-Engine', speech.engine);
      if (speech.fallbacks.length > 0) {
        res.setHeader(
          'X-Voice-Fallbacks',
          speech.fallbacks.map((f) => `${f.engine}: ${f.reason}`.replace(/[^\x20-\x7e]/g, '?')).join('; '),
        );
      }
      res.type(AUDIO_CONTENT_TYPES[speech.format]).send(speech.audio);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/voice/voices',
      tag,
      summary: 'The voices the configured engines offer, the preferred engine’s first',
      responses: { 200: { description: 'The voices', schema: dataOf(z.array(VoiceSchema)) } },
    },
    (_req, res) => {
      res.json({ data: voiceEnginesOf(services).voices() });
    },
  );
}
