import { z } from 'zod';
import { WORKSPACE_ROLES } from '@shared/access/index.ts';
import { pageQuery } from '../../http/pagination.ts';
import { Email, IdParam, Text } from '../../http/schemas.ts';

// A name is one line: it goes into email subjects, where a line break would start a new header.
const Name = Text()
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
  .trim()
  .min(1)
  .max(100);
const Role = z.enum(WORKSPACE_ROLES);

const WorkspaceParams = z.object({ id: IdParam });

export const CreateWorkspaceSchema = z.object({ body: z.strictObject({ name: Name }) });
export const ListWorkspacesSchema = z.object({ query: pageQuery('text') });
export const WorkspaceIdSchema = z.object({ params: WorkspaceParams });
export const UpdateWorkspaceSchema = z.object({ params: WorkspaceParams, body: z.strictObject({ name: Name }) });

export const ListMembersSchema = z.object({ params: WorkspaceParams, query: pageQuery('text') });
export const MemberIdSchema = z.object({ params: z.object({ id: IdParam, userId: IdParam }) });
export const ChangeMemberRoleSchema = z.object({
  params: z.object({ id: IdParam, userId: IdParam }),
  body: z.strictObject({ role: Role }),
});
export const TransferOwnershipSchema = z.object({ params: WorkspaceParams, body: z.strictObject({ userId: IdParam }) });

export const InviteMemberSchema = z.object({
  params: WorkspaceParams,
  body: z.strictObject({ email: Email, role: Role.default('member') }),
});
export const ListInvitationsSchema = z.object({ params: WorkspaceParams, query: pageQuery('text') });
export const InvitationIdSchema = z.object({ params: z.object({ id: IdParam, invitationId: IdParam }) });
export const AcceptInvitationSchema = z.object({
  body: z.strictObject({ token: Text().min(1).max(200).describe('The `token` parameter of the emailed link') }),
});

const Timestamp = z.iso.datetime();

export const WorkspaceSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    slug: z.string().describe('Unique, made from the name at creation; never changes'),
    ownerId: z.uuid(),
    role: Role.describe('Your role in the workspace'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    policies: z.record(z.string(), z.boolean()).describe('What you may do: update, manageMembers, invite, delete, …'),
  })
  .meta({ id: 'Workspace' });

export const MemberSchema = z
  .object({
    userId: z.uuid(),
    name: z.string(),
    email: z.string(),
    role: Role,
    isOwner: z.boolean(),
    joinedAt: Timestamp,
  })
  .meta({ id: 'WorkspaceMember' });

export const InvitationSchema = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    email: z.string(),
    role: Role,
    invitedBy: z.uuid().nullable(),
    status: z.enum(['pending', 'expired']).describe('Expired invitations stay listed until resent or revoked'),
    expiresAt: Timestamp,
    createdAt: Timestamp,
    emailStatus: z
      .enum(['held', 'queued', 'sent', 'failed'])
      .nullable()
      .describe('The latest email: held in the outbox (no SMTP server), queued, sent, or failed after every retry'),
  })
  .meta({ id: 'WorkspaceInvitation' });
