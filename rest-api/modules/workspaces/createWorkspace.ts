import type { Knex } from 'knex';
import slugify from 'slugify';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { WorkspaceForActor } from './findWorkspaceForActor.ts';
import { isUniqueViolation } from '@shared/db.ts';
import { findSlugsLike, insertMember, insertWorkspace } from './workspaces.repo.ts';

interface Props {
  /** Who creates it: they become its owner and first admin. */
  actor: Actor;
  /** Display name; the slug is made from it once. */
  name: string;
}

/** Concurrent creations with one name can each lose the race for a slug; each loss looks again. */
const MAX_ATTEMPTS = 10;
const MAX_SLUG_BASE_LENGTH = 60;

/** `Acme Inc.` → `acme-inc`; a name with nothing slugify can spell (emoji, CJK) → `workspace`. */
export function slugBase(name: string): string {
  const slug = slugify(name, { lower: true, strict: true, trim: true });
  return slug.slice(0, MAX_SLUG_BASE_LENGTH).replace(/-+$/, '') || 'workspace';
}

/** The base itself when free, otherwise the lowest free `base-2`, `base-3`, … */
async function findFreeSlug(db: Knex, base: string): Promise<string> {
  const taken = new Set(await findSlugsLike(db, base));
  if (!taken.has(base)) return base;
  let suffix = 2;
  while (taken.has(`${base}-${suffix}`)) suffix += 1;
  return `${base}-${suffix}`;
}

/** Creates a workspace with a unique slug; the creator becomes its owner and an admin member. */
export async function createWorkspace(db: Knex, props: Props): Promise<WorkspaceForActor> {
  const base = slugBase(props.name);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.transaction(async (trx) => {
        const slug = await findFreeSlug(trx, base);
        const workspace = await insertWorkspace(trx, { name: props.name, slug, owner_id: props.actor.id });
        await insertMember(trx, { workspace_id: workspace.id, user_id: props.actor.id, role: 'admin' });
        await writeAudit(trx, {
          actorId: props.actor.id,
          action: 'workspace.created',
          subjectType: 'workspace',
          subjectId: workspace.id,
          data: { name: workspace.name, slug },
        });
        return { ...workspace, role: 'admin' as const };
      });
    } catch (error) {
      // Another creation took the slug between our look and our insert: the unique index refused ours.
      if (attempt < MAX_ATTEMPTS && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}
