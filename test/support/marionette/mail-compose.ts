// Writes and sends mail in a real Thunderbird through Marionette, as an agent does: opens the compose window
// the Reply / Reply all / Forward buttons open for a message, changes the From identity or adds a recipient
// when asked, sends (Thunderbird's own send: SMTP, then the copy to the identity's Sent over IMAP), closes
// the error dialog of a failed send, and records the alert windows Thunderbird shows.
import type { Marionette } from './marionette.ts';

export type ComposeKind = 'reply' | 'replyAll' | 'forward';

export interface ComposeOptions {
  /** Address of the account whose Inbox holds the message. */
  account: string;
  /** Message-ID of the message, without brackets. */
  messageId: string;
  kind: ComposeKind;
  /** Switch the From menu to this identity's address before sending (the default is the account's). */
  from?: string;
  /** Recipients to add (a forward has none). */
  to?: readonly string[];
}

export interface AlertShown {
  title: string;
  text: string;
}

/** The message header of `args[0]`'s Inbox with Message-ID `args[1]`, syncing the folder until it is there. */
const FIND_MESSAGE = `
  const { MailServices } = ChromeUtils.importESModule('resource:///modules/MailServices.sys.mjs');
  const account = MailServices.accounts.accounts.find((a) => a.incomingServer.username === args[0]);
  if (!account) throw new Error('compte absent : ' + args[0]);
  const until = Date.now() + args[2];
  for (;;) {
    const inbox = account.incomingServer.rootFolder.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
    let hdr = null;
    try {
      hdr = inbox?.msgDatabase.getMsgHdrForMessageID(args[1]) ?? null;
    } catch {}
    if (hdr) return { MailServices, hdr };
    if (Date.now() > until) throw new Error('message ' + args[1] + ' absent de la boîte de réception de ' + args[0]);
    try {
      inbox?.updateFolder(null);
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }`;

export class MailComposer {
  constructor(private readonly ui: Marionette) {}

  /** From now on, keeps the title and text of every alert window Thunderbird opens. */
  async watchAlerts(): Promise<void> {
    await this.ui.run(`
      if (window.__suiviAlerts) return;
      window.__suiviAlerts = [];
      Services.ww.registerNotification({
        observe(subject, topic) {
          if (topic !== 'domwindowopened') return;
          subject.addEventListener('load', () => {
            if (!subject.location.href.includes('alerts/alert.xhtml')) return;
            const doc = subject.document;
            window.__suiviAlerts.push({
              title: doc.getElementById('alertTitleLabel')?.getAttribute('value') ?? doc.getElementById('alertTitleLabel')?.textContent ?? '',
              text: doc.getElementById('alertTextLabel')?.textContent ?? '',
            });
          }, { once: true });
        },
      });`);
  }

  async alerts(): Promise<AlertShown[]> {
    return this.ui.run<AlertShown[]>(`return window.__suiviAlerts ?? [];`);
  }

  /** Waits until Thunderbird holds the message in the account's Inbox. */
  async waitForMessage(account: string, messageId: string, timeoutMs = 60_000): Promise<void> {
    await this.ui.run(
      `await (async () => { ${FIND_MESSAGE} })(); return true;`,
      [account, messageId, timeoutMs],
      timeoutMs + 10_000,
    );
  }

  /** Opens the compose window for the message, ready to send (identity and recipients as asked). */
  async open(options: ComposeOptions): Promise<void> {
    await this.ui.run(
      `const { MailServices: ms, hdr } = await (async () => { ${FIND_MESSAGE} })();
       const types = { reply: Ci.nsIMsgCompType.ReplyToSender, replyAll: Ci.nsIMsgCompType.ReplyAll, forward: Ci.nsIMsgCompType.ForwardInline };
       const before = new Set([...Services.wm.getEnumerator('msgcompose')]);
       // What the Reply, Reply all and Forward buttons call, with the identity Thunderbird picks for the message.
       const { MailUtils } = ChromeUtils.importESModule('resource:///modules/MailUtils.sys.mjs');
       const [identity] = MailUtils.getIdentityForHeader(hdr, types[args[3]]);
       ms.compose.OpenComposeWindow(null, hdr, hdr.folder.getUriForMsg(hdr), types[args[3]],
         Ci.nsIMsgCompFormat.Default, identity, null, null);
       let win;
       for (let i = 0; i < 300; i += 1) {
         win = [...Services.wm.getEnumerator('msgcompose')].find((w) => !before.has(w));
         if (win?.gMsgCompose && win.gLoadingComplete) break;
         await new Promise((r) => setTimeout(r, 100));
       }
       if (!win?.gLoadingComplete) throw new Error('fenêtre de rédaction non ouverte');
       if (args[4]) {
         // The From menu, as the agent changes it.
         const identity = ms.accounts.allIdentities.find((i) => i.email === args[4]);
         if (!identity) throw new Error('identité absente : ' + args[4]);
         const menu = win.document.getElementById('msgIdentity');
         const item = [...menu.menupopup.children].find((i) => i.getAttribute('identitykey') === identity.key);
         if (!item) throw new Error("l'identité " + args[4] + " n'est pas dans le menu De");
         menu.selectedItem = item;
         win.LoadIdentity(false);
         if (win.gCurrentIdentity?.email !== args[4]) throw new Error('identité non changée');
       }
       if (args[5].length > 0) {
         win.addressRowAddRecipientsArray(win.document.querySelector('.address-row[data-recipienttype="addr_to"]'), args[5]);
       }
       window.__suiviCompose = win;`,
      [options.account, options.messageId, 60_000, options.kind, options.from ?? null, options.to ?? []],
      90_000,
    );
  }

  /**
   * Clicks Send in the open compose window (Thunderbird sends now, then saves the copy). Send stays disabled
   * while the window is locked by a send still winding down (after a failed send, until its progress stops):
   * Thunderbird ignores a click then, as the agent's greyed button would, so this waits for the button
   * like the agent does, and says why when it never comes back.
   */
  async send(timeoutMs = 60_000): Promise<void> {
    await this.ui.run(
      `const win = window.__suiviCompose;
       if (!win || win.closed) throw new Error('aucune fenêtre de rédaction ouverte');
       const until = Date.now() + args[0];
       for (;;) {
         const controller = win.document.commandDispatcher.getControllerForCommand('cmd_sendNow');
         if (controller?.isCommandEnabled('cmd_sendNow') && !win.gSendOperationInProgress) break;
         if (Date.now() > until) {
           throw new Error('bouton Envoyer resté désactivé : ' + JSON.stringify({
             locked: win.gWindowLocked, sending: win.gSendOperationInProgress, sendLocked: win.gSendLocked,
             offline: Services.io.offline }));
         }
         await new Promise((r) => setTimeout(r, 200));
       }
       win.goDoCommand('cmd_sendNow');`,
      [timeoutMs],
      timeoutMs + 10_000,
    );
  }

  /** Whether the compose window of the last `open` is still open (it closes after a successful send). */
  async composeOpen(): Promise<boolean> {
    return this.ui.run<boolean>(`return Boolean(window.__suiviCompose && !window.__suiviCompose.closed);`);
  }

  /** Waits for the « Send Message Error » dialog of a failed send, clicks OK, returns its text. */
  async dismissSendError(timeoutMs = 60_000): Promise<string> {
    return this.ui.run<string>(
      `const until = Date.now() + args[0];
       for (;;) {
         for (const w of Services.wm.getEnumerator(null)) {
           if (!w.location.href.includes('commonDialog')) continue;
           // The dialog window may still be loading.
           const dialog = w.document.readyState === 'complete' ? w.document.querySelector('dialog') : null;
           if (!dialog) continue;
           const text = w.document.getElementById('infoBody')?.textContent ?? '';
           dialog.getButton('accept').click();
           return text;
         }
         if (Date.now() > until) throw new Error("pas de dialogue d'erreur d'envoi");
         await new Promise((r) => setTimeout(r, 200));
       }`,
      [timeoutMs],
      timeoutMs + 10_000,
    );
  }
}
