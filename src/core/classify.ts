// Direction and category of a message seen in a BALF account (docs/architecture.md, « Le parcours d'un courriel »).
import { parseAddress, parseAddressList } from './address.ts';
import {
  autoReason,
  hasAutoReplyHeader,
  headerValues,
  isAutoSubmitted,
  present,
  type HeaderMap,
} from './automatic.ts';
import { subjectPrefixKind } from './replies.ts';

export { parseAddress, parseAddressList } from './address.ts';
export { autoReason, type AutoReason } from './automatic.ts';

export interface ClassifyInput {
  /** Raw "Name <addr>" or addr. */
  author: string;
  /** To + Cc, raw. */
  recipients?: readonly string[];
  /** Thunderbird specialUse of the folder ('inbox', 'sent', 'drafts', 'templates', 'outbox', 'trash', 'junk', 'archives'); [] for user folders. */
  folderSpecialUse?: readonly string[];
  /** MessageHeader.junk. */
  junk?: boolean;
  /** Raw Subject header, with its "Re:"/"TR:" prefix, when available. */
  subject?: string;
  /** Raw headers, lower-case names; `from` and `sender` are read as well as `author`. */
  headers?: HeaderMap;
  /** The BALF's own addresses (compared lower-case). */
  balfAddresses: readonly string[];
  /** Internal domains, e.g. ['dgfip.finances.gouv.fr']; subdomains count as internal. */
  internalDomains: readonly string[];
}

export type Classification =
  | { direction: 'in'; category: 'usager' | 'interne' | 'auto' | 'junk'; correspondent: string }
  | { direction: 'out'; category: 'reply' | 'forward' | 'new' | 'auto'; correspondents: string[] }
  | { direction: 'ignored'; reason: 'draft' | 'template' | 'outbox' | 'not-balf' };

function normalizeDomain(domain: string): string {
  return domain
    .trim()
    .toLowerCase()
    .replace(/^[@.]+/, '')
    .replace(/\.$/, '');
}

/** True when the address's domain is one of `domains` or a subdomain of one. */
export function isInternal(address: string, domains: readonly string[]): boolean {
  const at = address.lastIndexOf('@');
  if (at < 0) return false;
  const domain = normalizeDomain(address.slice(at + 1));
  return domains.some((d) => {
    const internal = normalizeDomain(d);
    return internal !== '' && (domain === internal || domain.endsWith(`.${internal}`));
  });
}

function sentCategory(input: ClassifyInput): 'reply' | 'forward' | 'new' | 'auto' {
  const { headers } = input;
  if (isAutoSubmitted(headers) || hasAutoReplyHeader(headers)) return 'auto';
  // The first prefix decides: "RE: TR: …" is a reply to a forward, "TR: RE: …" a forward. It comes
  // before the headers because clients also set References when forwarding.
  const prefix = input.subject === undefined ? null : subjectPrefixKind(input.subject);
  if (prefix !== null) return prefix;
  if (present(headers, 'x-forwarded-message-id')) return 'forward';
  if (present(headers, 'in-reply-to') || present(headers, 'references')) return 'reply';
  return 'new';
}

/**
 * Decides whether a message counts as received (`in`), sent (`out`) or not at all, and its category.
 * Drafts, Templates and Outbox are ignored; a message authored by the BALF is sent wherever it is
 * (an Inbox copy included); a message of a Sent folder not authored by the BALF is ignored.
 */
export function classify(input: ClassifyInput): Classification {
  const uses = new Set((input.folderSpecialUse ?? []).map((u) => u.toLowerCase()));
  if (uses.has('drafts')) return { direction: 'ignored', reason: 'draft' };
  if (uses.has('templates')) return { direction: 'ignored', reason: 'template' };
  if (uses.has('outbox')) return { direction: 'ignored', reason: 'outbox' };

  const balf = new Set(
    input.balfAddresses.map((a) => parseAddress(a).address || a.trim().toLowerCase()).filter((a) => a !== ''),
  );
  // Thunderbird's author is empty or unparsable for some machine-made From forms; the raw header decides then.
  const author =
    parseAddress(input.author).address ||
    (headerValues(input.headers, 'from').map((f) => parseAddress(f).address)[0] ?? '');
  if (author !== '' && balf.has(author)) {
    const correspondents = [
      ...new Set(
        (input.recipients ?? [])
          .flatMap((r) => parseAddressList(r))
          .map((a) => a.address)
          .filter((a) => !balf.has(a)),
      ),
    ];
    return { direction: 'out', category: sentCategory(input), correspondents };
  }
  if (uses.has('sent')) return { direction: 'ignored', reason: 'not-balf' };

  const category =
    input.junk === true || uses.has('junk')
      ? 'junk'
      : autoReason(input.author, input.subject, input.headers) !== null
        ? 'auto'
        : isInternal(author, input.internalDomains)
          ? 'interne'
          : 'usager';
  return { direction: 'in', category, correspondent: author };
}

/**
 * Received categories in the order that settles two classifications of one message made with the
 * same knowledge (both with headers, or both without): the first listed wins. Clients of one BALF can
 * disagree (a junk flag set on one workstation, internal domains configured differently); a fixed order
 * makes the stored category independent of which client uploads first, on every database. A message any
 * client saw as automatic or junk is not counted as a usager waiting for an answer.
 */
export const RECEIVED_PRECEDENCE = ['auto', 'junk', 'interne', 'usager'] as const;

/**
 * Whether an incoming classification of a received message replaces the stored one: one made with the
 * message's headers (`hdr`) beats one made from the message list alone, whatever the arrival order;
 * at equal knowledge, `RECEIVED_PRECEDENCE` decides. Equal classifications never replace each other, so
 * a replay changes nothing.
 */
export function categoryWins(
  incoming: { cat: string; hdr: boolean },
  stored: { cat: string; hdr: boolean },
): boolean {
  if (incoming.hdr !== stored.hdr) return incoming.hdr;
  if (incoming.cat === stored.cat) return false;
  const rank = (cat: string): number => {
    const i = (RECEIVED_PRECEDENCE as readonly string[]).indexOf(cat);
    return i < 0 ? RECEIVED_PRECEDENCE.length : i;
  };
  return rank(incoming.cat) < rank(stored.cat);
}
