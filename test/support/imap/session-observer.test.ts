// The IMAP session observer: when a client has downloaded and stored a mailbox's headers, from both byte streams.
import { describe, expect, it } from 'vitest';
import { folderKey, observeSession } from './session-observer.ts';

const HEADER_FETCH =
  'UID fetch 1:2 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)])';

function session(): { stored: string[]; send: (from: 'c' | 's', text: string) => void } {
  const stored: string[] = [];
  const observer = observeSession({ headersFetched: (mailbox) => stored.push(mailbox) });
  return {
    stored,
    send: (from, text) => (from === 'c' ? observer.client : observer.server)(Buffer.from(text, 'latin1')),
  };
}

describe('observeSession', () => {
  it("tells a folder's headers once the client sends its next command after the FETCH's OK", () => {
    const s = session();
    s.send('c', 'a1 select "Dossiers/Traites"\r\n');
    s.send('s', 'a1 OK [READ-WRITE] Select completed.\r\n');
    s.send('c', `a2 ${HEADER_FETCH}\r\n`);
    s.send(
      's',
      '* 1 FETCH (UID 1 BODY[HEADER.FIELDS (From)] {12}\r\nFrom: a@b\r\n\r\n)\r\na2 OK Fetch completed.\r\n',
    );
    // Answered, but Thunderbird may still be writing the headers to its folder database.
    expect(s.stored).toEqual([]);
    s.send('c', 'a3 IDLE\r\n');
    expect(s.stored).toEqual(['Dossiers/Traites']);
  });

  it('skips the content of literals: a header line that looks like a tagged answer is data', () => {
    const s = session();
    s.send('c', 'a1 SELECT INBOX\r\n');
    s.send('s', 'a1 OK Select completed.\r\n');
    s.send('c', `a2 ${HEADER_FETCH}\r\n`);
    const data = 'Subject: x\r\na2 OK fake\r\n';
    // The literal split across two chunks, as TCP may deliver it.
    s.send('s', `* 1 FETCH (BODY[HEADER] {${data.length}}\r\n${data.slice(0, 15)}`);
    s.send('s', `${data.slice(15)})\r\n`);
    s.send('c', 'DONE\r\n');
    expect(s.stored).toEqual([]);
    s.send('s', 'a2 OK Fetch completed.\r\n');
    s.send('c', 'a3 NOOP\r\n');
    expect(s.stored).toEqual(['INBOX']);
  });

  it('tells nothing for a failed FETCH, a flags-only FETCH, or a FETCH outside a selected mailbox', () => {
    const s = session();
    const exchanges: [string, string][] = [
      [HEADER_FETCH, 'OK Fetch completed.'],
      ['SELECT Sent', 'NO Mailbox does not exist.'],
      [HEADER_FETCH, 'OK Fetch completed.'],
      ['SELECT INBOX', 'OK Select completed.'],
      ['UID fetch 1:* (FLAGS)', 'OK Fetch completed.'],
      [HEADER_FETCH, 'NO Fetch failed.'],
      ['NOOP', 'OK NOOP completed.'],
    ];
    exchanges.forEach(([command, answer], i) => {
      s.send('c', `a${i} ${command}\r\n`);
      s.send('s', `a${i} ${answer}\r\n`);
    });
    expect(s.stored).toEqual([]);
  });
});

describe('folderKey', () => {
  it('spells a Maildir++ directory and an IMAP mailbox alike', () => {
    expect(folderKey('', 'maildir')).toBe('INBOX');
    expect(folderKey('inbox', 'imap')).toBe('INBOX');
    expect(folderKey('.Dossiers.Traites', 'maildir')).toBe('Dossiers/Traites');
    expect(folderKey('Dossiers.Traites', 'imap')).toBe('Dossiers/Traites');
    expect(folderKey('Dossiers/Traites', 'imap')).toBe('Dossiers/Traites');
  });
});
