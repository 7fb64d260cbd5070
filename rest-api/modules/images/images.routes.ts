import type { Request, RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { NotFoundError } from '@shared/errors.ts';
import type { Services } from '@shared/services.ts';
import { VisionEngines } from '@shared/vision/VisionEngines.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf } from '../../http/schemas.ts';
import { createAuthenticateUserOrShare, principalOf } from '../../middleware/authenticateUserOrShare.ts';
import { newAttachmentKey } from '../attachments/attachmentKeys.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { analyzeImage } from './analyzeImage.ts';
import { createImageAnalyzeQueue } from './imageAnalyzeQueue.ts';
import { newImageKey } from './imageKeys.ts';
import { HoldAndStoreUploads } from './HoldAndStoreUploads.ts';
import { createImageMetrics } from './imageMetrics.ts';
import { findAnalysisForUser } from './images.repo.ts';
import { AnalysisIdSchema, AnalyzeImageSchema, IMAGE_TYPES, ImageAnalysisSchema } from './images.schemas.ts';
import { presentAnalysis } from './images.presenter.ts';
import { findAnalysisForViewer } from './findAnalysisForViewer.ts';
import { sendThumbnail } from './sendThumbnail.ts';

const tag = 'images';

/** The validated query of an analyze request. */
const queryOf = (req: Request) => (req.input as z.infer<typeof AnalyzeImageSchema>).query;

/**
 * Images shown to the product: metadata, a thumbnail, the text in them, the objects, a description —
 * by local engines (sharp, tesseract.js, centernet), and by OpenAI and Google Vision when configured.
 */
export function imageRoutes(api: ApiRouter, services: Services, registry: Registry, limitMedia: RequestHandler): void {
  const { db, storage, config, jobs } = services;
  const log = services.log.child({ module: 'images' });
  const engines = new VisionEngines(config, log);
  services.beforeClose(() => engines.close());
  // Tests start engines on first use; a server loads the OCR model and the object model while it starts.
  if (config.NODE_ENV !== 'test')
    void engines.warmUp().catch((error: unknown) => log.error({ err: error }, 'image engines did not warm up'));
  const metrics = createImageMetrics(registry);
  const deps = { db, storage, jobs, config, engines, metrics, log };
  const uploads = new HoldAndStoreUploads(storage, config.IMAGE_SYNC_BYTES);
  jobs.define(createImageAnalyzeQueue(deps));

  // Before a byte of the body is read: nobody streams into a conversation what they may not post there.
  const mayAttach: RequestHandler = async (req, _res, next) => {
    const { conversationId } = queryOf(req);
    if (conversationId) await findConversationForActor(db, req.actor!, conversationId, 'postMessage');
    next();
  };

  api.route(
    {
      method: 'post',
      path: '/api/image/analyze',
      tag,
      summary:
        'Analyse an image (multipart `image`): metadata, a WebP thumbnail, text with word boxes, objects, a description. ' +
        'The same bytes are analysed once (`cached`). Larger than IMAGE_SYNC_BYTES: 202, then poll GET /api/image/analyses/{id}',
      request: AnalyzeImageSchema,
      errors: [404, 413, 429],
      before: [limitMedia, mayAttach],
      upload: {
        field: 'image',
        maxBytes: config.IMAGE_MAX_BYTES,
        accept: IMAGE_TYPES,
        storage: uploads,
        key: (req) => {
          const { conversationId } = queryOf(req);
          return conversationId ? newAttachmentKey(conversationId) : newImageKey(req.actor!.id);
        },
      },
      responses: {
        200: { description: 'Analysed', schema: dataOf(ImageAnalysisSchema) },
        202: { description: 'Queued: `status` pending or running, `progress` 0–1', schema: dataOf(ImageAnalysisSchema) },
      },
    },
    async (req, res) => {
      const { features, conversationId } = req.input.query;
      const upload = req.upload!;
      const held = uploads.take(upload.key);
      // Held for a minute: only a handler that never ran (a broken form) finds them gone.
      if (!held) throw new Error(`the bytes of upload ${upload.key} are no longer held`);
      const { bytes, stored, release } = held;
      const { row, pending } = await analyzeImage(deps, {
        actor: req.actor,
        upload,
        bytes,
        stored,
        releaseBytes: release,
        features,
        conversationId,
      });
      res.status(pending ? 202 : 200).json({ data: presentAnalysis(row) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/image/analyses/:id',
      tag,
      summary: 'One of your image analyses: its progress while queued, then its result',
      request: AnalysisIdSchema,
      errors: [404],
      responses: { 200: { description: 'The analysis', schema: dataOf(ImageAnalysisSchema) } },
    },
    async (req, res) => {
      const row = await findAnalysisForUser(db, req.actor.id, req.input.params.id);
      if (!row) throw new NotFoundError('Image analysis not found');
      res.json({ data: presentAnalysis(row) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/image/analyses/:id/thumbnail',
      tag,
      auth: false,
      summary:
        'The thumbnail of an analysed image (WebP, no EXIF). Bearer: the access token of its owner or of a reader of its ' +
        'conversation, or the share token of a share view of that conversation',
      request: AnalysisIdSchema,
      errors: [401, 404],
      before: [createAuthenticateUserOrShare(services.tokens, services.accessTokens)],
      responses: { 200: { description: 'The WebP bytes', schema: z.string().meta({ format: 'binary' }), contentType: 'image/webp' } },
    },
    async (req, res) => {
      const row = await findAnalysisForViewer(db, principalOf(req), req.input.params.id);
      await sendThumbnail({ storage, log }, res, row);
    },
  );
}
