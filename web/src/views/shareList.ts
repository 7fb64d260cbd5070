import type { Permission, Share } from '../api.ts';
import { formatTime, h } from '../dom.ts';

/** How each permission reads in the panel. */
export const PERMISSION_LABELS: Record<Permission, string> = { read: 'Can read', comment: 'Can comment', edit: 'Can edit' };

export interface ShareList {
  el: HTMLElement;
  /** Shows these links, newest first, reusing the rows already shown. */
  show(shares: readonly Share[]): void;
}

interface Row {
  el: HTMLLIElement;
  facts: HTMLElement;
  isRevoked: boolean;
}

/**
 * A conversation's share links, each with its permission, password, expiry and views. The list is
 * refreshed every few seconds, so rows are updated in place rather than rebuilt: focus on a Revoke
 * button, and whatever a screen reader is on, survive a refresh.
 */
export function shareList(revoke: (share: Share) => void): ShareList {
  const list = h('ul', { class: 'list shares', 'aria-label': 'Share links' });
  const rows = new Map<string, Row>();

  function buildRow(share: Share): Row {
    const facts = h('span', { class: 'muted share-facts' }, factsOf(share));
    const el = h(
      'li',
      { class: share.revokedAt ? 'share revoked' : 'share', 'data-share-id': share.id },
      h('a', { href: share.url, target: '_blank', rel: 'noopener', class: 'share-url' }, `/share/${share.id.slice(0, 8)}…`),
      facts,
      share.revokedAt ? null : h('button', { type: 'button', class: 'danger small', onclick: () => revoke(share) }, 'Revoke'),
    );
    return { el, facts, isRevoked: Boolean(share.revokedAt) };
  }

  return {
    el: list,
    show(shares) {
      const next = shares.map((share) => {
        let row = rows.get(share.id);
        if (!row || row.isRevoked !== Boolean(share.revokedAt)) {
          row = buildRow(share);
          rows.set(share.id, row);
        } else {
          const text = factsOf(share);
          if (row.facts.textContent !== text) row.facts.textContent = text;
        }
        return row.el;
      });
      const shown = new Set(shares.map((share) => share.id));
      for (const id of [...rows.keys()]) if (!shown.has(id)) rows.delete(id);
      const current = [...list.children];
      if (current.length !== next.length || current.some((el, i) => el !== next[i])) list.replaceChildren(...next);
    },
  };
}

function factsOf(share: Share): string {
  if (share.revokedAt) return 'revoked';
  const views = share.maxViews
    ? `${share.viewCount}/${share.maxViews} views`
    : `${share.viewCount} ${share.viewCount === 1 ? 'view' : 'views'}`;
  return [
    PERMISSION_LABELS[share.permission],
    share.hasPassword ? 'password' : null,
    share.expiresAt ? `until ${formatTime(share.expiresAt)}` : null,
    views,
  ]
    .filter(Boolean)
    .join(' · ');
}
