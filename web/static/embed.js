/* commentd widget: <div id="comments" data-article="ID"></div>
 * <script src="https://HOST/embed.js" async></script>
 * Optional: data-sso="<HS256 JWT from the publisher>" signs the reader in.
 * No framework, no globals (one IIFE), styles scoped in a shadow root, and
 * every piece of reader text inserted as text, never as HTML. */
(function () {
  'use strict';

  var me = document.currentScript;
  if (!me || !me.src) return;
  var base = new URL('.', me.src); // the API lives next to this script

  // Themes: every colour is a custom property that a publisher may set on
  // the host element (--commentd-fg, --commentd-bg, …; docs/readers.md);
  // data-theme="light" or "dark" chooses a palette, and without it (or
  // with "auto") the reader's prefers-color-scheme does.
  var CSS = [
    ':host{display:block;font:16px/1.5 var(--commentd-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);--c-fg:var(--commentd-fg,#1a1a1a);--c-bg:var(--commentd-bg,#ffffff);--c-muted:var(--commentd-muted,#4a4a4a);--c-line:var(--commentd-line,#e3e3e3);--c-accent:var(--commentd-accent,#0b57d0);--c-accent-fg:var(--commentd-accent-fg,#ffffff);--c-field-bg:var(--commentd-field-bg,#ffffff);--c-field-fg:var(--commentd-field-fg,#1a1a1a);--c-field-border:var(--commentd-field-border,#767676);--c-pending-bg:var(--commentd-pending-bg,#fff4d6);--c-pending-border:var(--commentd-pending-border,#b58a00);--c-pending-fg:var(--commentd-pending-fg,#4d3b00);--c-bad-bg:var(--commentd-bad-bg,#fbeeee);--c-bad-border:var(--commentd-bad-border,#aa3333);--c-bad-fg:var(--commentd-bad-fg,#6b1111);--c-bad-text:var(--commentd-bad-text,#aa1111);--c-ok:var(--commentd-ok,#1d5e20);--c-focus:var(--commentd-focus,#f5a623);color:var(--c-fg);background:var(--c-bg);padding:var(--commentd-padding,.5rem .75rem);border-radius:var(--commentd-radius,6px);color-scheme:light}',
    ':host([data-theme=dark]){--c-fg:var(--commentd-fg,#e8e8e8);--c-bg:var(--commentd-bg,#16181c);--c-muted:var(--commentd-muted,#b4b4b4);--c-line:var(--commentd-line,#3a3d44);--c-accent:var(--commentd-accent,#8ab4f8);--c-accent-fg:var(--commentd-accent-fg,#0b1a33);--c-field-bg:var(--commentd-field-bg,#202329);--c-field-fg:var(--commentd-field-fg,#e8e8e8);--c-field-border:var(--commentd-field-border,#8a8f99);--c-pending-bg:var(--commentd-pending-bg,#3a2f0b);--c-pending-border:var(--commentd-pending-border,#d6a920);--c-pending-fg:var(--commentd-pending-fg,#ffe6a3);--c-bad-bg:var(--commentd-bad-bg,#3d1517);--c-bad-border:var(--commentd-bad-border,#e06c6c);--c-bad-fg:var(--commentd-bad-fg,#ffc9c9);--c-bad-text:var(--commentd-bad-text,#ff9b9b);--c-ok:var(--commentd-ok,#8fd694);--c-focus:var(--commentd-focus,#f5a623);color-scheme:dark}',
    '@media (prefers-color-scheme:dark){:host(:not([data-theme=light])){--c-fg:var(--commentd-fg,#e8e8e8);--c-bg:var(--commentd-bg,#16181c);--c-muted:var(--commentd-muted,#b4b4b4);--c-line:var(--commentd-line,#3a3d44);--c-accent:var(--commentd-accent,#8ab4f8);--c-accent-fg:var(--commentd-accent-fg,#0b1a33);--c-field-bg:var(--commentd-field-bg,#202329);--c-field-fg:var(--commentd-field-fg,#e8e8e8);--c-field-border:var(--commentd-field-border,#8a8f99);--c-pending-bg:var(--commentd-pending-bg,#3a2f0b);--c-pending-border:var(--commentd-pending-border,#d6a920);--c-pending-fg:var(--commentd-pending-fg,#ffe6a3);--c-bad-bg:var(--commentd-bad-bg,#3d1517);--c-bad-border:var(--commentd-bad-border,#e06c6c);--c-bad-fg:var(--commentd-bad-fg,#ffc9c9);--c-bad-text:var(--commentd-bad-text,#ff9b9b);--c-ok:var(--commentd-ok,#8fd694);--c-focus:var(--commentd-focus,#f5a623);color-scheme:dark}}',
    '*{box-sizing:border-box}',
    'h2{font-size:1.15rem;margin:.2rem 0 .6rem}',
    '.bar{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin-bottom:.4rem}',
    '.note{font-size:.9rem;color:var(--c-muted);margin:.3rem 0}',
    'ol{list-style:none;margin:0;padding:0}',
    'ol ol{margin-left:min(1.2rem,4vw);border-left:2px solid var(--c-line);padding-left:min(.8rem,3vw)}',
    'li{margin:0}',
    '.c{padding:.55rem 0;border-top:1px solid var(--c-line)}',
    '.meta{font-size:.85rem;color:var(--c-muted)}',
    '.meta strong{color:var(--c-fg)}',
    '.meta a.permalink{color:inherit}',
    '.c.target{background:var(--c-pending-bg);box-shadow:0 0 0 4px var(--c-pending-bg)}',
    '.text a{color:var(--c-accent)}',
    '.edit-box textarea{width:100%;box-sizing:border-box;min-height:4.5rem;font:inherit;color:var(--c-field-fg);background:var(--c-field-bg);border:1px solid var(--c-field-border);border-radius:4px;padding:.4rem}',
    '.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '.signed-in{display:inline-block;padding:0 .35em;margin-left:.3em;border-radius:.6em;background:#1d5e2e;color:#fff;font-weight:700;font-size:.75rem}',
    '.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0}',
    '.why{font-size:.9rem;margin:.2rem 0;color:var(--c-pending-fg);background:var(--c-pending-bg);border-left:3px solid var(--c-pending-border);padding:.2rem .5rem}',
    '.why.bad{color:var(--c-bad-fg);background:var(--c-bad-bg);border-left-color:var(--c-bad-border)}',
    '.badge{display:inline-block;font-size:.8rem;padding:0 .4rem;border-radius:3px;margin-left:.4rem;background:var(--c-pending-bg);border:1px solid var(--c-pending-border);color:var(--c-pending-fg)}',
    '.badge.bad{background:var(--c-bad-bg);border-color:var(--c-bad-border);color:var(--c-bad-fg)}',
    '.pending .text{opacity:.9}',
    'label{display:block;font-weight:600;font-size:.9rem;margin-top:.6rem}',
    'input,textarea{width:100%;font:inherit;padding:.45rem;border:1px solid var(--c-field-border);border-radius:4px;background:var(--c-field-bg);color:var(--c-field-fg)}',
    'textarea{min-height:5.5rem;resize:vertical}',
    'button{font:inherit;font-weight:600;min-height:2.75rem;padding:.4rem .9rem;border-radius:4px;border:1px solid var(--c-accent);background:var(--c-accent);color:var(--c-accent-fg);cursor:pointer;margin-top:.5rem}',
    'button.link{background:none;border:0;color:var(--c-accent);min-height:2.75rem;padding:0 .3rem;margin:0 0 0 .3rem;font-weight:600;font-size:.85rem;text-decoration:underline}',
    'button[disabled]{opacity:.6;cursor:default}',
    'button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid var(--c-focus);outline-offset:1px}',
    '.msg{min-height:1.5em;font-size:.9rem;margin:.3rem 0}',
    '.msg.bad{color:var(--c-bad-text)}',
    '.reply{margin:.3rem 0 .5rem}',
    'form.top{margin-top:1.2rem}',
    'button.cancel{background:var(--c-bg);color:var(--c-accent);margin-left:.5rem}',
    'select{display:block;max-width:100%;font:inherit;padding:.4rem;border:1px solid var(--c-field-border);border-radius:4px;background:var(--c-field-bg);color:var(--c-field-fg)}',
    'select:focus-visible,.done:focus-visible{outline:3px solid var(--c-focus);outline-offset:1px}',
    '.done{font-size:.85rem;margin-left:.6rem;color:var(--c-ok)}',
    'form.report{margin:.3rem 0 .5rem}'
  ].join('\n');

  // REASONS are the reason codes POST /api/comments/{id}/reports accepts
  // (web.ReasonCodes; a Go test keeps the two lists in step), with what
  // a reader reads.
  var REASONS = [
    ['offensive', 'Offensive'],
    ['abusive', 'Abusive or harassing'],
    ['spam', 'Spam or advertising'],
    ['off-topic', 'Off topic'],
    ['personal-information', 'Shares personal information'],
    ['other', 'Something else']
  ];

  // el builds an element; string children become text nodes, so reader
  // text can never become markup.
  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
        if (k === 'class') n.className = attrs[k];
        else if (k.slice(0, 2) === 'on') n.addEventListener(k.slice(2), attrs[k]);
        else n.setAttribute(k, attrs[k]);
      }
    }
    (kids || []).forEach(function (c) {
      if (c == null) return;
      n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return n;
  }

  // linked is a comment's text as nodes, its http and https addresses as
  // links (as the server's page does, web/links.go): every piece of the
  // text is a text node, and an anchor's href is what URL parsed.
  var LINK = /\bhttps?:\/\/[^\s<>"'`\u00a0\u2000-\u200f\u2028-\u202f\u3000]+/gi;
  function linked(text) {
    var out = [], at = 0, m;
    LINK.lastIndex = 0;
    while ((m = LINK.exec(text)) !== null) {
      var s = m[0];
      while (s.length && '.,;:!?*'.indexOf(s.charAt(s.length - 1)) >= 0 ||
        s.charAt(s.length - 1) === ')' && s.split('(').length < s.split(')').length ||
        s.charAt(s.length - 1) === ']' && s.split('[').length < s.split(']').length) s = s.slice(0, -1);
      var u = null;
      try { u = new URL(s); } catch (e) {}
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.host || u.username || u.password || s.length > 2048) continue;
      out.push(text.slice(at, m.index));
      out.push(el('a', { href: u.href, rel: 'nofollow ugc noopener', target: '_blank' }, [s]));
      at = m.index + s.length;
      LINK.lastIndex = at;
    }
    out.push(text.slice(at));
    return out;
  }

  // store keeps the reader's own pending comments; localStorage may be
  // missing or refuse (private modes, sandboxed frames): then memory.
  function store(key) {
    var mem = '[]';
    return {
      load: function () {
        var v = mem;
        try { v = window.localStorage.getItem(key) || '[]'; } catch (e) {}
        try { var a = JSON.parse(v); return Array.isArray(a) ? a : []; } catch (e) { return []; }
      },
      save: function (list) {
        mem = JSON.stringify(list);
        try { window.localStorage.setItem(key, mem); } catch (e) {}
      }
    };
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }

  // ssoName reads the display name from the publisher's token, for show
  // only: the server verifies the token.
  function ssoName(token) {
    try {
      var p = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      var json = decodeURIComponent(Array.prototype.map.call(atob(p), function (c) {
        return '%' + ('00' + c.charCodeAt(0).toString(16)).slice(-2);
      }).join(''));
      return String(JSON.parse(json).name || '');
    } catch (e) { return ''; }
  }

  var rank = { pending: 0, held: 1, approved: 2, rejected: 2, gone: 3 };

  // The message catalogue: English is the source (the strings in the code),
  // MESSAGES[lang] its translations, keyed by the English. A widget speaks
  // its host's data-lang, else the reader's browser languages (what they
  // send as Accept-Language), else English.
  var MESSAGES = {
    ru: {
      'Comments': 'Комментарии',
      'Show more comments': 'Показать ещё комментарии',
      'Post reply': 'Ответить',
      'Post comment': 'Отправить комментарий',
      'Name': 'Имя',
      'Cancel': 'Отмена',
      'Leave a comment': 'Оставьте комментарий',
      'Your reply': 'Ваш ответ',
      'Comment': 'Комментарий',
      'Posting as ': 'Вы пишете как ',
      'Please write a comment first.': 'Сначала напишите комментарий.',
      'Please give a name.': 'Укажите имя.',
      'Posting…': 'Отправляем…',
      'Your comment could not be posted ({0}).': 'Не удалось отправить комментарий ({0}).',
      'Thank you. Your comment is awaiting review.': 'Спасибо. Ваш комментарий ждёт проверки.',
      'The comment could not be sent. Check your connection and try again.': 'Комментарий не отправлен. Проверьте подключение и попробуйте ещё раз.',
      'Signed in with this site': 'Вход через этот сайт',
      'Comment by {0}': 'Комментарий {0}',
      'Awaiting review': 'Ждёт проверки',
      'Not published': 'Не опубликован',
      'Dismiss': 'Скрыть',
      'Reply': 'Ответить',
      'Reported \u2014 thank you': 'Жалоба отправлена \u2014 спасибо',
      'Report': 'Пожаловаться',
      'Link to this comment': 'Ссылка на этот комментарий',
      'edited': 'изменён',
      'Edit': 'Изменить',
      'Edit your comment': 'Измените комментарий',
      'Save edit': 'Сохранить правку',
      'Your edit could not be saved ({0}).': 'Правку не удалось сохранить ({0}).',
      'Your edit is awaiting review; readers see the published text until then.': 'Правка ждёт проверки; до тех пор читатели видят опубликованный текст.',
      'Your edit is awaiting review.': 'Правка ждёт проверки.',
      'Choose a reason': 'Выберите причину',
      'Send report': 'Отправить жалобу',
      'Report the comment by {0}': 'Пожаловаться на комментарий {0}',
      'Why should a moderator look at this comment?': 'Почему модератору стоит посмотреть этот комментарий?',
      'Please choose a reason.': 'Выберите причину.',
      'Sending…': 'Отправляем…',
      'This comment is no longer shown.': 'Этот комментарий больше не показывается.',
      'The report could not be sent ({0}).': 'Не удалось отправить жалобу ({0}).',
      'The report could not be sent. Check your connection and try again.': 'Жалоба не отправлена. Проверьте подключение и попробуйте ещё раз.',
      'Comments on this article are closed.': 'Комментарии к этой статье закрыты.',
      'Comments on this article are reviewed before they appear.': 'Комментарии к этой статье появляются после проверки.',
      'Comments could not be loaded.': 'Не удалось загрузить комментарии.',
      'Thank you. Your comment is published.': 'Спасибо. Ваш комментарий опубликован.',
      'Thank you.': 'Спасибо.',
      'Your comment is awaiting review by a moderator.': 'Ваш комментарий ждёт проверки модератором.',
      'Your comment was not published.': 'Ваш комментарий не опубликован.',
      'Your comment was not published. {0}': 'Ваш комментарий не опубликован. {0}',
      'Your comment was not published because it was found offensive.': 'Ваш комментарий не опубликован: он признан оскорбительным.',
      'Your comment was not published because it was found abusive.': 'Ваш комментарий не опубликован: он признан грубым или травлей.',
      'Your comment was not published because it looks like spam or advertising.': 'Ваш комментарий не опубликован: он похож на спам или рекламу.',
      'Your comment was not published because it is off topic.': 'Ваш комментарий не опубликован: он не по теме.',
      'Your comment was not published because it shares personal information.': 'Ваш комментарий не опубликован: в нём личные данные.',
      'Offensive': 'Оскорбительно',
      'Abusive or harassing': 'Грубость или травля',
      'Spam or advertising': 'Спам или реклама',
      'Off topic': 'Не по теме',
      'Shares personal information': 'Раскрывает личные данные',
      'Something else': 'Другое',
      'E-mail (optional)': 'Эл. почта (необязательно)',
      'Never shown. Only to tell you of replies and of a moderator\'s decision; each mail can stop them.': 'Никому не показывается. Только чтобы сообщить об ответах и о решении модератора; в каждом письме есть ссылка, чтобы отписаться.'
    }
  };

  // PLURALS: the count's form, by the language's rule.
  var PLURALS = {
    en: { comments: function (n) { return n === 1 ? '1 comment' : n + ' comments'; } },
    ru: {
      comments: function (n) {
        var d = n % 10, h = n % 100;
        var w = d === 1 && h !== 11 ? 'комментарий' : d >= 2 && d <= 4 && (h < 12 || h > 14) ? 'комментария' : 'комментариев';
        return n + ' ' + w;
      }
    }
  };

  function chooseLang(host) {
    var want = [host.getAttribute('data-lang') || ''].concat(navigator.languages || [navigator.language || '']);
    for (var i = 0; i < want.length; i++) {
      var l = String(want[i] || '').toLowerCase().split('-')[0];
      if (l === 'en' || MESSAGES[l]) return l;
    }
    return 'en';
  }

  // REASON_WORDS say a moderator's reason code to the comment's author
  // when no message came with it.
  var REASON_WORDS = {
    offensive: 'Your comment was not published because it was found offensive.',
    abusive: 'Your comment was not published because it was found abusive.',
    spam: 'Your comment was not published because it looks like spam or advertising.',
    'off-topic': 'Your comment was not published because it is off topic.',
    'personal-information': 'Your comment was not published because it shares personal information.'
  };

  function when(iso, lang) {
    var d = new Date(iso);
    if (isNaN(d)) return '';
    try { return d.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' }); } catch (e) { return d.toLocaleString(); }
  }

  function Widget(host) {
    this.article = host.getAttribute('data-article') || '';
    this.token = host.getAttribute('data-sso') || '';
    this.sort = host.getAttribute('data-sort') === 'newest' ? 'newest' : 'oldest';
    this.lang = chooseLang(host);
    this.mine = store('commentd:' + base.host + ':' + this.article);
    // Comments this reader reported, so the thanks outlive a reload (the
    // server counts a reader once per comment anyway).
    this.reports = store('commentd:reported:' + base.host + ':' + this.article);
    // The edit tokens of the reader's comments ({id, token, at}): what
    // proves they wrote them, for the server's edit window.
    this.edits = store('commentd:edits:' + base.host + ':' + this.article);
    this.edits.save(this.edits.load().filter(function (x) { return x && Date.now() - x.at < 864e5; }));
    // A permalink (#comment-<id>) to find once the comments load.
    var h = /^#comment-([0-9A-Za-z-]{1,64})$/.exec(window.location.hash || '');
    this.seek = h ? h[1] : '';
    this.nodes = {};    // id -> {li, kids, c}
    this.total = 0;
    this.cursor = '';
    this.closed = false;
    this.replyTo = '';
    this.reportFor = '';
    this.retry = 1000;
    // The e-mail fields show once the server says it sends notifications.
    this.notifications = false;
    this.emailBoxes = [];
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    this.build(root);
    this.pending().forEach(this.place, this);
    if (window.EventSource) this.connect(); // loads the list once the stream is open
    else this.loadPage('');
  }

  Widget.prototype.api = function (path) { return new URL(path, base).toString(); };

  // t translates a catalogue string, filling {0}, {1}… with the rest.
  Widget.prototype.t = function (en) {
    var tr = MESSAGES[this.lang] && MESSAGES[this.lang][en];
    var out = tr || en, args = Array.prototype.slice.call(arguments, 1);
    return out.replace(/\{(\d)\}/g, function (m, i) { return String(args[i]); });
  };

  Widget.prototype.plural = function (n, what) { return (PLURALS[this.lang] || PLURALS.en)[what](n); };

  // why is what the author of a comment is told about it: the message
  // the rules or the moderator wrote (a whole sentence already, said
  // once), or the reason in words.
  Widget.prototype.why = function (c) {
    if (c.message) return c.status !== 'rejected' || /not published|не опубликован/i.test(c.message) ? c.message : this.t('Your comment was not published. {0}', c.message);
    if (c.status === 'rejected') return this.t(REASON_WORDS[c.reason] || 'Your comment was not published.');
    if (c.status === 'held') return this.t('Your comment is awaiting review by a moderator.');
    return '';
  };

  Widget.prototype.build = function (root) {
    var self = this;
    root.appendChild(el('style', null, [CSS]));
    this.heading = el('h2', { id: 'h' }, [self.t('Comments')]);
    this.note = el('p', { class: 'note', hidden: '' });
    this.list = el('ol', { 'aria-labelledby': 'h' });
    this.more = el('button', { type: 'button', hidden: '', onclick: function () { self.loadPage(self.cursor); } }, [self.t('Show more comments')]);
    this.form = this.makeForm('');
    root.appendChild(el('section', { 'aria-labelledby': 'h', lang: this.lang }, [this.heading, this.note, this.list, this.more, this.form.node]));
  };

  // makeForm builds the comment form, or a reply form under a comment.
  Widget.prototype.makeForm = function (parentID) {
    var self = this, uid = 'f' + (parentID || 'top');
    var name = ssoName(this.token);
    var author = el('input', { id: uid + 'a', name: 'author', maxlength: '80', autocomplete: 'nickname', required: '' });
    try { author.value = window.localStorage.getItem('commentd:name') || ''; } catch (e) {}
    var text = el('textarea', { id: uid + 't', name: 'text', maxlength: '5000', required: '' });
    var email = el('input', { id: uid + 'e', name: 'email', type: 'email', maxlength: '254', autocomplete: 'email', 'aria-describedby': uid + 'eh' });
    try { email.value = window.localStorage.getItem('commentd:email') || ''; } catch (e) {}
    var emailBox = el('div', this.notifications ? null : { hidden: '' }, [el('label', { for: uid + 'e' }, [self.t('E-mail (optional)')]), email,
      el('p', { class: 'note', id: uid + 'eh' }, [self.t('Never shown. Only to tell you of replies and of a moderator\'s decision; each mail can stop them.')])]);
    this.emailBoxes = this.emailBoxes.filter(function (b) { return b.isConnected; }); // closed reply forms go
    this.emailBoxes.push(emailBox);
    var msg = el('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
    var button = el('button', { type: 'submit' }, [parentID ? self.t('Post reply') : self.t('Post comment')]);
    var who = name ? [el('p', { class: 'note' }, [self.t('Posting as '), el('strong', null, [name])])]
      : [el('label', { for: uid + 'a' }, [self.t('Name')]), author];
    var cancel = parentID ? el('button', { type: 'button', class: 'cancel', onclick: function () { self.closeReply(); } }, [self.t('Cancel')]) : null;
    var node = el('form', { class: parentID ? 'reply' : 'top', novalidate: '' }, (parentID ? [] : [el('h2', null, [self.t('Leave a comment')])])
      .concat(who, [el('label', { for: uid + 't' }, [parentID ? self.t('Your reply') : self.t('Comment')]), text, emailBox, button, cancel, msg]));
    var f = { node: node, text: text, msg: msg, author: author, email: email, emailBox: emailBox };
    node.addEventListener('submit', function (ev) {
      ev.preventDefault();
      self.post(parentID, name ? '' : author.value.trim(), text.value, f, button);
    });
    return f;
  };

  Widget.prototype.say = function (f, text, bad) {
    f.msg.textContent = text;
    f.msg.className = bad ? 'msg bad' : 'msg';
  };

  Widget.prototype.post = function (parentID, author, text, f, button) {
    var self = this;
    if (!text.trim()) { this.say(f, self.t('Please write a comment first.'), true); f.text.focus(); return; }
    if (!this.token && !author) { this.say(f, self.t('Please give a name.'), true); f.author.focus(); return; }
    try { if (author) window.localStorage.setItem('commentd:name', author); } catch (e) {}
    var email = f.emailBox && !f.emailBox.hidden ? f.email.value.trim() : '';
    try { if (f.emailBox && !f.emailBox.hidden) window.localStorage.setItem('commentd:email', email); } catch (e) {}
    // One key per comment, kept across retries: a POST that was stored but
    // whose answer was lost is then recognised, not posted twice.
    var sig = author + '\n' + parentID + '\n' + text;
    if (f.keySig !== sig) { f.key = newKey(); f.keySig = sig; }
    var headers = { 'Content-Type': 'application/json', 'Idempotency-Key': f.key };
    if (this.token) headers.Authorization = 'Bearer ' + this.token;
    button.disabled = true;
    this.say(f, self.t('Posting…'));
    fetch(this.api('api/articles/' + encodeURIComponent(this.article) + '/comments'), {
      method: 'POST', mode: 'cors', credentials: 'omit', headers: headers,
      body: JSON.stringify(email ? { author: author, text: text, parent_id: parentID, email: email } : { author: author, text: text, parent_id: parentID })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { r: r, body: body }; });
    }).then(function (res) {
      button.disabled = false;
      if (res.r.status !== 202) {
        var e = res.body && res.body.error || {};
        if (e.code === 'article_closed') self.setSettings({ closed: true });
        self.say(f, e.message || self.t('Your comment could not be posted ({0}).', res.r.status), true);
        return;
      }
      f.key = f.keySig = null; // the next comment is another one
      if (res.body.edit_token) {
        var eds = self.edits.load();
        eds.push({ id: res.body.id, token: res.body.edit_token, at: Date.now() });
        self.edits.save(eds);
      }
      var mine = { id: res.body.id, parent_id: parentID, author: author || ssoName(self.token), signed_in: !!self.token, text: text,
        created_at: new Date().toISOString(), status: 'pending' };
      var list = self.pending();
      list.push(mine);
      self.mine.save(list);
      f.text.value = '';
      self.say(f, self.t('Thank you. Your comment is awaiting review.'));
      if (parentID) self.closeReply();
      else self.lastPosted = mine.id; // the note under the button follows its decision
      self.place(mine);
      self.connect(); // watch the new comment's status
    }, function () {
      button.disabled = false;
      self.say(f, self.t('The comment could not be sent. Check your connection and try again.'), true);
    });
  };

  Widget.prototype.pending = function () {
    return this.mine.load().filter(function (c) { return c && typeof c.id === 'string'; });
  };

  // place shows a comment (approved, or the reader's own) in its thread,
  // or updates the one already shown.
  Widget.prototype.place = function (c) {
    var self = this, n = this.nodes[c.id];
    if (!n) {
      var kids = el('ol');
      var li = el('li', { 'data-id': c.id }, [el('article', { class: 'c', 'aria-label': self.t('Comment by {0}', c.author) }), kids]);
      n = this.nodes[c.id] = { li: li, kids: kids, c: c };
      this.insert(n);
      // Replies that arrived before this comment move under it.
      for (var id in this.nodes) {
        var o = this.nodes[id];
        if (o.c.parent_id === c.id && o.li.parentNode !== kids) this.insertInto(kids, o, false);
      }
    }
    n.c = c;
    if (n.edited && c.status === 'approved' && c.text === n.edited) n.edited = n.note = null; // the edit is published
    var body = n.li.firstChild;
    body.textContent = '';
    // A signed-in reader's mark: an anonymous reader can take any name,
    // never this.
    var mark = c.signed_in ? el('span', { class: 'signed-in', title: self.t('Signed in with this site') }, ['\u2713',
      el('span', { class: 'vh' }, [' signed in'])]) : null;
    // The date is the comment's permalink: this page, at the comment.
    var here = window.location.href.split('#')[0] + '#comment-' + c.id;
    var meta = el('div', { class: 'meta' }, [el('strong', null, [String(c.author)]), mark, ' · ',
      el('a', { class: 'permalink', href: here, title: self.t('Link to this comment') },
        [el('time', { datetime: c.created_at }, [when(c.created_at, self.lang)])]),
      c.edited_at ? ' · ' + self.t('edited') : null]);
    var reason = null;
    if (c.status === 'pending' || c.status === 'held') {
      meta.appendChild(el('span', { class: 'badge' }, [self.t('Awaiting review')]));
      body.className = 'c pending';
      if (c.status === 'held') reason = el('p', { class: 'why' }, [self.why(c)]);
    } else if (c.status === 'rejected') {
      meta.appendChild(el('span', { class: 'badge bad' }, [self.t('Not published')]));
      reason = el('p', { class: 'why bad' }, [self.why(c)]);
      meta.appendChild(el('button', { type: 'button', class: 'link', onclick: function () { self.forget(c.id, true); } }, [self.t('Dismiss')]));
      body.className = 'c pending';
    } else {
      body.className = 'c';
      if (!this.closed) {
        meta.appendChild(el('button', { type: 'button', class: 'link', 'aria-expanded': String(this.replyTo === c.id),
          onclick: function () { self.openReply(c.id); } }, [self.t('Reply')]));
      }
      if (this.reports.load().indexOf(c.id) >= 0) {
        meta.appendChild(el('span', { class: 'done', tabindex: '-1' }, [self.t('Reported \u2014 thank you')]));
      } else {
        meta.appendChild(el('button', { type: 'button', class: 'link report', 'aria-expanded': String(this.reportFor === c.id),
          onclick: function () { self.openReport(c.id); } }, [self.t('Report')]));
      }
    }
    if (c.status !== 'rejected' && this.editToken(c.id)) {
      meta.appendChild(el('button', { type: 'button', class: 'link edit', onclick: function () { self.openEdit(c.id); } }, [self.t('Edit')]));
    }
    body.appendChild(meta);
    body.appendChild(el('div', { class: 'text' }, c.status === 'approved' ? linked(String(c.text)) : [String(c.text)]));
    if (reason) body.appendChild(reason);
    if (n.note) body.appendChild(el('p', { class: 'why' + (n.note.bad ? ' bad' : '') }, [n.note.text]));
    if (this.seek === c.id) this.found(n);
    if (n.target) body.className += ' target';
  };

  Widget.prototype.editToken = function (id) {
    var t = '';
    this.edits.load().forEach(function (x) { if (x.id === id) t = x.token; });
    return t;
  };

  // found scrolls to the comment a permalink named and marks it.
  Widget.prototype.found = function (n) {
    this.seek = '';
    n.target = true;
    var a = n.li.firstChild;
    setTimeout(function () { a.scrollIntoView({ block: 'center' }); }, 0);
  };

  // openEdit turns a comment of the reader's into a form for its new text.
  Widget.prototype.openEdit = function (id) {
    var self = this, n = this.nodes[id];
    if (!n) return;
    var body = n.li.firstChild, old = body.querySelector('.text');
    var ta = el('textarea', { 'aria-label': self.t('Edit your comment'), maxlength: '5000' });
    ta.value = n.edited || String(n.c.text);
    var msg = el('p', { class: 'why', 'aria-live': 'polite' });
    var save = el('button', { type: 'submit' }, [self.t('Save edit')]);
    var box = el('form', { class: 'edit-box' }, [ta, save,
      el('button', { type: 'button', class: 'cancel', onclick: function () { self.place(n.c); } }, [self.t('Cancel')]), msg]);
    box.addEventListener('submit', function (ev) { ev.preventDefault(); self.edit(n, ta.value, msg, save); });
    body.replaceChild(box, old);
    ta.focus();
  };

  Widget.prototype.edit = function (n, text, msg, button) {
    var self = this, id = n.c.id;
    if (!text.trim()) { msg.textContent = self.t('Please write a comment first.'); return; }
    button.disabled = true;
    var headers = { 'Content-Type': 'application/json' };
    if (this.token) headers.Authorization = 'Bearer ' + this.token;
    fetch(this.api('api/comments/' + encodeURIComponent(id) + '/edit'), {
      method: 'POST', credentials: 'omit', headers: headers,
      body: JSON.stringify({ text: text, edit_token: this.editToken(id) })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { r: r, body: body }; });
    }).then(function (res) {
      button.disabled = false;
      var e = res.body && res.body.error;
      if (e) {
        if (res.r.status === 410 || res.r.status === 403) self.edits.save(self.edits.load().filter(function (x) { return x.id !== id; }));
        msg.textContent = e.message || self.t('Your edit could not be saved ({0}).', res.r.status);
        return;
      }
      n.edited = text;
      if (n.c.status !== 'approved') n.c.text = text; // not shown to others yet: the text is the comment
      n.note = { text: n.c.status === 'approved' ? self.t('Your edit is awaiting review; readers see the published text until then.') : self.t('Your edit is awaiting review.') };
      self.place(n.c);
    }, function () {
      button.disabled = false;
      msg.textContent = self.t('The comment could not be sent. Check your connection and try again.');
    });
  };

  Widget.prototype.insert = function (n) {
    var parent = n.c.parent_id && this.nodes[n.c.parent_id];
    this.insertInto(parent ? parent.kids : this.list, n, !parent && this.sort === 'newest');
  };

  // insertInto keeps siblings in time order (threads newest first when
  // asked; replies always oldest first).
  Widget.prototype.insertInto = function (ol, n, newest) {
    var t = Date.parse(n.c.created_at) || 0, at = null;
    for (var s = ol.firstChild; s; s = s.nextSibling) {
      var o = this.nodes[s.getAttribute('data-id')];
      var ot = o ? Date.parse(o.c.created_at) || 0 : 0;
      if (newest ? ot < t : ot > t) { at = s; break; }
    }
    ol.insertBefore(n.li, at);
  };

  Widget.prototype.remove = function (id) {
    var n = this.nodes[id];
    if (!n) return;
    // Replies stay visible: they move up to where the thread continues.
    var kids = Array.prototype.slice.call(n.kids.childNodes);
    delete this.nodes[id];
    n.li.parentNode && n.li.parentNode.removeChild(n.li);
    kids.forEach(function (k) { var o = this.nodes[k.getAttribute('data-id')]; if (o) this.insert(o); }, this);
  };

  Widget.prototype.forget = function (id, hide) {
    this.mine.save(this.mine.load().filter(function (c) { return c.id !== id; }));
    if (hide) this.remove(id);
  };

  Widget.prototype.openReply = function (id) {
    this.closeReply();
    var n = this.nodes[id];
    if (!n) return;
    this.replyTo = id;
    this.reply = this.makeForm(id);
    n.li.insertBefore(this.reply.node, n.kids);
    this.reply.text.focus();
  };

  Widget.prototype.closeReply = function () {
    if (this.reply && this.reply.node.parentNode) this.reply.node.parentNode.removeChild(this.reply.node);
    this.reply = null;
    this.replyTo = '';
  };

  // openReport shows the report form under a comment: a reason to choose
  // (none chosen at first, so a stray click reports nothing), send, cancel.
  Widget.prototype.openReport = function (id) {
    this.closeReport(false);
    var self = this, n = this.nodes[id];
    if (!n) return;
    var uid = 'r' + id;
    var reason = el('select', { id: uid, name: 'reason', required: '' },
      [el('option', { value: '' }, [self.t('Choose a reason')])].concat(REASONS.map(function (r) {
        return el('option', { value: r[0] }, [self.t(r[1])]);
      })));
    var msg = el('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
    var send = el('button', { type: 'submit' }, [self.t('Send report')]);
    var cancel = el('button', { type: 'button', class: 'cancel', onclick: function () { self.closeReport(true); } }, [self.t('Cancel')]);
    var node = el('form', { class: 'report', novalidate: '', 'aria-label': self.t('Report the comment by {0}', n.c.author) },
      [el('label', { for: uid }, [self.t('Why should a moderator look at this comment?')]), reason, send, cancel, msg]);
    var f = { node: node, msg: msg };
    node.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!reason.value) { self.say(f, self.t('Please choose a reason.'), true); reason.focus(); return; }
      self.report(id, reason.value, f, send);
    });
    node.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') { ev.preventDefault(); self.closeReport(true); }
    });
    this.reportFor = id;
    this.reporting = f;
    this.place(n.c); // aria-expanded
    n.li.insertBefore(node, n.kids);
    reason.focus();
  };

  // closeReport removes the report form; refocus puts the keyboard back on
  // the comment's Report button.
  Widget.prototype.closeReport = function (refocus) {
    var id = this.reportFor, n = id && this.nodes[id];
    if (this.reporting && this.reporting.node.parentNode) this.reporting.node.parentNode.removeChild(this.reporting.node);
    this.reporting = null;
    this.reportFor = '';
    if (!n) return;
    this.place(n.c);
    var b = n.li.firstChild.querySelector('button.report, .done');
    if (refocus && b) b.focus();
  };

  Widget.prototype.report = function (id, reason, f, button) {
    var self = this;
    button.disabled = true;
    this.say(f, self.t('Sending…'));
    fetch(this.api('api/comments/' + encodeURIComponent(id) + '/reports'), {
      method: 'POST', mode: 'cors', credentials: 'omit',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: reason })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { r: r, body: body }; });
    }).then(function (res) {
      button.disabled = false;
      if (res.r.status !== 202) {
        var e = res.body && res.body.error || {};
        self.say(f, res.r.status === 404 ? self.t('This comment is no longer shown.')
          : e.message || self.t('The report could not be sent ({0}).', res.r.status), true);
        return;
      }
      var list = self.reports.load();
      if (list.indexOf(id) < 0) list.push(id);
      self.reports.save(list.slice(-500));
      self.closeReport(true); // focus lands on the thanks, which the reader hears
    }, function () {
      button.disabled = false;
      self.say(f, self.t('The report could not be sent. Check your connection and try again.'), true);
    });
  };

  Widget.prototype.setTotal = function (n) {
    this.total = Math.max(0, n);
    this.heading.textContent = this.plural(this.total, 'comments');
  };

  Widget.prototype.setSettings = function (s) {
    this.closed = !!s.closed;
    this.form.node.hidden = this.closed;
    this.note.hidden = !(s.closed || s.premoderated);
    this.note.textContent = s.closed ? this.t('Comments on this article are closed.')
      : s.premoderated ? this.t('Comments on this article are reviewed before they appear.') : '';
    if (this.closed) this.closeReply();
  };

  // approved merges a comment from the list or the stream.
  Widget.prototype.approved = function (c) {
    c.status = 'approved';
    this.decided(c);
    this.forget(c.id, false);
    this.place(c);
  };

  Widget.prototype.loadPage = function (cursor) {
    var self = this;
    var q = '?limit=100&sort=' + this.sort + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
    return fetch(this.api('api/articles/' + encodeURIComponent(this.article) + '/comments' + q), { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (page) {
        self.loaded = true;
        if (page.notifications && !self.notifications) {
          self.notifications = true;
          self.emailBoxes.forEach(function (b) { b.hidden = false; });
        }
        (page.comments || []).forEach(self.approved, self);
        if (!cursor) self.setTotal(page.total || 0); // later pages may be older than live counts
        if (!cursor || self.cursor === cursor) {
          self.cursor = page.next_cursor || '';
          self.more.hidden = !self.cursor;
        }
        // A permalink to a comment on a later page: load pages until it
        // shows (at most 50).
        if (self.seek && self.cursor && (self.seekPages = (self.seekPages || 0) + 1) < 50) return self.loadPage(self.cursor);
      }, function () { self.say(self.form, self.t('Comments could not be loaded.'), true); });
  };

  // refreshMine asks for the status of the reader's waiting comments,
  // for decisions made while no stream was open.
  Widget.prototype.refreshMine = function () {
    var self = this;
    this.pending().forEach(function (c) {
      if (c.status === 'rejected') return;
      fetch(self.api('api/comments/' + encodeURIComponent(c.id)), { credentials: 'omit' })
        .then(function (r) { return r.status === 404 ? { status: 'gone' } : r.json(); })
        .then(function (st) { self.status(st, c.id); }, function () {});
    });
  };

  // decided updates the note under the comment form when the comment
  // it speaks of is decided, so it never says "awaiting review" after.
  Widget.prototype.decided = function (c) {
    if (this.lastPosted !== c.id) return;
    if (c.status === 'approved') this.say(this.form, this.t('Thank you. Your comment is published.'));
    else if (c.status === 'rejected') this.say(this.form, this.why(c), true);
    else if (c.status === 'held') this.say(this.form, this.t('Thank you.') + ' ' + this.why(c));
    else if (c.status === 'gone') this.say(this.form, '');
  };

  Widget.prototype.status = function (st, id) {
    var list = this.mine.load(), mine = null;
    list.forEach(function (c) { if (c.id === id) mine = c; });
    if (!mine) return;
    // A status fetched before a decision can arrive after the stream
    // reported it; a comment never goes back to waiting, so ignore that.
    if (rank[st.status] < rank[mine.status]) return;
    this.decided({ id: id, status: st.status, reason: st.reason, message: st.message });
    if (st.status === 'approved') {
      this.forget(id, false);
      mine.status = 'approved';
      if (this.nodes[id] && this.nodes[id].c.status !== 'approved') { this.place(mine); this.setTotal(this.total + 1); }
      return;
    }
    if (st.status === 'gone') { this.forget(id, true); return; }
    mine.status = st.status;
    mine.reason = st.reason || '';
    mine.message = st.message || '';
    this.mine.save(list);
    this.place(mine);
  };

  // connect (re)opens the live stream; each open reloads what may have
  // been missed while it was closed.
  Widget.prototype.connect = function () {
    var self = this;
    if (this.es) this.es.close();
    if (!window.EventSource) return;
    var ids = this.pending().filter(function (c) { return c.status !== 'rejected'; })
      .map(function (c) { return c.id; }).slice(-50);
    var url = this.api('api/articles/' + encodeURIComponent(this.article) + '/events' + (ids.length ? '?watch=' + ids.join(',') : ''));
    var es = this.es = new EventSource(url);
    // Events that arrive while the list loads wait for it: the list may
    // predate them, and applying them first would let it undo them.
    var queue = null;
    function on(name, fn) {
      es.addEventListener(name, function (ev) {
        if (self.es !== es) return;
        var data = JSON.parse(ev.data);
        if (queue) queue.push(function () { fn(data); });
        else fn(data);
      });
    }
    es.onopen = function () {
      self.retry = 1000;
      queue = [];
      // Each (re)connection reloads what the stream did not carry.
      self.loadPage('').then(function () {
        var q = queue;
        queue = null;
        q.forEach(function (f) { f(); });
        self.refreshMine();
      });
    };
    on('comment', function (c) {
      var known = self.nodes[c.id] && self.nodes[c.id].c.status === 'approved';
      self.approved(c);
      if (!known) self.setTotal(self.total + 1);
    });
    on('removed', function (r) {
      if (self.nodes[r.id] && self.nodes[r.id].c.status === 'approved') { self.remove(r.id); self.setTotal(self.total - 1); }
    });
    on('status', function (st) { self.status(st, st.id); });
    on('settings', function (st) { self.setSettings(st); });
    es.onerror = function () {
      if (es.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      if (!self.loaded) self.loadPage(''); // show the comments even without a stream
      setTimeout(function () { if (self.es === es) self.connect(); }, self.retry);
      self.retry = Math.min(self.retry * 2, 60000);
    };
  };

  function boot() {
    var hosts = document.querySelectorAll('#comments[data-article], [data-commentd-article]');
    Array.prototype.forEach.call(hosts, function (h) {
      if (!h.getAttribute('data-article')) h.setAttribute('data-article', h.getAttribute('data-commentd-article'));
      if (h.getAttribute('data-commentd-ready')) return;
      h.setAttribute('data-commentd-ready', '1');
      new Widget(h);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
