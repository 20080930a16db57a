// The moderation UI: keyboard, decisions, live updates. Text that came
// from users is only ever set with textContent, or arrives as HTML the
// server rendered with html/template (which escaped it).
(function () {
  'use strict';
  var $ = function (sel, el) { return (el || document).querySelector(sel); };
  var meta = $('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : '';
  var body = document.body;

  // The page's language and its catalogue, from the server (data-i18n):
  // t() translates a string and fills in its %s and %d, tn() picks the
  // plural form the language needs for a count.
  var i18n = { lang: 'en', strings: {}, plurals: {} };
  try { i18n = JSON.parse(body.dataset.i18n || '') || i18n; } catch (e) { /* English */ }
  function fill(s, args) {
    var i = 0;
    return s.replace(/%[sd]/g, function () { return String(args[i++]); });
  }
  function t(en) {
    var s = (i18n.strings && i18n.strings[en]) || en;
    return fill(s, Array.prototype.slice.call(arguments, 1));
  }
  function tn(key, n) {
    var forms = i18n.plurals && i18n.plurals[key];
    var f = key;
    if (forms) {
      var cat = 'other';
      try { cat = new Intl.PluralRules(i18n.lang).select(n); } catch (e) { cat = n === 1 ? 'one' : 'other'; }
      f = forms[cat] || forms.other || key;
    }
    return fill(f, [n]);
  }
  // Dates in the moderator's own locale and time zone: the first of the
  // browser's languages that is the page's language (en-GB, ru-RU), else
  // the page's language.
  var locale = (function () {
    var langs = navigator.languages || [navigator.language || ''];
    for (var i = 0; i < langs.length; i++) {
      if (String(langs[i]).split('-')[0].toLowerCase() === i18n.lang) return langs[i];
    }
    return i18n.lang;
  })();
  var dateFmt;
  try { dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }); } catch (e) { dateFmt = new Intl.DateTimeFormat(i18n.lang); }
  function formatDate(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : dateFmt.format(d);
  }
  function localDates(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll('time[datetime]'), function (el) {
      el.textContent = formatDate(el.getAttribute('datetime'));
    });
  }
  localDates(document);
  var reasonLabels = { offensive: 'Offensive', abusive: 'Abusive or harassing', spam: 'Spam or advertising', 'off-topic': 'Off topic', 'personal-information': 'Shares personal information', other: 'Something else' };
  function reasonLabel(code) { return reasonLabels[code] ? t(reasonLabels[code]) : code; }

  // The toast says what just happened; after a decision it offers Undo
  // for a while (the u key undoes it as long as no other decision came).
  var toastEl = $('#toast');
  var toastText = $('#toast-text') || toastEl;
  var toastUndo = $('#toast-undo');
  var toastTimer = null;
  var undoLast = null;
  function hideToast() {
    if (toastEl) toastEl.classList.remove('show');
    if (toastUndo) toastUndo.hidden = true;
  }
  function toast(msg, undo) {
    if (!toastEl) return;
    toastText.textContent = msg;
    toastEl.classList.add('show');
    if (undo !== undefined) undoLast = undo;
    if (toastUndo) toastUndo.hidden = !undo;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(hideToast, undo ? 10000 : 5000);
  }
  function runUndo() {
    var f = undoLast;
    undoLast = null;
    hideToast();
    if (f) f();
  }
  if (toastUndo) toastUndo.addEventListener('click', runUndo);

  function api(method, url, data) {
    var opts = { method: method, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } };
    if (data !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(data);
    }
    return fetch(url, opts).then(function (resp) {
      if (resp.status === 401) { location.reload(); throw new Error('signed out'); }
      return resp.json().catch(function () { return null; }).then(function (b) { return { status: resp.status, body: b }; });
    });
  }
  // undoDecision takes back a decision: the compensating decision of the
  // decision API (the comment's seq after the decision names it).
  function undoDecision(id, seq, who, then) {
    return api('POST', '/api/moderation/comments/' + encodeURIComponent(id) + '/decision', { action: 'undo', expected_seq: seq }).then(function (r) {
      if (r.status === 200) toast(t('Undone: the comment by %s is %s again', who, t(r.body.comment.status)), null);
      else toast(r.status === 409 ? t('Not undone: the comment changed meanwhile') : errText(r), null);
      if (then) then(r);
      return r;
    });
  }
  // banned says who was banned, and until when (the ban API's until, in
  // the moderator's locale) or that it has no end.
  function banned(who, until) {
    return until ? t('Banned %s until %s', who, formatDate(until)) : t('Banned %s permanently', who);
  }
  function errText(r) {
    return (r.body && r.body.error && r.body.error.message) || t('failed (%d)', r.status);
  }

  // Single-letter shortcuts can be turned off (WCAG 2.1.4): the choice
  // is kept in this browser.
  var shortcutsKey = 'commentd.moderation.shortcuts';
  function shortcutsOn() {
    try { return localStorage.getItem(shortcutsKey) !== 'off'; } catch (e) { return true; }
  }
  var shortcutsBox = $('#shortcuts-on');
  if (shortcutsBox) {
    shortcutsBox.checked = shortcutsOn();
    body.classList.toggle('no-shortcuts', !shortcutsBox.checked);
    shortcutsBox.addEventListener('change', function () {
      try { localStorage.setItem(shortcutsKey, shortcutsBox.checked ? 'on' : 'off'); } catch (e) { /* private mode: this page only */ }
      body.classList.toggle('no-shortcuts', !shortcutsBox.checked);
      toast(shortcutsBox.checked ? t('Single-letter shortcuts on') : t('Single-letter shortcuts off'));
    });
  }
  function lettersOn() { return shortcutsBox ? shortcutsBox.checked : shortcutsOn(); }

  var help = $('#help');
  var helpButton = $('#help-button');
  function toggleHelp() {
    if (!help) return;
    help.hidden = !help.hidden;
    if (helpButton) helpButton.setAttribute('aria-expanded', String(!help.hidden));
    if (!help.hidden && shortcutsBox) shortcutsBox.focus();
  }
  if (helpButton) {
    helpButton.setAttribute('aria-expanded', 'false');
    helpButton.addEventListener('click', toggleHelp);
  }
  var helpClose = $('#help-close');
  if (helpClose) helpClose.addEventListener('click', function () { help.hidden = true; if (helpButton) { helpButton.setAttribute('aria-expanded', 'false'); helpButton.focus(); } });

  if (body.classList.contains('queue')) queuePage();
  if (body.classList.contains('author-page')) authorPage();
  if (body.classList.contains('comment-page')) commentPage();
  if (body.classList.contains('article-page')) articlePage();
  if (body.classList.contains('accounts-page')) accountsPage();
  if (body.classList.contains('rules-page')) rulesPage();

  function queuePage() {
    var me = body.dataset.me;
    var selectedId = null;
    var picked = new Set(); // ids chosen for a bulk decision
    var announceEl = $('#announce');
    var dialog = $('#decide');
    var form = $('#decide-form');
    var reasons = Array.prototype.map.call(form.querySelectorAll('input[name=reason]'), function (i) { return i.value; });
    var pending = null; // what the dialog decides: {mode: 'reject'|'ban'|'bulk', ids: [...]}
    var historyPanel = $('#history');
    var historyBody = $('#history-body');
    var historyFor = null;

    function announce(msg) {
      if (!announceEl) return;
      // A change of text is what screen readers read: clear first, so
      // the same message twice is read twice.
      announceEl.textContent = '';
      setTimeout(function () { announceEl.textContent = msg; }, 30);
    }

    function items() { return Array.prototype.slice.call(document.querySelectorAll('#items .item')); }
    function current() { return selectedId ? document.getElementById('item-' + selectedId) : null; }
    function describe(el) {
      var list = items();
      return t('Comment %d of %d, by %s', list.indexOf(el) + 1, list.length, el.dataset.authorName);
    }
    // select marks one comment as the one the shortcuts act on; told
    // says whether the change is the moderator's (and so announced).
    function select(el, told) {
      items().forEach(function (i) { i.classList.remove('selected'); i.removeAttribute('aria-current'); });
      if (!el) { selectedId = null; return; }
      el.classList.add('selected');
      el.setAttribute('aria-current', 'true');
      var changed = selectedId !== el.dataset.id;
      selectedId = el.dataset.id;
      if (told) {
        el.scrollIntoView({ block: 'nearest' });
        if (changed) announce(describe(el));
      }
      if (!historyPanel.hidden && historyFor !== selectedId) showHistory();
    }
    function move(d) {
      var list = items();
      if (!list.length) return;
      var i = list.indexOf(current());
      i = i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + d));
      select(list[i], true);
    }
    select(items()[0] || null, false);

    function neighbour(el) {
      var n = el.nextElementSibling;
      if (n && n.classList.contains('item')) return n;
      n = el.previousElementSibling;
      return n && n.classList.contains('item') ? n : null;
    }

    // Bulk selection.
    var bulkCount = $('#bulk-count');
    var pickAll = $('#pick-all');
    function syncPicks(told) {
      var list = items();
      picked.forEach(function (id) { if (!document.getElementById('item-' + id)) picked.delete(id); });
      list.forEach(function (el) {
        var box = el.querySelector('.pick');
        if (box) box.checked = picked.has(el.dataset.id);
        el.classList.toggle('picked', picked.has(el.dataset.id));
      });
      var n = picked.size;
      var msg = n === 0 ? t('None chosen') : tn('%d chosen', n);
      bulkCount.textContent = msg;
      $('#bulk-approve').disabled = n === 0;
      $('#bulk-reject').disabled = n === 0;
      pickAll.checked = n > 0 && n === list.length;
      pickAll.indeterminate = n > 0 && n < list.length;
      pickAll.disabled = list.length === 0;
      if (told) announce(n === 0 ? t('No comment chosen') : tn('%d comments chosen', n));
    }
    function pick(el, on) {
      if (on) picked.add(el.dataset.id); else picked.delete(el.dataset.id);
      syncPicks(true);
    }
    pickAll.addEventListener('change', function () {
      items().forEach(function (el) { if (pickAll.checked) picked.add(el.dataset.id); else picked.delete(el.dataset.id); });
      syncPicks(true);
    });
    syncPicks(false);

    function conflictText(r) {
      var c = r.body && r.body.error && r.body.error.current;
      return c ? t('Someone else was first: %s by %s', t(c.status), c.decided_by) : t('Someone else was first: it changed');
    }

    function decide(el, action, reason, message) {
      if (!el) return;
      var next = neighbour(el);
      api('POST', '/api/moderation/comments/' + encodeURIComponent(el.dataset.id) + '/decision',
        { action: action, reason: reason || '', message: message || '', expected_seq: Number(el.dataset.seq) }).then(function (r) {
        if (r.status === 200) {
          var msg = action === 'approve' ? t('Approved the comment by %s', el.dataset.authorName) : t('Rejected the comment by %s: %s', el.dataset.authorName, reasonLabel(reason));
          var id = el.dataset.id, who = el.dataset.authorName, seq = r.body.comment.seq;
          toast(msg, function () { selectedId = id; undoDecision(id, seq, who, function () { refresh(); }); });
          var wasSelected = el.dataset.id === selectedId;
          picked.delete(el.dataset.id);
          el.remove();
          if (wasSelected) select(next, false);
          syncPicks(false);
          focusAfter(next);
        } else {
          lastAction = null;
          toast(r.status === 409 ? conflictText(r) : errText(r));
        }
        refresh();
      });
    }

    // After an item leaves, focus goes to the same button of the next
    // one (or the list), never to the top of the page.
    var lastAction = null;
    function focusAfter(next) {
      if (!lastAction) return;
      var what = lastAction;
      lastAction = null;
      var b = next && next.querySelector('[data-do="' + what + '"]');
      if (b && !b.disabled) b.focus(); else if (next) next.querySelector('[data-do]').focus();
      else $('#page-title').focus();
    }

    function decideBulk(action, reason, message) {
      var ids = Array.from(picked);
      if (!ids.length) return;
      var seqs = {};
      ids.forEach(function (id) { var el = document.getElementById('item-' + id); if (el) seqs[id] = Number(el.dataset.seq); });
      api('POST', '/api/moderation/decisions', {
        decisions: ids.map(function (id) { return { id: id, action: action, reason: reason || '', message: message || '', expected_seq: seqs[id] }; })
      }).then(function (r) {
        if (r.status !== 200) { toast(errText(r)); refresh(); return; }
        var done = 0, failed = 0, undos = [];
        r.body.results.forEach(function (res) {
          if (res.status === 200) {
            done++;
            undos.push({ id: res.id, action: 'undo', expected_seq: res.comment.seq });
            picked.delete(res.id);
            var el = document.getElementById('item-' + res.id);
            if (el) el.remove();
          } else failed++;
        });
        var msg = action === 'approve' ? tn('Approved %d comments', done) : tn('Rejected %d comments', done);
        if (failed) msg += '; ' + tn('%d changed meanwhile and were left', failed);
        toast(msg, undos.length ? function () {
          api('POST', '/api/moderation/decisions', { decisions: undos }).then(function (r) {
            var back = r.status === 200 ? r.body.results.filter(function (x) { return x.status === 200; }).length : 0;
            toast(tn('Undone: %d comments are back', back), null);
            refresh();
          });
        } : null);
        if (!current()) select(items()[0] || null, false);
        syncPicks(false);
        refresh();
      });
    }

    // ban bans the item's author for duration (the ban API's "7d", or
    // "permanent").
    function ban(el, reason, rejectPending, duration) {
      if (!el) return;
      api('POST', '/api/moderation/authors/' + encodeURIComponent(el.dataset.author) + '/ban',
        { reason: reason, reject_pending: rejectPending, duration: duration }).then(function (r) {
        if (r.status === 200) toast(banned(el.dataset.authorName, r.body.until) + (rejectPending ? '; ' + tn('%d waiting comments rejected', r.body.rejected.length) : ''));
        else toast(errText(r));
        refresh();
      });
    }

    // The dialog asks for a reason (and, to reject, an optional message
    // to the author; to ban, whether to reject their waiting comments).
    var opener = null;
    function openDialog(mode, el, fromButton) {
      if (mode !== 'bulk' && !el) return;
      if (mode === 'bulk' && !picked.size) return;
      pending = { mode: mode, el: el, fromButton: fromButton };
      opener = document.activeElement;
      form.reset();
      $('#decide-error').textContent = '';
      var who = el ? el.dataset.authorName : '';
      $('#decide-title').textContent = mode === 'ban' ? t('Ban %s for which reason?', who)
        : mode === 'bulk' ? tn('Reject %d chosen comments for which reason?', picked.size)
          : el.dataset.status === 'approved' ? t('Remove the published comment by %s for which reason?', who)
            : t('Reject the comment by %s for which reason?', who);
      $('#message-field').hidden = mode === 'ban';
      $('#ban-fields').hidden = mode !== 'ban';
      $('#decide-submit').textContent = mode === 'ban' ? t('Ban') : el && el.dataset.status === 'approved' ? t('Remove') : t('Reject');
      dialog.showModal();
      form.querySelector('input[name=reason]').focus();
    }
    function finishDialog(reason) {
      var p = pending;
      if (!p) return;
      var message = form.elements.message.value.trim();
      var rejectPending = form.elements.reject_pending.checked;
      var duration = form.elements.duration.value || 'permanent';
      pending = null;
      dialog.close();
      if (p.fromButton && p.mode === 'reject') lastAction = 'reject';
      if (p.mode === 'ban') ban(p.el, reason, rejectPending, duration);
      else if (p.mode === 'bulk') decideBulk('reject', reason, message);
      else decide(p.el, 'reject', reason, message);
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var r = form.querySelector('input[name=reason]:checked');
      if (!r) { $('#decide-error').textContent = t('Choose a reason.'); return; }
      finishDialog(r.value);
    });
    $('#decide-cancel').addEventListener('click', function () { dialog.close(); });
    dialog.addEventListener('close', function () {
      pending = null;
      if (opener && document.contains(opener)) opener.focus();
      opener = null;
    });

    function showHistory() {
      var el = current();
      if (!el) return;
      historyFor = el.dataset.id;
      api('GET', '/api/moderation/comments/' + encodeURIComponent(el.dataset.id) + '/history').then(function (r) {
        historyBody.replaceChildren();
        var h = document.createElement('p');
        h.textContent = t('Comment by %s', el.dataset.authorName);
        historyBody.append(h);
        historyPanel.hidden = false;
        if (r.status !== 200) { historyBody.append(errText(r)); return; }
        var ol = document.createElement('ol');
        var when = {};
        r.body.events.forEach(function (ev) {
          var d = ev.data || {};
          when[ev.id] = ev.occurred_at;
          var parts = [formatDate(ev.occurred_at), t(ev.type), ev.actor];
          if (ev.causation_id && when[ev.causation_id] && /^Comment(Approved|Rejected|Held)$/.test(ev.type)) parts.push(t('undoes the decision of %s', formatDate(when[ev.causation_id])));
          if (d.reason) parts.push(t('reason %s', reasonLabel(d.reason)));
          if (d.rules) parts.push(t('rules %s', d.rules.join(', ')));
          if (d.evidence) parts.push(t('matched %s', d.evidence.map(function (x) { return '“' + x.match + '”'; }).join(', ')));
          if (d.message) parts.push('“' + d.message + '”');
          var li = document.createElement('li');
          li.textContent = parts.join(' · ');
          ol.append(li);
        });
        historyBody.append(ol);
      });
    }
    function hideHistory() { historyPanel.hidden = true; historyFor = null; }
    $('#history-close').addEventListener('click', function () {
      hideHistory();
      var el = current();
      var b = el && el.querySelector('[data-do="history"]');
      if (b) b.focus();
    });

    // Mouse and touch: the buttons of each item, its checkbox, and a
    // click anywhere else on it selects it.
    $('#list').addEventListener('click', function (e) {
      var el = e.target.closest('.item');
      if (!el) return;
      var b = e.target.closest('button[data-do]');
      if (!b && e.target.closest('a, input, label')) { if (!e.target.closest('.pick-label')) return; }
      if (selectedId !== el.dataset.id) select(el, !b);
      if (!b) return;
      switch (b.dataset.do) {
        case 'approve': lastAction = 'approve'; decide(el, 'approve'); break;
        case 'reject': openDialog('reject', el, true); break;
        case 'ban': openDialog('ban', el, true); break;
        case 'history': if (!historyPanel.hidden && historyFor === el.dataset.id) hideHistory(); else showHistory(); break;
      }
    });
    $('#list').addEventListener('change', function (e) {
      if (!e.target.classList.contains('pick')) return;
      var el = e.target.closest('.item');
      if (el) pick(el, e.target.checked);
    });
    $('#bulk-approve').addEventListener('click', function () { decideBulk('approve'); });
    $('#bulk-reject').addEventListener('click', function () { openDialog('bulk', null, true); });

    // refresh reloads the list (rendered by the server) and keeps the
    // selection on the same comment when it is still there.
    var refreshTimer = null, refreshing = false, again = false, lastHTML = null;
    function refresh() {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(reload, 100);
    }
    function reload() {
      if (refreshing) { again = true; return; }
      refreshing = true;
      var keep = selectedId, idx = items().indexOf(current());
      var focusedDo = document.activeElement && document.activeElement.closest && document.activeElement.closest('#list [data-do], #list .pick');
      var focusItem = focusedDo && focusedDo.closest('.item');
      var focusKey = focusedDo && (focusedDo.dataset.do || 'pick');
      fetch((body.dataset.items || '/moderation/items') + location.search, { credentials: 'same-origin' }).then(function (resp) {
        if (resp.status === 401) { location.reload(); return null; }
        return resp.ok ? resp.text() : null;
      }).then(function (html) {
        // Unchanged, the list stays as it is: a button under the
        // moderator's finger is not swapped for its copy mid-tap.
        if (html === null || html === lastHTML) return;
        lastHTML = html;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var list = $('#list');
        list.replaceChildren.apply(list, Array.prototype.slice.call(doc.body.childNodes));
        var ol = $('#items');
        $('#count-held').textContent = ol.dataset.held;
        $('#count-reported').textContent = ol.dataset.reported;
        localDates(list);
        syncPicks(false);
        // Keep the keyboard focus on the same control of the same comment.
        if (focusItem) {
          var same = document.getElementById(focusItem.id);
          var ctl = same && (focusKey === 'pick' ? same.querySelector('.pick') : same.querySelector('[data-do="' + focusKey + '"]'));
          if (ctl) ctl.focus();
        }
        var el = keep && document.getElementById('item-' + keep);
        if (el) { select(el, false); return; }
        var l = items();
        select(l[Math.min(Math.max(idx, 0), l.length - 1)] || null, false);
      }).finally(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
    }

    var es = new EventSource('/api/moderation/events');
    es.addEventListener('queue', function (ev) {
      var d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      if (d.id && d.id === selectedId && d.decided_by && d.decided_by !== me && d.type !== 'CommentReported') {
        toast(t('Taken by %s: now %s', d.decided_by, t(d.status)));
      }
      refresh();
    });
    // The stream carries no history, and the server drops a stream that
    // falls behind (or restarts): after a reconnect, the queue may have
    // changed unseen, so reload it.
    var opened = false;
    es.onopen = function () {
      if (opened) refresh();
      opened = true;
    };
    window.addEventListener('pagehide', function () { es.close(); });

    document.addEventListener('keydown', function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      if (dialog.open) {
        // In the dialog, a digit chooses a reason and sends, except while
        // writing the message. Esc is the dialog's own (cancel).
        if (!lettersOn() || (t && t.tagName === 'TEXTAREA')) return;
        var n = parseInt(e.key, 10);
        if (n >= 1 && n <= reasons.length) {
          e.preventDefault();
          finishDialog(reasons[n - 1]);
        }
        return;
      }
      if (e.key === 'Escape') {
        if (help) help.hidden = true;
        hideHistory();
        return;
      }
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
      if (!lettersOn()) return;
      switch (e.key) {
        case 'j': move(1); break;
        case 'k': move(-1); break;
        case 'x': if (current()) pick(current(), !picked.has(selectedId)); break;
        case 'a': decide(current(), 'approve'); break;
        case 'r': openDialog('reject', current()); break;
        case 'b': openDialog('ban', current()); break;
        case 'h': if (historyPanel.hidden) showHistory(); else hideHistory(); break;
        case 'u': if (undoLast) runUndo(); else toast(t('Nothing to undo')); break;
        case 'o': if (current()) location.href = current().dataset.authorUrl; break;
        case '?': toggleHelp(); break;
        default: return;
      }
      e.preventDefault();
    });
  }

  function authorPage() {
    var author = body.dataset.author;
    var url = '/api/moderation/authors/' + encodeURIComponent(author);
    var form = $('#ban-form');
    if (form) form.addEventListener('submit', function (e) {
      e.preventDefault();
      api('POST', url + '/ban', { reason: form.elements.reason.value, reject_pending: form.elements.reject_pending.checked, duration: form.elements.duration.value || 'permanent' }).then(function (r) {
        if (r.status === 200) location.reload(); else toast(errText(r));
      });
    });
    var unban = $('#unban');
    if (unban) unban.addEventListener('click', function () {
      api('POST', url + '/unban', {}).then(function (r) {
        if (r.status === 200) location.reload(); else toast(errText(r));
      });
    });
  }

  // askReason opens the reason dialog (reason and a message to the
  // author) and calls done(reason, message) when it is sent.
  function askReason(title, submitLabel, done) {
    var dialog = $('#decide'), form = $('#decide-form');
    var opener = document.activeElement;
    form.reset();
    $('#decide-error').textContent = '';
    $('#decide-title').textContent = title;
    $('#decide-submit').textContent = submitLabel;
    $('#message-field').hidden = false;
    $('#reject-pending-field').hidden = true;
    function submit(e) {
      e.preventDefault();
      var r = form.querySelector('input[name=reason]:checked');
      if (!r) { $('#decide-error').textContent = t('Choose a reason.'); return; }
      finish(r.value);
    }
    function finish(reason) {
      var message = form.elements.message.value.trim();
      cleanup();
      dialog.close();
      done(reason, message);
    }
    function keys(e) {
      if (e.ctrlKey || e.metaKey || e.altKey || !lettersOn() || (e.target && e.target.tagName === 'TEXTAREA')) return;
      var n = parseInt(e.key, 10);
      var rs = form.querySelectorAll('input[name=reason]');
      if (n >= 1 && n <= rs.length) { e.preventDefault(); finish(rs[n - 1].value); }
    }
    function cancel() { dialog.close(); }
    function cleanup() {
      form.removeEventListener('submit', submit);
      dialog.removeEventListener('keydown', keys);
      $('#decide-cancel').removeEventListener('click', cancel);
    }
    form.addEventListener('submit', submit);
    dialog.addEventListener('keydown', keys);
    $('#decide-cancel').addEventListener('click', cancel);
    dialog.addEventListener('close', function () { cleanup(); if (opener && document.contains(opener)) opener.focus(); }, { once: true });
    dialog.showModal();
    form.querySelector('input[name=reason]').focus();
  }

  function decision(id, data) {
    return api('POST', '/api/moderation/comments/' + encodeURIComponent(id) + '/decision', data);
  }

  // The comment's page: decide, remove a published comment, undo the
  // last decision; the page reloads to show the history with it.
  function commentPage() {
    var id = body.dataset.id, seq = Number(body.dataset.seq), who = body.dataset.authorName;
    function after(r) {
      if (r.status === 200) location.reload();
      else toast(r.status === 409 ? t('Someone else was first: %s by %s', t(r.body.error.current.status), r.body.error.current.decided_by) : errText(r));
    }
    $('main').addEventListener('click', function (e) {
      var b = e.target.closest('button[data-do]');
      if (!b) return;
      switch (b.dataset.do) {
        case 'approve': decision(id, { action: 'approve', expected_seq: seq }).then(after); break;
        case 'reject':
          askReason(body.dataset.status === 'approved' ? t('Remove the published comment by %s for which reason?', who) : t('Reject the comment by %s for which reason?', who),
            body.dataset.status === 'approved' ? t('Remove') : t('Reject'), function (reason, message) {
              decision(id, { action: 'reject', reason: reason, message: message, expected_seq: seq }).then(after);
            });
          break;
        case 'undo': undoDecision(id, seq, who, function (r) { if (r.status === 200) location.reload(); }); break;
      }
    });
  }

  // An article's page: its settings, and its published comments as the
  // reader API gives them, each removable (and the removal undoable).
  function articlePage() {
    var article = body.dataset.article;
    var list = $('#published'), more = $('#published-more');
    var announceEl = $('#announce');
    var cursor = '';
    var sform = $('#settings-form');
    sform.addEventListener('submit', function (e) {
      e.preventDefault();
      api('PUT', '/api/moderation/articles/' + encodeURIComponent(article) + '/settings',
        { closed: sform.elements.closed.checked, premoderated: sform.elements.premoderated.checked }).then(function (r) {
        toast(r.status === 200 ? t('Settings saved') : errText(r));
      });
    });
    function row(c) {
      var li = document.createElement('li');
      li.className = 'comment status-approved';
      li.id = 'pub-' + c.id;
      li.dataset.id = c.id;
      li.dataset.authorName = c.author;
      var meta = document.createElement('div');
      meta.className = 'meta';
      var a = document.createElement('strong');
      a.textContent = c.author;
      var time = document.createElement('time');
      time.setAttribute('datetime', c.created_at);
      time.textContent = formatDate(c.created_at);
      meta.append(a, ' · ', time);
      var text = document.createElement('div');
      text.className = 'text';
      text.textContent = c.text;
      var actions = document.createElement('div');
      actions.className = 'actions';
      var rm = document.createElement('button');
      rm.type = 'button';
      rm.className = 'do-reject';
      rm.dataset.do = 'remove';
      rm.textContent = t('Remove…');
      var open = document.createElement('a');
      open.className = 'button-link';
      open.href = '/moderation/comments/' + encodeURIComponent(c.id);
      open.textContent = t('History');
      actions.append(rm, open);
      li.append(meta, text, actions);
      return li;
    }
    function load() {
      var url = '/api/articles/' + encodeURIComponent(article) + '/comments?sort=newest&limit=50' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
      fetch(url, { credentials: 'same-origin' }).then(function (resp) { return resp.json().then(function (b) { return { status: resp.status, body: b }; }); }).then(function (r) {
        if (r.status !== 200) { toast(errText(r)); return; }
        if (!cursor && !r.body.comments.length) {
          var li = document.createElement('li');
          li.className = 'empty';
          li.textContent = t('Nothing published here.');
          list.append(li);
        }
        r.body.comments.forEach(function (c) { list.append(row(c)); });
        cursor = r.body.next_cursor;
        more.hidden = !cursor;
      });
    }
    more.addEventListener('click', load);
    function announce(msg) {
      announceEl.textContent = '';
      setTimeout(function () { announceEl.textContent = msg; }, 30);
    }
    list.addEventListener('click', function (e) {
      var b = e.target.closest('button[data-do]');
      var li = b && b.closest('li');
      if (!li) return;
      var id = li.dataset.id, who = li.dataset.authorName;
      if (b.dataset.do === 'remove') {
        askReason(t('Remove the published comment by %s for which reason?', who), t('Remove'), function (reason, message) {
          decision(id, { action: 'reject', reason: reason, message: message }).then(function (r) {
            if (r.status !== 200) { toast(errText(r)); return; }
            var seq = r.body.comment.seq;
            li.classList.replace('status-approved', 'status-rejected');
            b.textContent = t('Undo');
            b.dataset.do = 'undo';
            b.dataset.seq = seq;
            b.className = 'do-undo';
            b.focus();
            var msg = t('Removed the comment by %s', who);
            announce(msg);
            toast(msg, function () { b.click(); });
          });
        });
      } else if (b.dataset.do === 'undo') {
        undoDecision(id, Number(b.dataset.seq), who, function (r) {
          if (r.status !== 200) return;
          li.classList.replace('status-rejected', 'status-approved');
          b.textContent = t('Remove…');
          b.dataset.do = 'remove';
          b.className = 'do-reject';
          b.focus();
        });
      }
    });
    load();
  }

  // Accounts: add, remove, reset a password (admins); make and revoke API
  // tokens (anyone, for their own account; admins for any). A new token's
  // secret is shown once, then the page reloads.
  function accountsPage() {
    function path(name) { return '/api/moderation/accounts/' + encodeURIComponent(name); }
    var add = $('#add-form');
    if (add) add.addEventListener('submit', function (e) {
      e.preventDefault();
      api('POST', '/api/moderation/accounts', { name: add.elements.name.value.trim(), password: add.elements.password.value, role: add.elements.role.value }).then(function (r) {
        if (r.status === 201) location.reload();
        else $('#add-error').textContent = errText(r);
      });
    });
    var box = $('#new-token');
    $('#new-token-done').addEventListener('click', function () { location.reload(); });
    $('#accounts').addEventListener('submit', function (e) {
      var f = e.target.closest('form[data-do]');
      if (!f) return;
      e.preventDefault();
      var name = f.closest('.account').dataset.name;
      if (f.dataset.do === 'token') {
        api('POST', path(name) + '/tokens', { label: f.elements.label.value.trim() }).then(function (r) {
          if (r.status !== 201) { toast(errText(r)); return; }
          $('#new-token-secret').textContent = r.body.token;
          box.hidden = false;
          $('#new-token-done').focus();
        });
      } else if (f.dataset.do === 'password') {
        api('POST', path(name) + '/password', { password: f.elements.password.value }).then(function (r) {
          if (r.status === 204) { f.reset(); toast(t('The password of %s is reset; their sessions ended', name)); } else toast(errText(r));
        });
      }
    });
    $('#accounts').addEventListener('click', function (e) {
      var b = e.target.closest('button[data-do]');
      if (!b) return;
      var name = b.closest('.account').dataset.name;
      if (b.dataset.do === 'revoke') {
        api('DELETE', path(name) + '/tokens/' + encodeURIComponent(b.dataset.id)).then(function (r) {
          if (r.status === 204) location.reload(); else toast(errText(r));
        });
      } else if (b.dataset.do === 'remove') {
        if (b.dataset.sure !== 'yes') {
          b.dataset.sure = 'yes';
          b.textContent = t('Press again to remove %s', name);
          return;
        }
        api('DELETE', path(name)).then(function (r) {
          if (r.status === 204) location.reload(); else toast(errText(r));
        });
      }
    });
  }

  // Rules: the rule set in force, edited here or uploaded; validated with
  // each mistake on its line (a click puts the cursor there), tried on a
  // text, dry-run on history, published, rolled back.
  function rulesPage() {
    var src = $('#rules-source'), result = $('#rules-result'), checkResult = $('#check-result');
    function source() { return { name: 'rules.yaml', source: src.value }; }
    function goToLine(n) {
      var lines = src.value.split('\n'), at = 0;
      for (var i = 0; i < n - 1 && i < lines.length; i++) at += lines[i].length + 1;
      src.focus();
      src.setSelectionRange(at, at + (lines[n - 1] || '').length);
      var lh = parseFloat(getComputedStyle(src).lineHeight) || 20;
      src.scrollTop = Math.max(0, (n - 3) * lh);
    }
    function problems(errs) {
      var p = document.createElement('p');
      p.className = 'error';
      p.textContent = tn('%d problems in the rule file', errs.length);
      var ol = document.createElement('ol');
      ol.className = 'problems';
      errs.forEach(function (e) {
        var li = document.createElement('li');
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'problem';
        b.textContent = (e.line ? t('line %d', e.line) + ': ' : '') + (e.rule ? t('rule %s', e.rule) + ': ' : '') + e.message;
        if (e.line) b.addEventListener('click', function () { goToLine(e.line); });
        li.append(b);
        ol.append(li);
      });
      return [p, ol];
    }
    function validate() {
      return api('POST', '/api/moderation/rules/validate', source()).then(function (r) {
        if (r.status !== 200) { result.replaceChildren(errText(r)); return false; }
        if (!r.body.valid) { result.replaceChildren.apply(result, problems(r.body.errors)); return false; }
        var p = document.createElement('p');
        p.className = 'ok';
        p.textContent = t('Valid: version %s, %s', r.body.version, tn('%d rules', r.body.rules));
        result.replaceChildren(p);
        return true;
      });
    }
    $('#rules-validate').addEventListener('click', validate);
    $('#rules-upload').addEventListener('change', function (e) {
      var f = e.target.files[0];
      if (!f) return;
      f.text().then(function (text) { src.value = text; validate(); });
    });
    $('#rules-dryrun').addEventListener('click', function () {
      result.replaceChildren(t('Running on history…'));
      api('POST', '/api/moderation/rules/dryrun', source()).then(function (r) {
        if (r.status !== 200) {
          var errs = r.body && r.body.error && r.body.error.message;
          result.replaceChildren(errs || errText(r));
          return;
        }
        var p = document.createElement('p');
        var changed = 0;
        Object.keys(r.body.counts || {}).forEach(function (k) { changed += r.body.counts[k]; });
        // One counted phrase per number, so each takes its own plural.
        p.textContent = tn('On %d comments of the log', r.body.comments) + ', ' + tn('%d would be decided differently', changed);
        var ul = document.createElement('ul');
        Object.keys(r.body.counts || {}).sort().forEach(function (k) {
          var li = document.createElement('li');
          li.textContent = k + ': ' + r.body.counts[k];
          ul.append(li);
        });
        result.replaceChildren(p, ul);
      });
    });
    // The backtest and the shadow report read the part of the log the
    // scope fields name.
    function scope() {
      var q = [], since = $('#backtest-since').value, article = $('#backtest-article').value.trim();
      if (since) q.push('since=' + encodeURIComponent(since));
      if (article) q.push('article=' + encodeURIComponent(article));
      return q.length ? '?' + q.join('&') : '';
    }
    function el(tag, text, cls) {
      var e = document.createElement(tag);
      if (text !== undefined) e.textContent = text;
      if (cls) e.className = cls;
      return e;
    }
    // commentLinks lists comment ids as links to their moderation page.
    function commentLinks(ids) {
      var span = el('span', undefined, 'examples');
      (ids || []).forEach(function (id, i) {
        if (i) span.append(' ');
        var a = el('a', id.slice(0, 8));
        a.href = '/moderation/comments/' + encodeURIComponent(id);
        a.title = id;
        span.append(a);
      });
      return span;
    }
    function pct(x) { return x === null || x === undefined ? '–' : Math.round(x * 1000) / 10 + '%'; }
    // ruleTable is one row per rule; cols names each column's header and
    // the function that gives its cell.
    function ruleTable(rules, cols) {
      var table = el('table', undefined, 'rule-report');
      var head = el('tr');
      cols.forEach(function (c) { var th = el('th', c[0]); th.scope = 'col'; head.append(th); });
      table.append(el('thead'));
      table.tHead.append(head);
      var body = el('tbody');
      (rules || []).forEach(function (r) {
        var tr = el('tr');
        cols.forEach(function (c, i) {
          var v = c[1](r), td = el(i ? 'td' : 'th');
          if (!i) td.scope = 'row';
          if (v instanceof Node) td.append(v); else td.textContent = v;
          tr.append(td);
        });
        body.append(tr);
      });
      table.append(body);
      var wrap = el('div', undefined, 'table-scroll'); // a phone scrolls the table, not the page
      wrap.append(table);
      return wrap;
    }
    function backtestReport(b) {
      var out = [];
      out.push(el('p', tn('%d comments replayed', b.comments) + ' (' + t('%d a second', Math.round(b.comments_per_second || 0)) + '); ' +
        tn('%d would be decided differently', b.changed), 'ok'));
      var ul = el('ul', undefined, 'backtest-summary');
      [[t('sent to the queue that were not held'), b.to_queue, b.to_queue_examples],
        [t('saved from the queue'), b.saved_from_queue, b.saved_from_queue_examples],
        [t('approved by a moderator, rejected by this set'), b.approvals_rejected, b.approvals_rejected_examples],
        [t('rejected by a moderator, approved by this set'), b.rejections_approved, b.rejections_approved_examples],
        [t('decided by a moderator (the labels)'), b.labeled]].forEach(function (row) {
        var li = el('li', row[0] + ': ' + row[1]);
        if (row[2] && row[2].length) { li.append(' '); li.append(commentLinks(row[2])); }
        ul.append(li);
      });
      out.push(ul);
      out.push(el('h3', t('Per rule')));
      out.push(ruleTable(b.rules, [
        [t('Rule'), function (r) { return r.rule; }],
        [t('Action'), function (r) { return r.action ? t(r.action) + (r.mode && r.mode !== 'enforce' ? ' (' + r.mode + ')' : '') : t('not in this set'); }],
        [t('Fires'), function (r) { return r.fired; }],
        [t('Fired then'), function (r) { return r.fired_before; }],
        [t('Changes'), function (r) { return r.changed; }],
        [t('Precision'), function (r) { return pct(r.precision); }],
        [t('Recall'), function (r) { return pct(r.recall); }],
        [t('Examples'), function (r) { return commentLinks(r.examples); }]]));
      if (b.changes && b.changes.length) {
        out.push(el('h3', t('Changed decisions')));
        var ol = el('ol', undefined, 'backtest-changes');
        b.changes.forEach(function (c) {
          var li = el('li');
          var a = el('a', c.comment.slice(0, 8));
          a.href = '/moderation/comments/' + encodeURIComponent(c.comment);
          li.append(a, ' ' + t(c.was) + ' → ' + t(c.now));
          if (c.rules && c.rules.length) li.append(' · ' + t('rules %s', c.rules.join(', ')));
          if (c.human) li.append(' · ' + t('a moderator decided: %s', t(c.human)));
          ol.append(li);
        });
        out.push(ol);
      }
      return out;
    }
    function reportOf(btn, method, url, data, render) {
      btn.addEventListener('click', function () {
        btn.disabled = true;
        result.replaceChildren(t('Running on history…'));
        api(method, url + scope(), data ? data() : undefined).then(function (r) {
          if (r.status !== 200) {
            if (r.body && r.body.error && r.body.error.code === 'invalid') validate();
            else result.replaceChildren(errText(r));
            return;
          }
          result.replaceChildren.apply(result, render(r.body));
          result.focus();
        }).finally(function () { btn.disabled = false; });
      });
    }
    var backtestBtn = $('#rules-backtest');
    if (backtestBtn) reportOf(backtestBtn, 'POST', '/api/moderation/rules/backtest', source, backtestReport);
    reportOf($('#rules-shadow'), 'GET', '/api/moderation/rules/shadow', null, function (b) {
      var out = [el('p', t('%d decisions of the rules, %d of them decided by a moderator too (%d rejected)', b.decisions, b.labeled, b.rejected), 'ok')];
      if (!b.rules || !b.rules.length) { out.push(el('p', t('No shadow rule fired in this part of the log.'), 'muted')); return out; }
      out.push(ruleTable(b.rules, [
        [t('Rule'), function (r) { return r.rule; }],
        [t('Would fire'), function (r) { return r.fired; }],
        [t('Precision'), function (r) { return pct(r.precision); }],
        [t('Recall'), function (r) { return pct(r.recall); }],
        [t('Examples'), function (r) { return commentLinks(r.examples); }]]));
      return out;
    });
    var publish = $('#rules-publish');
    function publishSource(text) {
      return api('PUT', '/api/moderation/rules', { name: 'rules.yaml', source: text }).then(function (r) {
        if (r.status === 200) {
          toast(r.body.published ? t('Published version %s: every worker applies it now', r.body.version) : t('Version %s is in force already', r.body.version));
          setTimeout(function () { location.reload(); }, 800);
        } else if (r.body && r.body.error && r.body.error.code === 'invalid') validate();
        else toast(errText(r));
      });
    }
    if (publish) publish.addEventListener('click', function () {
      validate().then(function (ok) { if (ok) publishSource(src.value); });
    });
    $('#versions').addEventListener('click', function (e) {
      var b = e.target.closest('button[data-do=rollback]');
      if (!b) return;
      api('GET', '/api/moderation/rules/versions/' + encodeURIComponent(b.dataset.version)).then(function (r) {
        if (r.status !== 200) { toast(errText(r)); return; }
        publishSource(r.body.source);
      });
    });
    $('#check-form').addEventListener('submit', function (e) {
      e.preventDefault();
      api('POST', '/api/moderation/rules/check', { source: src.value, text: $('#check-text').value }).then(function (r) {
        if (r.status !== 200) { checkResult.replaceChildren(errText(r)); return; }
        if (!r.body.valid) { checkResult.replaceChildren.apply(checkResult, problems(r.body.errors)); return; }
        var p = document.createElement('p');
        p.id = 'verdict';
        p.dataset.action = r.body.action;
        var parts = [t('Verdict: %s', t(r.body.action))];
        if (r.body.rules.length) parts.push(t('rules %s', r.body.rules.join(', ')));
        if (r.body.evidence.length) parts.push(t('matched %s', r.body.evidence.map(function (x) { return '“' + x.match + '”'; }).join(', ')));
        if (r.body.languages && r.body.languages.length) parts.push(t('languages %s', r.body.languages.join(', ')));
        p.textContent = parts.join(' · ');
        checkResult.replaceChildren(p);
      });
    });
  }
})();
