// The moderation UI: keyboard, decisions, live updates. Text that came
// from users is only ever set with textContent, or arrives as HTML the
// server rendered with html/template (which escaped it).
(function () {
  'use strict';
  var $ = function (sel, el) { return (el || document).querySelector(sel); };
  var meta = $('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : '';
  var body = document.body;

  var toastEl = $('#toast');
  var toastTimer = null;
  function toast(msg) {
    if (!toastEl) return;
    toastEl.textContent = msg;
    toastEl.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toastEl.classList.remove('show'); }, 5000);
  }

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
  function errText(r) {
    return (r.body && r.body.error && r.body.error.message) || ('failed (' + r.status + ')');
  }

  var help = $('#help');
  function toggleHelp() { if (help) help.hidden = !help.hidden; }
  var helpButton = $('#help-button');
  if (helpButton) helpButton.addEventListener('click', toggleHelp);

  if (body.classList.contains('queue')) queuePage();
  if (body.classList.contains('author-page')) authorPage();

  function queuePage() {
    var me = body.dataset.me;
    var selectedId = null;
    var mode = null; // 'reject' or 'ban' while the reasons panel is open
    var reasonsPanel = $('#reasons');
    var reasons = Array.prototype.map.call(document.querySelectorAll('#reasons li'), function (li) { return li.dataset.reason; });
    var historyPanel = $('#history');

    function items() { return Array.prototype.slice.call(document.querySelectorAll('#items .item')); }
    function current() { return selectedId ? document.getElementById('item-' + selectedId) : null; }
    function select(el) {
      items().forEach(function (i) { i.classList.remove('selected'); i.removeAttribute('aria-current'); });
      if (!el) { selectedId = null; return; }
      el.classList.add('selected');
      el.setAttribute('aria-current', 'true');
      selectedId = el.dataset.id;
      el.scrollIntoView({ block: 'nearest' });
      if (!historyPanel.hidden) showHistory();
    }
    function move(d) {
      var list = items();
      if (!list.length) return;
      var i = list.indexOf(current());
      i = i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + d));
      select(list[i]);
    }
    select(items()[0] || null);

    function neighbour(el) {
      var n = el.nextElementSibling;
      if (n && n.classList.contains('item')) return n;
      n = el.previousElementSibling;
      return n && n.classList.contains('item') ? n : null;
    }

    function decide(action, reason) {
      var el = current();
      if (!el) return;
      var next = neighbour(el);
      api('POST', '/api/moderation/comments/' + encodeURIComponent(el.dataset.id) + '/decision',
        { action: action, reason: reason || '', expected_seq: Number(el.dataset.seq) }).then(function (r) {
        if (r.status === 200) {
          toast(action === 'approve' ? 'Approved' : 'Rejected: ' + reason);
          el.remove();
          select(next);
        } else if (r.status === 409) {
          var c = r.body && r.body.error && r.body.error.current;
          toast('Someone else was first: ' + (c ? c.status + ' by ' + c.decided_by : 'it changed'));
        } else {
          toast(errText(r));
        }
        refresh();
      });
    }

    function ban(reason) {
      var el = current();
      if (!el) return;
      api('POST', '/api/moderation/authors/' + encodeURIComponent(el.dataset.author) + '/ban',
        { reason: reason, reject_pending: true }).then(function (r) {
        if (r.status === 200) toast('Author banned; ' + r.body.rejected.length + ' waiting comment(s) rejected');
        else toast(errText(r));
        refresh();
      });
    }

    function openReasons(m) {
      if (!current()) return;
      mode = m;
      $('#reasons-title').textContent = m === 'ban' ? 'Ban the author for which reason?' : 'Reject for which reason?';
      reasonsPanel.hidden = false;
    }
    function closePanels() {
      mode = null;
      reasonsPanel.hidden = true;
      if (help) help.hidden = true;
      historyPanel.hidden = true;
    }

    function showHistory() {
      var el = current();
      if (!el) return;
      api('GET', '/api/moderation/comments/' + encodeURIComponent(el.dataset.id) + '/history').then(function (r) {
        historyPanel.replaceChildren();
        var h = document.createElement('h2');
        h.textContent = 'History';
        historyPanel.append(h);
        if (r.status !== 200) { historyPanel.append(errText(r)); historyPanel.hidden = false; return; }
        var ol = document.createElement('ol');
        r.body.events.forEach(function (ev) {
          var d = ev.data || {};
          var parts = [new Date(ev.occurred_at).toLocaleString(), ev.type, ev.actor];
          if (d.reason) parts.push('reason ' + d.reason);
          if (d.rules) parts.push('rules ' + d.rules.join(', '));
          if (d.evidence) parts.push('matched ' + d.evidence.map(function (x) { return '“' + x.match + '”'; }).join(', '));
          if (d.message) parts.push('“' + d.message + '”');
          var li = document.createElement('li');
          li.textContent = parts.join(' · ');
          ol.append(li);
        });
        historyPanel.append(ol);
        historyPanel.hidden = false;
      });
    }

    // refresh reloads the list (rendered by the server) and keeps the
    // selection on the same comment when it is still there.
    var refreshTimer = null, refreshing = false, again = false;
    function refresh() {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(reload, 100);
    }
    function reload() {
      if (refreshing) { again = true; return; }
      refreshing = true;
      var keep = selectedId, idx = items().indexOf(current());
      fetch('/moderation/items' + location.search, { credentials: 'same-origin' }).then(function (resp) {
        if (resp.status === 401) { location.reload(); return null; }
        return resp.ok ? resp.text() : null;
      }).then(function (html) {
        if (html === null) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var list = $('#list');
        list.replaceChildren.apply(list, Array.prototype.slice.call(doc.body.childNodes));
        var ol = $('#items');
        $('#count-held').textContent = ol.dataset.held;
        $('#count-reported').textContent = ol.dataset.reported;
        var el = keep && document.getElementById('item-' + keep);
        if (el) { select(el); return; }
        var l = items();
        select(l[Math.min(Math.max(idx, 0), l.length - 1)] || null);
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
        toast('Taken by ' + d.decided_by + ': now ' + d.status);
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
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
      if (e.key === 'Escape') { closePanels(); return; }
      if (mode) {
        var n = parseInt(e.key, 10);
        if (n >= 1 && n <= reasons.length) {
          var m = mode;
          closePanels();
          if (m === 'ban') ban(reasons[n - 1]); else decide('reject', reasons[n - 1]);
        }
        e.preventDefault();
        return;
      }
      switch (e.key) {
        case 'j': move(1); break;
        case 'k': move(-1); break;
        case 'a': decide('approve'); break;
        case 'r': openReasons('reject'); break;
        case 'b': openReasons('ban'); break;
        case 'h': if (historyPanel.hidden) showHistory(); else historyPanel.hidden = true; break;
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
      api('POST', url + '/ban', { reason: form.elements.reason.value, reject_pending: form.elements.reject_pending.checked }).then(function (r) {
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
})();
