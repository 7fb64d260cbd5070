import { z } from 'zod';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf, pageOf } from '../../http/schemas.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { createShare } from './createShare.ts';
import { findShareForManager } from './findShareForManager.ts';
import { revokeShare } from './revokeShare.ts';
import { presentPage } from '../../http/pagination.ts';
import { presentShare, presentSharedConversation, presentSharedMessage, shareUrl } from './share.presenter.ts';
import { QR_CODE_MEDIA_TYPES, renderShareQrCode, shareQrCodeDataUrl } from './shareQrCode.ts';
import { cookieValue, SHARE_DEVICE_COOKIE, shareDeviceCookie } from './shareDeviceCookie.ts';
import { createSharePasswordLimits } from './shares.limits.ts';
import { listSharesOfConversation, type ShareRow } from './shares.repo.ts';
import { queueUserPushes } from '../devices/queueUserPushes.ts';
import {
  CreatedShareSchema,
  CreateShareSchema,
  ListSharesSchema,
  ShareIdSchema,
  ShareQrCodeSchema,
  ShareSchema,
  ShareViewSchema,
  ViewShareSchema,
} from './shares.schemas.ts';
import { ShareViewCache } from './shareViewCache.ts';
import { ShareViewCounter } from './ShareViewCounter.ts';
import { viewShare } from './viewShare.ts';

const tag = 'shares';

/** Whether this view spent a limited link's last one, and the link has a creator (still) to tell. */
const isLastView = (share: ShareRow): share is ShareRow & { created_by: string } =>
  share.created_by !== null && share.max_views !== null && share.view_count === share.max_views;

/** Share links: managers create, list and revoke them; anyone holding one opens it. */
export function shareRoutes(api: ApiRouter, services: Services): void {
  const { db, bus, config, tokens } = services;
  const secureCookies = new URL(config.APP_URL).protocol === 'https:';
  const cache = new ShareViewCache(bus);
  const counter = new ShareViewCounter(db, services.log.child({ module: 'shares.views' }), config.SHARE_VIEW_FLUSH_MS);
  services.beforeClose(async () => {
    cache.close();
    await counter.flush();
  });
  /**
   * The view that spent a limited link's last one tells its creator's devices: the link now answers 404
   * to whoever opens it next, and they may want to make another. Exactly one view is the last (the
   * database spends views one at a time); a failure to queue is logged and the viewer still gets in.
   */
  const tellCreatorUsedUp = (share: ShareRow & { created_by: string }, title: string) =>
    queueUserPushes(db, services.jobs, [share.created_by], {
      type: 'share',
      title: 'Share link used up',
      body: `Your link to “${title}” reached its limit of ${share.max_views} ${share.max_views === 1 ? 'view' : 'views'}.`,
      url: `/c/${share.conversation_id}`,
    }).catch((error: unknown) =>
      services.log.error({ err: error, module: 'shares', shareId: share.id }, 'could not queue the used-up push'),
    );
  const viewDeps = {
    db,
    tokens,
    shareTokenTtlSeconds: config.SHARE_TOKEN_TTL_SECONDS,
    passwordLimits: createSharePasswordLimits(services),
    cache,
    counter,
  };

  api.route(
    {
      method: 'post',
      path: '/api/share',
      tag,
      summary: 'Create a share link for a conversation you manage',
      request: CreateShareSchema,
      errors: [403, 404],
      responses: { 201: { description: 'Created, with its link and QR code', schema: dataOf(CreatedShareSchema) } },
    },
    async (req, res) => {
      const share = await createShare(db, { actor: req.actor, ...req.input.body, ip: req.ip });
      const qrCode = await shareQrCodeDataUrl(shareUrl(config.APP_URL, share.id));
      res.status(201).json({ data: { ...presentShare(share, config.APP_URL), qrCode } });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/share',
      tag,
      summary: 'List the share links of a conversation you manage, newest first',
      request: ListSharesSchema,
      errors: [403, 404],
      responses: { 200: { description: 'A page', schema: pageOf(ShareSchema) } },
    },
    async (req, res) => {
      const { conversationId, limit, cursor } = req.input.query;
      await findConversationForActor(db, req.actor, conversationId, 'share');
      const rows = await listSharesOfConversation(db, conversationId, { limit, after: cursor });
      res.json(
        presentPage(
          rows,
          limit,
          (row) => [row.cursor_at, row.id],
          (row) => presentShare(row, config.APP_URL),
        ),
      );
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/share/:id',
      tag,
      summary: 'Revoke a share link: it stops working at once',
      request: ShareIdSchema,
      errors: [404],
      responses: { 204: { description: 'Revoked' } },
    },
    async (req, res) => {
      await revokeShare(db, bus, { actor: req.actor, shareId: req.input.params.id, ip: req.ip });
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/share/:id/qr',
      tag,
      summary: 'The share link as a QR code image (`?format=png` or `svg`)',
      request: ShareQrCodeSchema,
      errors: [404],
      responses: {
        200: {
          description: 'image/png, or image/svg+xml with `format=svg`',
          schema: z.string().meta({ format: 'binary' }),
          contentType: 'image/png',
        },
      },
    },
    async (req, res) => {
      const share = await findShareForManager(db, req.actor, req.input.params.id);
      const { format } = req.input.query;
      const image = await renderShareQrCode(shareUrl(config.APP_URL, share.id), format);
      // The image encodes a capability: keep it out of shared caches; an SVG must never run as a page.
      res.set({
        'Cache-Control': 'private, no-store',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'",
      });
      res.type(QR_CODE_MEDIA_TYPES[format]).send(image);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/share/:id/view',
      tag,
      auth: false,
      summary: 'Open a share link: the conversation, its messages and a share token (spends one view)',
      request: ViewShareSchema,
      errors: [401, 404, 429],
      responses: { 200: { description: 'The shared conversation', schema: dataOf(ShareViewSchema) } },
    },
    async (req, res) => {
      const { params, body } = req.input;
      const deviceToken = cookieValue(req.headers.cookie, SHARE_DEVICE_COOKIE);
      const view = await viewShare(viewDeps, { shareId: params.id, password: body?.password, ip: req.ip ?? 'unknown', deviceToken });
      if (isLastView(view.share)) void tellCreatorUsedUp(view.share, view.opening.conversation.title);
      if (view.deviceToken) res.append('Set-Cookie', shareDeviceCookie(view.deviceToken, view.share.id, secureCookies));
      res.set('Cache-Control', 'no-store').json({
        data: {
          conversation: presentSharedConversation(view.opening.conversation, view.principal, view.share),
          messages: view.opening.messages.map(presentSharedMessage),
          hasMoreMessages: view.opening.hasMoreMessages,
          token: view.token,
          permission: view.share.permission,
          expiresAt: view.expiresAt.toISOString(),
        },
      });
    },
  );
}
