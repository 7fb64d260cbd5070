import type { Extension, onAuthenticatePayload } from '@hocuspocus/server';
import { z } from 'zod';
import type { PersonPrincipal } from '@shared/access/index.ts';
import type { AccessTokenVerifier } from '@shared/accessTokens.ts';
import { readCollabToken, type TokenSettings } from '@shared/auth.ts';
import type { Db } from '@shared/db.ts';
import { conversationIdOf } from '@shared/documents/conversationDocument.ts';
import { AppError, AuthenticationError, NotFoundError, ValidationError } from '@shared/errors.ts';
import { DatabaseFailoverError } from '@shared/failover/DatabaseFailoverError.ts';
import { isFailoverError } from '@shared/failover/isFailoverError.ts';
import type { Logger } from '@shared/logger.ts';
import { CollabRefusal } from '../CollabRefusal.ts';
import { currentAccess } from '../currentAccess.ts';
import type { SessionRevocations } from '@shared/sessionRevocations.ts';

/** What every later hook finds in `context` once a connection is authenticated. */
export interface CollabContext {
  /** Who is connected: a signed-in user, or the holder of a share link's token. */
  actor: PersonPrincipal;
  /** The conversation behind the document, parsed once here so later hooks never re-parse the name. */
  conversationId: string;
  /** The session generation of the user's access token, to check it against sessions ended later. */
  tokenGeneration?: number;
  /** How many access events the node had received when the connection arrived (AccessEventsExtension). */
  accessEventsSeen?: number;
}

const Token = z.string().min(1);

interface AuthExtensionOptions {
  db: Db;
  tokens: TokenSettings;
  /** The REST API's check of access tokens: the user exists, the session generation is current. */
  accessTokens: AccessTokenVerifier;
  log: Logger;
  /** Called with the reason of every refused connection, for the metrics. */
  onRefused?: (reason: string) => void;
  /** Users whose sessions were revoked: their older access tokens are refused. */
  revocations: SessionRevocations;
}

/**
 * Decides who may open which document: the same JWT the REST API issues (or a share link's token), and
 * the same access rules.
 * Readers who may not update get a read-only connection. It runs before every other extension.
 */
export class AuthExtension implements Extension {
  readonly priority = 1000;
  readonly extensionName = 'AuthExtension';
  private readonly log: Logger;

  constructor(private readonly options: AuthExtensionOptions) {
    this.log = options.log.child({ module: 'collab.auth' });
  }

  async onAuthenticate(payload: onAuthenticatePayload): Promise<CollabContext> {
    const { socketId } = payload;
    // The name is the client's to choose and may be huge; a log line needs only enough to recognise it.
    const documentName = payload.documentName.slice(0, 120);
    try {
      const context = await this.authenticate(payload);
      // Later onAuthenticate hooks (the connection limit) get a copy of the payload made before this hook
      // returned, so its context only shows them the actor if we write it there too
      // (ClientConnection.ts › handleQueueingMessage).
      Object.assign(payload.context as object, context);
      this.log.debug(
        {
          documentName,
          socketId,
          actorId: context.actor.type === 'user' ? context.actor.id : undefined,
          shareId: context.actor.type === 'share' ? context.actor.shareId : undefined,
          readOnly: payload.connectionConfig.readOnly,
        },
        'connection authenticated',
      );
      return context;
    } catch (thrown) {
      // Losing the database mid-check (a failover) is a reason to connect again, as the REST API answers
      // it (errorHandler.ts), not internal_error: the provider stays refused until its client reconnects.
      const error = isFailoverError(thrown) && !(thrown instanceof AppError) ? new DatabaseFailoverError() : thrown;
      const refusal = new CollabRefusal(error);
      if (error !== thrown) this.log.warn({ err: thrown, documentName, socketId }, 'connection refused: database unavailable');
      else if (error instanceof AppError) this.log.info({ documentName, socketId, reason: refusal.reason }, 'connection refused');
      else this.log.error({ err: error, documentName, socketId }, 'connection refused: authentication failed unexpectedly');
      this.options.onRefused?.(refusal.reason);
      throw refusal;
    }
  }

  private async authenticate({ token, documentName, connectionConfig }: onAuthenticatePayload): Promise<CollabContext> {
    // The REST order: authenticate, then validate, so an anonymous client learns nothing about names.
    const parsedToken = Token.safeParse(token);
    if (!parsedToken.success) throw new AuthenticationError();
    const read = readCollabToken(this.options.tokens, parsedToken.data);
    // An access token is checked as the REST API checks it — the user exists, the session is current —
    // before the name is even looked at.
    const claims = read.kind === 'access' ? await this.options.accessTokens.verifyClaims(read.claims) : undefined;
    const actor = read.kind === 'share' ? read.principal : claims!.actor;
    const tokenGeneration = claims?.generation;
    // `conversation:<uuid>`, the uuid in lower case: one conversation, one document.
    const conversationId = conversationIdOf(documentName);
    if (!conversationId) {
      throw new ValidationError('Document names are conversation:<uuid>, the uuid in lower case', undefined, 'invalid_document_name');
    }

    const access = await currentAccess(this.options, actor, conversationId, tokenGeneration);
    if (access.kind === 'session_revoked') throw new AuthenticationError('Session revoked', 'session_revoked');
    // Missing and not-yours are one answer, as in the REST API: existence is never revealed.
    if (access.kind === 'none') throw new NotFoundError('Conversation not found');
    connectionConfig.readOnly = access.readOnly;
    return { actor, conversationId, tokenGeneration };
  }
}
